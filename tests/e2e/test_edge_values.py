"""Values at the edges of their types, through the real server on both doors: every one gets
a clean 629, 707, 701 or 756 (INVALID_ARGUMENT / NOT_FOUND, HTTP 400 / 404), never INTERNAL,
UNKNOWN or a 500."""

from __future__ import annotations

import base64
from datetime import UTC, timedelta
from typing import Any

import grpc
import httpx
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from coupon.v1 import common_pb2, coupon_service_pb2, customer_service_pb2, series_service_pb2
from coupon_service.domain.model import MAX_CHOSEN_ID, MAX_ID
from tests.e2e.helpers.grpc_calls import assert_failure, issue, rich_failure
from tests.e2e.helpers.management import coupons_of, create, lookup, new_customer
from tests.e2e.helpers.rest import assert_envelope

DEMO_MOBILE = "11223569865"
DAYS_AFTER_ISSUE = series_service_pb2.COUPON_VALIDITY_DAYS_AFTER_ISSUE
ISSUE = "/v2/coupon/issue/multiple"
BULK = "/v2/coupon/bulk/issue"
CONTROL_ONLY = "\x1c\x1d\x1e\x1f"  # str.strip() turns it into "".


def token(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


def invalid(failure: Any, field: str) -> None:
    assert_failure(failure, grpc.StatusCode.INVALID_ARGUMENT, 629, "INVALID_INPUT", field=field)


# --- a series that could never issue ------------------------------------------------------------


@pytest.mark.parametrize("days", [2**31 - 1, 3_000_000, 36_501])
async def test_a_validity_of_more_days_than_datetime_holds_is_refused_at_creation(series, days):
    request = create(
        description=f"Forever {days}", coupon_validity=DAYS_AFTER_ISSUE, valid_days_after_issue=days
    )

    invalid(await rich_failure(series.CreateSeries(request)), "validDaysAfterIssue")

    listed = await series.ListSeries(series_service_pb2.ListSeriesRequest(page_size=1000))
    assert f"Forever {days}" not in {item.description for item in listed.series}


async def test_the_longest_validity_issues_on_both_doors(series, coupons, http):
    created = await series.CreateSeries(
        create(
            coupon_validity=DAYS_AFTER_ISSUE,
            valid_days_after_issue=36_500,
            is_multiple_vouchers_per_user_allowed=True,
        )
    )

    response = await coupons.IssueMultiple(issue(created.id, 2, mobile=DEMO_MOBILE))
    answer = await http.post(ISSUE, json={"seriesId": created.id, "customer": {"id": 555567088}})

    for coupon in response.coupons:
        lasts = coupon.validTill.ToDatetime(tzinfo=UTC) - coupon.issuedAt.ToDatetime(tzinfo=UTC)
        assert abs(lasts - timedelta(days=36_500)) <= timedelta(seconds=1)
    assert answer.status_code == 200, answer.text
    assert answer.json()["successCount"] == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        pytest.param({"valid_till": Timestamp(seconds=2**62)}, "validTill", id="till-2**62-s"),
        pytest.param({"valid_till": Timestamp(seconds=-(2**62))}, "validTill", id="till-neg"),
        pytest.param(
            {"valid_till": Timestamp(seconds=253402300799)}, "validTill", id="till-9999-12-31"
        ),
        pytest.param(
            {"fixed_expiry_date": Timestamp(seconds=1, nanos=-1)},
            "fixedExpiryDate",
            id="fixed-negative-nanos",
        ),
        pytest.param(
            {"fixed_expiry_date": Timestamp(seconds=2**40, nanos=2**31 - 1)},
            "fixedExpiryDate",
            id="fixed-far",
        ),
        pytest.param({"redemption_valid_after_days": -1}, "redemptionValidAfterDays", id="r-neg"),
        pytest.param(
            {"redemption_valid_after_days": 2**31 - 1}, "redemptionValidAfterDays", id="r-max"
        ),
        pytest.param({"valid_days_after_issue": -(2**31)}, "validDaysAfterIssue", id="days-min"),
        pytest.param({"discount_upto": -(2**31)}, "discountUpto", id="upto-int32-min"),
        pytest.param({"random_code_length": 2**31 - 1}, "randomCodeLength", id="length-max"),
        pytest.param({"max_create": -(2**63)}, "maxCreate", id="max-create-int64-min"),
        pytest.param({"max_vouchers_per_user": -(2**31)}, "maxVouchersPerUser", id="per-user"),
        pytest.param({"id": MAX_CHOSEN_ID + 1}, "id", id="id-past-2**53"),
        pytest.param({"id": MAX_ID}, "id", id="id-int64-max"),
        pytest.param({"id": -(2**63)}, "id", id="id-int64-min"),
    ],
)
async def test_every_number_and_date_of_a_series_is_range_checked(series, fields, field):
    invalid(await rich_failure(series.CreateSeries(create(description="Edge", **fields))), field)


async def test_numbers_at_their_largest_are_stored_and_read_back(series, coupons):
    created = await series.CreateSeries(
        create(
            id=MAX_CHOSEN_ID,
            random_code_length=20,
            max_create=MAX_ID,
            is_multiple_vouchers_per_user_allowed=True,
            max_vouchers_per_user=2**31 - 1,
            discount_value=2**31 - 1,
            valid_till=Timestamp(seconds=253402128000),  # 9999-12-30, the latest accepted
        )
    )
    numbered_next = await series.CreateSeries(create(description="after the largest id"))

    response = await coupons.IssueMultiple(issue(created.id, 1, mobile=DEMO_MOBILE))
    found = await series.GetSeries(series_service_pb2.GetSeriesRequest(series_id=MAX_CHOSEN_ID))

    assert numbered_next.id == MAX_CHOSEN_ID + 1
    assert response.successCount == 1
    assert response.coupons[0].validTill.seconds == 253402128000
    assert (found.max_create, found.max_vouchers_per_user, found.num_issued) == (
        MAX_ID,
        2**31 - 1,
        1,
    )


# --- ids no row can have ------------------------------------------------------------------------


@pytest.mark.parametrize("series_id", [MAX_ID, -1, -(2**63)])
async def test_a_series_id_no_series_can_have_is_707(series, series_id):
    read = await rich_failure(
        series.GetSeries(series_service_pb2.GetSeriesRequest(series_id=series_id))
    )
    upload = series_service_pb2.UploadCodesRequest(series_id=series_id, codes=["EDGE1"])
    uploaded = await rich_failure(series.UploadCodes(upload))

    for failure in (read, uploaded):
        assert_failure(
            failure,
            grpc.StatusCode.NOT_FOUND,
            707,
            "SERIES_INVALID",
            metadata={"seriesId": str(series_id)},
        )


@pytest.mark.parametrize("customer_id", [MAX_ID, -(2**63)])
async def test_a_customer_id_no_customer_can_have_is_701(customers, coupons, customer_id):
    update = customer_service_pb2.UpdateCustomerRequest(customer_id=customer_id, first_name="X")
    failures = [
        await rich_failure(customers.UpdateCustomer(update)),
        await rich_failure(customers.GetCustomer(lookup(id=customer_id))),
        await rich_failure(customers.ListCustomerCoupons(coupons_of(id=customer_id))),
        await rich_failure(coupons.IssueMultiple(issue(415446, 1, id=customer_id))),
    ]

    assert {failure.status for failure in failures} == {grpc.StatusCode.NOT_FOUND}
    assert {failure.info.metadata["code"] for failure in failures} == {"701"}


async def test_a_new_customer_id_past_2_to_the_53_is_629(customers):
    failure = await rich_failure(
        customers.CreateCustomer(new_customer(id=MAX_CHOSEN_ID + 1, mobile="919912345678"))
    )

    invalid(failure, "id")


# --- paging -------------------------------------------------------------------------------------

BAD_PAGING = [
    pytest.param({"page_token": token(f"after:{2**63}")}, "pageToken", id="token-past-int64"),
    pytest.param({"page_token": token(f"after:{2**64}")}, "pageToken", id="token-2**64"),
    pytest.param({"page_token": token("after:-1")}, "pageToken", id="token-negative"),
    pytest.param({"page_token": token("after:" + "9" * 5000)}, "pageToken", id="token-5000"),
    pytest.param({"page_size": 2**31 - 1}, "pageSize", id="size-int32-max"),
    pytest.param({"page_size": -(2**31)}, "pageSize", id="size-int32-min"),
]


@pytest.mark.parametrize(("paging", "field"), BAD_PAGING)
async def test_list_series_with_paging_past_its_range_is_629(series, paging, field):
    failure = await rich_failure(series.ListSeries(series_service_pb2.ListSeriesRequest(**paging)))

    invalid(failure, field)


@pytest.mark.parametrize(("paging", "field"), BAD_PAGING)
async def test_list_customer_coupons_with_paging_past_its_range_is_629(customers, paging, field):
    request = customer_service_pb2.ListCustomerCouponsRequest(
        customer=common_pb2.CustomerRef(mobile=DEMO_MOBILE), **paging
    )

    invalid(await rich_failure(customers.ListCustomerCoupons(request)), field)


async def test_list_customer_coupons_of_a_negative_series_is_629(customers):
    request = customer_service_pb2.ListCustomerCouponsRequest(
        customer=common_pb2.CustomerRef(mobile=DEMO_MOBILE), series_id=-(2**63)
    )

    invalid(await rich_failure(customers.ListCustomerCoupons(request)), "seriesId")


async def test_the_last_page_token_of_int64_is_read_as_an_empty_page(series):
    request = series_service_pb2.ListSeriesRequest(page_token=token(f"after:{MAX_ID}"))

    page = await series.ListSeries(request)

    assert (list(page.series), page.next_page_token) == ([], "")


# --- identifiers of control characters ----------------------------------------------------------


async def test_an_identifier_of_control_characters_is_629_on_every_call(customers, coupons):
    failures = {
        "customer.externalId": [
            await rich_failure(customers.GetCustomer(lookup(externalId=CONTROL_ONLY))),
            await rich_failure(customers.ListCustomerCoupons(coupons_of(externalId="\t\n"))),
            await rich_failure(coupons.IssueMultiple(issue(415446, 1, externalId=CONTROL_ONLY))),
            await rich_failure(
                coupons.BulkIssue(
                    coupon_service_pb2.BulkIssueRequest(
                        seriesIds=[415446], customer={"externalId": CONTROL_ONLY}
                    )
                )
            ),
        ],
        "customer.mobile": [
            await rich_failure(coupons.IssueMultiple(issue(415446, 1, mobile="\r")))
        ],
    }

    for field, found in failures.items():
        for failure in found:
            invalid(failure, field)


async def test_an_empty_identifier_stays_756(customers, coupons):
    for failure in [
        await rich_failure(customers.GetCustomer(lookup(externalId=""))),
        await rich_failure(coupons.IssueMultiple(issue(415446, 1, externalId=""))),
    ]:
        assert_failure(
            failure, grpc.StatusCode.INVALID_ARGUMENT, 756, "MANDATORY_FIELD", field="customer"
        )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"mobile": "919912340001", "external_id": CONTROL_ONLY}, "externalId"),
        ({"mobile": "919912340002", "external_id": "crm\x01"}, "externalId"),
        ({"mobile": "919912340003", "first_name": "\x1b[2J"}, "firstName"),
        ({"mobile": "919912340004", "last_name": "\x00"}, "lastName"),
    ],
)
async def test_a_new_customer_with_control_characters_is_629(customers, fields, field):
    invalid(await rich_failure(customers.CreateCustomer(new_customer(**fields))), field)


async def test_rest_answers_control_characters_with_629_and_empty_with_756(http):
    for path, series_field in ((ISSUE, "seriesId"), (BULK, "seriesIds")):
        for value in (CONTROL_ONLY, "\x00", "\t\n", "\x7f"):
            body = {series_field: [415446], "customer": {"externalId": value}}
            error = assert_envelope(await http.post(path, json=body), 400, 629)
            assert "customer.externalId" in error["message"]
        empty = {series_field: [415446], "customer": {"externalId": ""}}
        assert_envelope(await http.post(path, json=empty), 400, 756)


# --- coupons per call ---------------------------------------------------------------------------


async def test_more_than_1000_coupons_in_one_call_is_629_naming_count(coupons, series):
    before = await series.GetSeries(series_service_pb2.GetSeriesRequest(series_id=415446))

    too_many = [
        issue([415446, 535521, 415446], 334, mobile=DEMO_MOBILE),
        issue([415446] * 100, 500, mobile=DEMO_MOBILE),
    ]
    for request in too_many:
        failure = await rich_failure(coupons.IssueMultiple(request))
        invalid(failure, "count")
        assert "1000" in failure.message

    after = await series.GetSeries(series_service_pb2.GetSeriesRequest(series_id=415446))
    assert after.num_issued == before.num_issued


async def test_1000_coupons_in_one_call_are_issued(coupons):
    response = await coupons.IssueMultiple(issue([415446, 535521], 500, mobile=DEMO_MOBILE))

    assert (response.successCount, len({c.code for c in response.coupons})) == (1000, 1000)


async def test_rest_refuses_more_than_1000_coupons_per_call(http: httpx.AsyncClient):
    body = {"seriesId": [415446, 535521, 544770], "count": 400, "customer": {"mobile": DEMO_MOBILE}}

    error = assert_envelope(await http.post(ISSUE, json=body), 400, 629)

    assert "count" in error["message"] and "1200" in error["message"]
