"""SeriesService over a real channel: creating series of every code source and validity, reading
them back, listing them page by page, and the uploads it refuses."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from coupon.v1 import series_service_pb2
from tests.e2e.helpers.demo import DEMO_MOBILE
from tests.e2e.helpers.grpc_calls import assert_failure, issue, rich_failure
from tests.e2e.helpers.management import create

DOCUMENTED_SERIES = {415446, 535521, 18426, 544770, 553379, 96004, 700001, 700002}


def timestamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


# --- CreateSeries and GetSeries ---------------------------------------------------------------


async def test_generated_series_issues_codes_of_its_shape(series, coupons):
    valid_till = datetime(2030, 1, 1, tzinfo=UTC)
    created = await series.CreateSeries(
        create(
            description="Summer sale",
            info="15% off, up to 300",
            discount_type=series_service_pb2.DISCOUNT_TYPE_PERC,
            discount_value=15,
            discount_upto=300,
            code_source=series_service_pb2.CODE_SOURCE_GENERATED,
            random_code_length=8,
            alpha_numeric=True,
            code_prefix="SUM-",
            code_suffix="-X",
            valid_till=timestamp(valid_till),
            max_create=100,
            is_multiple_vouchers_per_user_allowed=True,
            max_vouchers_per_user=2,
            custom_property_map={"channel": "app"},
        )
    )

    assert created.id > 0
    assert (created.description, created.discount_value, created.max_create) == (
        "Summer sale",
        15,
        100,
    )
    assert created.discount_type == series_service_pb2.DISCOUNT_TYPE_PERC
    assert created.HasField("max_vouchers_per_user") and created.max_vouchers_per_user == 2
    assert created.valid_till.ToDatetime(tzinfo=UTC) == valid_till
    assert created.num_issued == 0 and created.HasField("create_time")

    response = await coupons.IssueMultiple(issue(created.id, 3, mobile=DEMO_MOBILE))

    assert (response.successCount, response.failureCount) == (2, 1)
    assert [e.code for e in response.errors] == [5002]
    for coupon in response.coupons:
        assert re.fullmatch(r"SUM-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}-X", coupon.code)
        assert coupon.validTill.ToDatetime(tzinfo=UTC) == valid_till
    config = response.couponConfig
    assert (config.discountType, config.discountValue, config.discountUpto) == ("PERC", 15, 300)
    assert (config.randomCodeLength, config.alphaNumeric) == (8, True)
    assert dict(config.customPropertyMap) == {"channel": "app"}
    assert config.discountCode == "NO_VALUE"

    found = await series.GetSeries(series_service_pb2.GetSeriesRequest(series_id=created.id))

    assert found.num_issued == 2
    assert found.HasField("latest_issual_time")
    assert found.description == "Summer sale"


async def test_series_with_a_chosen_id_is_found_by_it(series):
    created = await series.CreateSeries(create(id=123456, description="Chosen", discount_value=5))

    found = await series.GetSeries(series_service_pb2.GetSeriesRequest(series_id=123456))

    assert created.id == found.id == 123456
    assert found.code_source == series_service_pb2.CODE_SOURCE_GENERATED
    assert found.random_code_length == 10
    assert found.discount_on == "BILL"
    assert not found.HasField("max_create")


async def test_series_id_already_taken_is_already_exists(series):
    failure = await rich_failure(series.CreateSeries(create(id=415446, description="Again")))

    assert_failure(failure, grpc.StatusCode.ALREADY_EXISTS, 629, "INVALID_INPUT")
    found = await series.GetSeries(series_service_pb2.GetSeriesRequest(series_id=415446))
    assert found.description == "IKEA - 500KW Voucher "


async def test_uploaded_series_issues_its_pool_once(series, coupons):
    created = await series.CreateSeries(
        create(
            description="Uploaded",
            code_source=series_service_pb2.CODE_SOURCE_UPLOADED,
            is_multiple_vouchers_per_user_allowed=True,
        )
    )

    uploaded = await series.UploadCodes(
        series_service_pb2.UploadCodesRequest(
            series_id=created.id, codes=["UP-1", "UP-2", "UP-2", "DEMO0001"]
        )
    )

    assert uploaded.uploaded_count == 2
    assert sorted(uploaded.duplicate_codes) == ["DEMO0001", "UP-2"]
    assert (uploaded.num_uploaded_total, uploaded.num_uploaded_non_issued) == (2, 2)

    response = await coupons.IssueMultiple(issue(created.id, 3, mobile=DEMO_MOBILE))

    assert sorted(c.code for c in response.coupons) == ["UP-1", "UP-2"]
    assert [e.code for e in response.errors] == [5005]
    found = await series.GetSeries(series_service_pb2.GetSeriesRequest(series_id=created.id))
    assert (found.num_uploaded_total, found.num_uploaded_non_issued, found.num_issued) == (2, 0, 2)


async def test_ten_thousand_codes_upload_in_one_call(series):
    codes = [f"BATCH-{number:05d}" for number in range(10_000)]

    uploaded = await series.UploadCodes(
        series_service_pb2.UploadCodesRequest(series_id=700001, codes=codes), timeout=30
    )

    assert uploaded.uploaded_count == 10_000
    assert list(uploaded.duplicate_codes) == []
    assert (uploaded.num_uploaded_total, uploaded.num_uploaded_non_issued) == (10_100, 10_100)


async def test_generic_series_gives_every_customer_the_same_code(series, coupons):
    created = await series.CreateSeries(
        create(
            description="Generic",
            code_source=series_service_pb2.CODE_SOURCE_GENERIC,
            generic_code="SUMMER10",
            is_multiple_vouchers_per_user_allowed=True,
        )
    )

    first = await coupons.IssueMultiple(issue(created.id, 1, mobile=DEMO_MOBILE))
    second = await coupons.IssueMultiple(issue(created.id, 1, mobile="919900000001"))

    assert [c.code for c in first.coupons] == [c.code for c in second.coupons] == ["SUMMER10"]
    assert first.coupons[0].couponId != second.coupons[0].couponId
    found = await series.GetSeries(series_service_pb2.GetSeriesRequest(series_id=created.id))
    assert found.num_issued == 2


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        pytest.param(
            {"random_code_length": 4, "max_create": 10_000}, "randomCodeLength", id="4-digits-10k"
        ),
        pytest.param({"random_code_length": 4}, "randomCodeLength", id="4-digits-unlimited"),
        pytest.param(
            {"random_code_length": 3, "max_create": 1}, "randomCodeLength", id="too-short"
        ),
        pytest.param({"random_code_length": 33}, "randomCodeLength", id="too-long"),
        pytest.param(
            {"code_source": series_service_pb2.CODE_SOURCE_GENERIC}, "genericCode", id="no-code"
        ),
        pytest.param(
            {"coupon_validity": series_service_pb2.COUPON_VALIDITY_FIXED_DATE},
            "fixedExpiryDate",
            id="fixed-without-date",
        ),
        pytest.param(
            {"coupon_validity": series_service_pb2.COUPON_VALIDITY_DAYS_AFTER_ISSUE},
            "validDaysAfterIssue",
            id="zero-days",
        ),
        pytest.param({"discount_value": -1}, "discountValue", id="negative-discount"),
        pytest.param({"max_create": -1}, "maxCreate", id="negative-max-create"),
        pytest.param({"max_vouchers_per_user": 0}, "maxVouchersPerUser", id="zero-per-user"),
        pytest.param({"code_prefix": "P" * 17}, "codePrefix", id="long-prefix"),
        pytest.param({"id": -5}, "id", id="negative-id"),
    ],
)
async def test_series_that_could_not_keep_its_promise_is_refused(series, fields, field):
    failure = await rich_failure(series.CreateSeries(create(description="Refused", **fields)))

    assert_failure(failure, grpc.StatusCode.INVALID_ARGUMENT, 629, "INVALID_INPUT", field=field)
    listed = await series.ListSeries(series_service_pb2.ListSeriesRequest(page_size=1000))
    assert "Refused" not in {item.description for item in listed.series}


@pytest.mark.parametrize(
    ("length", "alpha_numeric", "max_create"),
    [(5, False, 10_000), (6, True, None), (8, False, None)],
)
async def test_series_with_just_enough_room_is_accepted(series, length, alpha_numeric, max_create):
    created = await series.CreateSeries(
        create(random_code_length=length, alpha_numeric=alpha_numeric, max_create=max_create)
    )

    assert created.random_code_length == length


async def test_externally_managed_series_cannot_be_issued_here(series, coupons):
    created = await series.CreateSeries(create(description="Third party", externally_managed=True))

    failure = await rich_failure(coupons.IssueMultiple(issue(created.id, 1, mobile=DEMO_MOBILE)))

    assert_failure(
        failure,
        grpc.StatusCode.NOT_FOUND,
        707,
        "SERIES_INVALID",
        metadata={"seriesId": str(created.id)},
    )


async def test_fixed_expiry_date_in_the_past_is_713(series, coupons):
    created = await series.CreateSeries(
        create(
            coupon_validity=series_service_pb2.COUPON_VALIDITY_FIXED_DATE,
            fixed_expiry_date=timestamp(datetime(2024, 6, 1, tzinfo=UTC)),
            is_multiple_vouchers_per_user_allowed=True,
        )
    )

    failure = await rich_failure(coupons.IssueMultiple(issue(created.id, 1, mobile=DEMO_MOBILE)))

    assert_failure(
        failure,
        grpc.StatusCode.FAILED_PRECONDITION,
        713,
        "EXPIRED",
        metadata={"seriesId": str(created.id)},
    )


async def test_days_after_issue_sets_each_coupon_expiry(series, coupons):
    created = await series.CreateSeries(
        create(
            coupon_validity=series_service_pb2.COUPON_VALIDITY_DAYS_AFTER_ISSUE,
            valid_days_after_issue=30,
            is_multiple_vouchers_per_user_allowed=True,
        )
    )

    response = await coupons.IssueMultiple(issue(created.id, 1, mobile=DEMO_MOBILE))

    [coupon] = response.coupons
    lasts = coupon.validTill.ToDatetime(tzinfo=UTC) - coupon.issuedAt.ToDatetime(tzinfo=UTC)
    assert abs(lasts - timedelta(days=30)) <= timedelta(seconds=1)


async def test_one_per_customer_series_at_its_limit_is_626_not_679(series, coupons):
    created = await series.CreateSeries(
        create(is_multiple_vouchers_per_user_allowed=False, max_create=1)
    )
    await coupons.IssueMultiple(issue(created.id, 1, mobile=DEMO_MOBILE))

    # The second customer holds none: the series limit, not "one per customer", stops it.
    failure = await rich_failure(coupons.IssueMultiple(issue(created.id, 2, mobile="919900000001")))

    assert_failure(
        failure,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        626,
        "SERIES_LIMIT_REACHED",
        metadata={"seriesId": str(created.id)},
    )


async def test_unknown_series_is_707(series):
    failure = await rich_failure(
        series.GetSeries(series_service_pb2.GetSeriesRequest(series_id=42))
    )

    assert_failure(
        failure, grpc.StatusCode.NOT_FOUND, 707, "SERIES_INVALID", metadata={"seriesId": "42"}
    )


# --- ListSeries -----------------------------------------------------------------------------


async def test_list_series_walks_every_page(series):
    everything = await series.ListSeries(series_service_pb2.ListSeriesRequest())
    all_ids = [item.id for item in everything.series]
    assert everything.next_page_token == ""
    assert DOCUMENTED_SERIES <= set(all_ids)
    assert all_ids == sorted(all_ids)

    walked, token, pages = [], "", 0
    while True:
        page = await series.ListSeries(
            series_service_pb2.ListSeriesRequest(page_size=2, page_token=token)
        )
        pages += 1
        assert 1 <= len(page.series) <= 2
        walked += [item.id for item in page.series]
        token = page.next_page_token
        if not token:
            break

    assert walked == all_ids
    assert pages == (len(all_ids) + 1) // 2


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [
        pytest.param({"page_token": "not-a-token"}, "pageToken", id="garbage-token"),
        pytest.param({"page_token": "YWZ0ZXI6eA=="}, "pageToken", id="token-after-x"),
        pytest.param({"page_size": -1}, "pageSize", id="negative-size"),
        pytest.param({"page_size": 1001}, "pageSize", id="size-over-1000"),
    ],
)
async def test_list_series_bad_paging_is_invalid_argument(series, request_fields, field):
    failure = await rich_failure(
        series.ListSeries(series_service_pb2.ListSeriesRequest(**request_fields))
    )

    assert_failure(failure, grpc.StatusCode.INVALID_ARGUMENT, 629, "INVALID_INPUT", field=field)


# --- UploadCodes refusals ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("series_id", "codes", "field"),
    [
        pytest.param(415446, ["GEN-1"], "seriesId", id="generated-series"),
        pytest.param(18426, ["GEN-1"], "seriesId", id="generic-series"),
        pytest.param(700001, [f"C{n}" for n in range(10_001)], "codes", id="10001-codes"),
        pytest.param(700001, [], "codes", id="no-codes"),
        pytest.param(700001, ["has space"], "codes", id="bad-character"),
        pytest.param(700001, ["X" * 65], "codes", id="65-characters"),
    ],
)
async def test_upload_refused(series, series_id, codes, field):
    failure = await rich_failure(
        series.UploadCodes(series_service_pb2.UploadCodesRequest(series_id=series_id, codes=codes))
    )

    assert_failure(failure, grpc.StatusCode.INVALID_ARGUMENT, 629, "INVALID_INPUT", field=field)
    pool = await series.GetSeries(series_service_pb2.GetSeriesRequest(series_id=700001))
    assert pool.num_uploaded_total == 100


@pytest.mark.parametrize("series_id", [0, -1, 999_999])
async def test_upload_to_unknown_series_is_707(series, series_id):
    failure = await rich_failure(
        series.UploadCodes(series_service_pb2.UploadCodesRequest(series_id=series_id, codes=["A"]))
    )

    assert_failure(
        failure,
        grpc.StatusCode.NOT_FOUND,
        707,
        "SERIES_INVALID",
        metadata={"seriesId": str(series_id)},
    )
