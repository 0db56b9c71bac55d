"""Values at the edges of their types: every number, id, date and page token a request can carry
is refused before any I/O (629, 707 or 701) when the code or a database could not hold it."""

from __future__ import annotations

import base64
import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import given
from hypothesis import strategies as st

from coupon.v1 import series_service_pb2
from coupon_service.domain.errors import (
    CouponServiceError,
    ErrorCode,
    ErrorKind,
    InvalidRequest,
    NotFound,
)
from coupon_service.domain.model import (
    MAX_CHOSEN_ID,
    MAX_ID,
    MAX_INT32,
    CouponValidity,
    Customer,
    CustomerRef,
    IdentifierType,
    Series,
    SeriesPolicy,
)
from coupon_service.domain.validation import (
    EARLIEST_MOMENT,
    LATEST_MOMENT,
    MAX_COUPONS_PER_CALL,
    MAX_SERIES_PER_CALL,
    MAX_VALIDITY_DAYS,
    check_chosen_id,
    check_coupons_per_call,
    check_customer,
    check_policy_limits,
)
from coupon_service.entrypoints import converters
from coupon_service.service import customers, series
from coupon_service.service.issuing import (
    MAX_BATCH_COUPONS,
    BulkIssueRequest,
    IssueRequest,
    bulk_issue,
    issue_multiple,
)
from coupon_service.service.paging import page_after, read_page_token
from tests.fakes import FakeDatabase, FakeUnitOfWork

ORG = 7
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
DEMO = CustomerRef(IdentifierType.MOBILE, "11223569865")


def refused(error: pytest.ExceptionInfo[CouponServiceError], code: int, field: str) -> None:
    assert error.value.code == code
    assert error.value.field == field
    assert error.value.kind is ErrorKind.INVALID_ARGUMENT
    assert field in error.value.message


def token(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.fixture
def uow() -> FakeUnitOfWork:
    """A store whose transactions fail: a check that passes reaches it and the test fails."""
    return FakeUnitOfWork(FakeDatabase())


# --- the series policy --------------------------------------------------------------------------

DAYS = CouponValidity.DAYS_AFTER_ISSUE
REFUSED_POLICIES = [
    pytest.param({"coupon_validity": DAYS, "valid_days_after_issue": 2**31 - 1}, id="days-int32"),
    pytest.param({"coupon_validity": DAYS, "valid_days_after_issue": 3_000_000}, id="days-3m"),
    pytest.param({"coupon_validity": DAYS, "valid_days_after_issue": 36_501}, id="days-36501"),
    pytest.param({"coupon_validity": DAYS, "valid_days_after_issue": -1}, id="days-negative"),
    pytest.param({"valid_days_after_issue": 10**6}, id="days-unused-but-stored"),
    pytest.param({"redemption_valid_after_days": 36_501}, id="redemption-days-over"),
    pytest.param({"redemption_valid_after_days": -1}, id="redemption-days-negative"),
    pytest.param({"discount_value": 2**31}, id="discount-past-int32"),
    pytest.param({"discount_upto": -1}, id="discount-upto-negative"),
    pytest.param({"max_create": 2**63}, id="max-create-past-int64"),
    pytest.param({"max_create": -1}, id="max-create-negative"),
    pytest.param({"max_vouchers_per_user": 2**31}, id="per-user-past-int32"),
    pytest.param({"max_vouchers_per_user": 0}, id="per-user-zero"),
    pytest.param({"random_code_length": 2**31 - 1}, id="code-length-int32"),
    pytest.param({"random_code_length": -4}, id="code-length-negative"),
    pytest.param({"valid_till": datetime(9999, 12, 31, tzinfo=UTC)}, id="valid-till-9999-12-31"),
    pytest.param({"valid_till": datetime(1, 1, 1, tzinfo=UTC)}, id="valid-till-year-1"),
    pytest.param({"valid_till": datetime(2030, 1, 1)}, id="valid-till-naive"),
    pytest.param(
        {"fixed_expiry_date": LATEST_MOMENT + timedelta(microseconds=1)}, id="fixed-past-latest"
    ),
]
FIELD_OF = {
    "coupon_validity": "validDaysAfterIssue",
    "valid_days_after_issue": "validDaysAfterIssue",
    "redemption_valid_after_days": "redemptionValidAfterDays",
    "discount_value": "discountValue",
    "discount_upto": "discountUpto",
    "max_create": "maxCreate",
    "max_vouchers_per_user": "maxVouchersPerUser",
    "random_code_length": "randomCodeLength",
    "valid_till": "validTill",
    "fixed_expiry_date": "fixedExpiryDate",
}


@pytest.mark.parametrize("fields", REFUSED_POLICIES)
async def test_a_series_no_column_or_datetime_could_hold_is_629_naming_the_field(
    uow: FakeUnitOfWork, fields: dict[str, object]
) -> None:
    field = FIELD_OF[next(name for name in fields if name != "coupon_validity")]

    with pytest.raises(InvalidRequest) as caught:
        await series.create_series(uow, ORG, None, SeriesPolicy(**fields))  # type: ignore[arg-type]

    refused(caught, 629, field)


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"coupon_validity": DAYS, "valid_days_after_issue": 36_500}, id="days-max"),
        pytest.param({"coupon_validity": DAYS, "valid_days_after_issue": 1}, id="days-min"),
        pytest.param({"redemption_valid_after_days": 36_500}, id="redemption-days-max"),
        pytest.param({"discount_value": MAX_INT32, "discount_upto": MAX_INT32}, id="discounts"),
        pytest.param({"max_create": MAX_ID, "random_code_length": 20}, id="max-create-int64"),
        pytest.param({"max_create": 0}, id="max-create-zero"),
        pytest.param({"max_vouchers_per_user": MAX_INT32}, id="per-user-int32"),
        pytest.param({"valid_till": LATEST_MOMENT, "fixed_expiry_date": LATEST_MOMENT}, id="last"),
        pytest.param({"valid_till": EARLIEST_MOMENT}, id="earliest"),
        pytest.param(
            {"valid_till": datetime(2030, 1, 1, tzinfo=timezone(timedelta(hours=-12)))},
            id="other-time-zone",
        ),
    ],
)
def test_a_series_at_the_edge_of_every_range_is_accepted(fields: dict[str, object]) -> None:
    policy = SeriesPolicy(**fields)  # type: ignore[arg-type]

    assert series.check_policy(policy) is None


def test_the_longest_validity_ends_where_every_database_and_datetime_hold_it() -> None:
    assert MAX_VALIDITY_DAYS == 36_500
    policy = SeriesPolicy(coupon_validity=DAYS, valid_days_after_issue=MAX_VALIDITY_DAYS)

    ends = Series(1, policy).coupon_valid_till(NOW)

    assert ends == NOW + timedelta(days=36_500)
    assert ends is not None and ends.year == 2126


@given(
    days=st.integers(min_value=-(2**31), max_value=2**31 - 1),
    valid_till=st.none() | st.datetimes(timezones=st.just(UTC)),
    issued_at=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
    ),
)
def test_every_series_accepted_can_work_out_the_validity_of_a_coupon_it_issues(
    days: int, valid_till: datetime | None, issued_at: datetime
) -> None:
    policy = SeriesPolicy(coupon_validity=DAYS, valid_days_after_issue=days, valid_till=valid_till)
    try:
        check_policy_limits(policy)
    except InvalidRequest:
        return

    ends = Series(1, policy).coupon_valid_till(issued_at)

    assert ends is not None and EARLIEST_MOMENT <= ends <= issued_at + timedelta(days=days)
    for hours in (-23, 23):  # Rendered in any time zone without leaving datetime's years.
        assert ends.astimezone(timezone(timedelta(hours=hours))) == ends


@pytest.mark.parametrize(
    ("stamp", "field"),
    [
        pytest.param(Timestamp(seconds=2**62), "valid_till", id="seconds-2**62"),
        pytest.param(Timestamp(seconds=253402300800), "valid_till", id="year-10000"),
        pytest.param(Timestamp(seconds=-62135596801), "fixed_expiry_date", id="year-0"),
        pytest.param(Timestamp(seconds=0, nanos=-1), "fixed_expiry_date", id="negative-nanos"),
        pytest.param(Timestamp(seconds=0, nanos=10**9), "valid_till", id="nanos-a-second"),
    ],
)
def test_a_timestamp_python_cannot_hold_is_629_naming_the_field(
    stamp: Timestamp, field: str
) -> None:
    message = series_service_pb2.Series(**{field: stamp})

    with pytest.raises(InvalidRequest) as caught:
        converters.series_policy(message)

    refused(caught, 629, {"valid_till": "validTill", "fixed_expiry_date": "fixedExpiryDate"}[field])


# --- ids ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("chosen", [None, 0, 1, MAX_CHOSEN_ID])
def test_a_chosen_id_up_to_2_to_the_53_is_accepted(chosen: int | None) -> None:
    assert MAX_CHOSEN_ID == 2**53 - 1
    assert check_chosen_id("id", chosen) is None


@pytest.mark.parametrize("chosen", [-1, -(2**63), MAX_CHOSEN_ID + 1, MAX_ID, 2**64])
async def test_a_chosen_id_the_store_could_not_number_after_is_629(
    uow: FakeUnitOfWork, chosen: int
) -> None:
    with pytest.raises(InvalidRequest) as series_refused:
        await series.create_series(uow, ORG, chosen, SeriesPolicy())
    epoch = datetime.fromtimestamp(0, UTC)
    customer = Customer(chosen, "", "", "919900000001", None, None, epoch, epoch)
    with pytest.raises(InvalidRequest) as customer_refused:
        await customers.create_customer(uow, ORG, customer)

    refused(series_refused, 629, "id")
    refused(customer_refused, 629, "id")


@pytest.mark.parametrize("series_id", [0, -1, -(2**63), MAX_ID + 1, 2**100])
async def test_a_series_id_no_series_can_have_is_707_without_a_lookup(
    uow: FakeUnitOfWork, series_id: int
) -> None:
    with pytest.raises(NotFound) as read:
        await series.get_series(uow, ORG, series_id)
    with pytest.raises(NotFound) as uploaded:
        await series.upload_codes(uow, ORG, series_id, ["CODE1"])

    assert read.value.code == uploaded.value.code == ErrorCode.SERIES_INVALID


@pytest.mark.parametrize("value", ["²", "\u0661\u0662", str(2**63), "-1", "1e3", " 1"])
def test_a_customer_id_no_customer_can_have_is_looked_up_as_none(value: str) -> None:
    assert CustomerRef(IdentifierType.ID, value).lookup_value() is None


# --- page tokens and sizes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f"after:{2**63}",
        f"after:{2**64 + 5}",
        "after:" + "9" * 5000,
        "after:-1",
        f"after:-{2**63}",
        "after:0",
        "after:1_000",
        "after: 5",
        "after:\u0665",  # An Arabic-Indic five: a digit to isdigit, not to the token.
        "5",
        "after:",
    ],
)
def test_a_page_token_naming_no_storable_id_is_629(text: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        read_page_token(token(text))

    refused(caught, 629, "pageToken")


def test_every_token_given_out_is_read_back_up_to_int64() -> None:
    assert read_page_token(token(f"after:{MAX_ID}")) == MAX_ID
    page = page_after([1, 2, 3, MAX_ID - 1, MAX_ID], 4, key=lambda item: item)

    assert read_page_token(page.next_page_token) == MAX_ID - 1


@pytest.mark.parametrize(
    ("page_size", "page_token", "field"),
    [(0, token(f"after:{2**63}"), "pageToken"), (-1, "", "pageSize"), (2**31 - 1, "", "pageSize")],
)
async def test_listing_with_paging_out_of_range_reads_nothing(
    uow: FakeUnitOfWork, page_size: int, page_token: str, field: str
) -> None:
    with pytest.raises(InvalidRequest) as listed_series:
        await series.list_series(uow, ORG, page_size, page_token)
    with pytest.raises(InvalidRequest) as listed_coupons:
        await customers.list_customer_coupons(uow, ORG, DEMO, None, page_size, page_token)

    refused(listed_series, 629, field)
    refused(listed_coupons, 629, field)


@pytest.mark.parametrize("series_id", [-1, -(2**63), MAX_ID + 1])
async def test_listing_coupons_of_a_series_no_series_can_have_is_629(
    uow: FakeUnitOfWork, series_id: int
) -> None:
    with pytest.raises(InvalidRequest) as caught:
        await customers.list_customer_coupons(uow, ORG, DEMO, series_id, 0, "")

    refused(caught, 629, "seriesId")


# --- identifiers and names ----------------------------------------------------------------------

CONTROL_ONLY = ["\x01\x02", "\x1c\x1d\x1e\x1f", "\t", "\r\n", "\x7f", "\x85\x9f"]


@pytest.mark.parametrize("value", CONTROL_ONLY)
@pytest.mark.parametrize("kind", list(IdentifierType))
async def test_an_identifier_of_control_characters_is_629_not_756(
    uow: FakeUnitOfWork, value: str, kind: IdentifierType
) -> None:
    with pytest.raises(InvalidRequest) as caught:
        await customers.get_customer(uow, ORG, CustomerRef(kind, value))

    refused(caught, 629, f"customer.{kind.value}")


@pytest.mark.parametrize("ref", [None, CustomerRef(IdentifierType.EXTERNAL_ID, "")])
async def test_a_missing_or_empty_identifier_stays_756(
    uow: FakeUnitOfWork, ref: CustomerRef | None
) -> None:
    with pytest.raises(InvalidRequest) as looked_up:
        await customers.get_customer(uow, ORG, ref)
    with pytest.raises(InvalidRequest) as issued:
        await issue_multiple(uow, ORG, IssueRequest([1], 1, ref))

    refused(looked_up, 756, "customer")
    refused(issued, 756, "customer")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("externalId", "\x01\x02"),
        ("externalId", "crm\x1f1"),
        ("mobile", "9199\t00001"),
        ("email", "a\x7f@example.com"),
        ("firstName", "\x1b[31m"),
        ("lastName", "Gupta\n"),
    ],
)
def test_a_new_customer_with_control_characters_is_629_naming_the_field(
    field: str, value: str
) -> None:
    epoch = datetime.fromtimestamp(0, UTC)
    customer = Customer(0, "Abijith", "Gupta", "919900000001", None, "crm-1", epoch, epoch)
    attribute = {
        "externalId": "external_id",
        "mobile": "mobile",
        "email": "email",
        "firstName": "first_name",
        "lastName": "last_name",
    }[field]
    broken = dataclasses.replace(customer, **{attribute: value})

    with pytest.raises(InvalidRequest) as caught:
        customers.check_customer_fields(broken)

    refused(caught, 629, field)


def test_an_identifier_with_spaces_only_is_blank_and_756() -> None:
    with pytest.raises(InvalidRequest) as caught:
        check_customer(CustomerRef(IdentifierType.EXTERNAL_ID, "   "))
    assert caught.value.code == ErrorCode.MANDATORY_FIELD


# --- coupons per call ---------------------------------------------------------------------------


def test_the_cap_on_coupons_per_call_sits_well_inside_a_batch() -> None:
    assert MAX_COUPONS_PER_CALL == 1_000
    assert MAX_COUPONS_PER_CALL * 5 <= MAX_BATCH_COUPONS
    assert MAX_SERIES_PER_CALL <= MAX_COUPONS_PER_CALL  # BulkIssue: one coupon per series


@pytest.mark.parametrize(
    ("count", "series_count"), [(500, 2), (10, 100), (1, 100), (1000 // 3, 3), (500, 1)]
)
def test_calls_up_to_1000_coupons_in_all_pass(count: int, series_count: int) -> None:
    assert check_coupons_per_call(count, list(range(1, series_count + 1)), "count") is None


@pytest.mark.parametrize(
    ("count", "series_ids"),
    [
        pytest.param(500, list(range(1, 101)), id="100x500"),
        pytest.param(334, [1, 2, 3], id="3x334"),
        pytest.param(11, list(range(1, 101)), id="100x11"),
        pytest.param(500, [415446] * 3, id="one-series-thrice"),
    ],
)
async def test_issue_multiple_asking_for_more_than_1000_coupons_is_629_naming_count(
    uow: FakeUnitOfWork, count: int, series_ids: list[int]
) -> None:
    with pytest.raises(InvalidRequest) as caught:
        await issue_multiple(uow, ORG, IssueRequest(series_ids, count, DEMO), now=NOW)

    refused(caught, 629, "count")
    assert str(count * len(series_ids)) in caught.value.message
    assert "1000" in caught.value.message
    assert uow.database.commits == uow.database.rollbacks == 0


async def test_bulk_issue_stays_within_the_cap_by_its_series_limit(uow: FakeUnitOfWork) -> None:
    request = BulkIssueRequest(list(range(1, MAX_SERIES_PER_CALL + 2)), DEMO)

    with pytest.raises(InvalidRequest) as caught:
        await bulk_issue(uow, ORG, request, now=NOW)

    assert (caught.value.code, caught.value.field) == (ErrorCode.INVALID_INPUT, "seriesIds")
