"""Checks that need no data: mandatory fields, counts, metadata lengths, and the ranges every
number, id and date must keep so that both databases and Python's datetime can hold it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

from .codes import MAX_CODE_LENGTH, MIN_CODE_LENGTH
from .errors import (
    INVALID_COUNT_MESSAGE,
    ErrorCode,
    InvalidRequest,
    invalid_input,
    mandatory,
)
from .issuing import MAX_COUNT
from .model import (
    ISSUANCE_FIELDS,
    MAX_CHOSEN_ID,
    MAX_ID,
    MAX_INT32,
    CouponValidity,
    CustomerRef,
    IssuanceField,
    IssuanceMetadata,
    SeriesPolicy,
)

MAX_SERIES_PER_CALL = 100
# The most coupons one call may ask for: series named times count for IssueMultiple, series
# named for BulkIssue. Two series at the documented maximum count of 500 still fit, and an
# issuing batch (at most 5,000 coupons) always has room for several such calls.
MAX_COUPONS_PER_CALL = 1_000
MAX_REQUEST_ID_LENGTH = 128
# Validity and redemption delays in days: a century is longer than any coupon is meant to last,
# and a coupon issued today with it ends in a year every database and datetime hold.
MAX_VALIDITY_DAYS = 36_500
# The dates a series may name. Python's datetime ends at years 1 and 9999; a day inside each
# end keeps every conversion to a time zone (offsets are under a day) inside it too.
EARLIEST_MOMENT = datetime(1, 1, 2, tzinfo=UTC)
LATEST_MOMENT = datetime(9999, 12, 30, tzinfo=UTC)
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def check_text(field: str, value: str) -> None:
    """Refuses characters no database can store (PostgreSQL rejects NUL in text)."""
    if "\x00" in value:
        raise invalid_input(field, f"{field} must not contain NUL characters")


def check_series_ids(series_ids: list[int], field: str) -> None:
    if not series_ids:
        raise mandatory(field, "seriesId is mandatory to set")
    if len(series_ids) > MAX_SERIES_PER_CALL:
        raise invalid_input(field, f"at most {MAX_SERIES_PER_CALL} series ids per call")
    if any(series_id <= 0 for series_id in series_ids):
        raise mandatory(field, "seriesId is mandatory to set")
    if any(series_id > MAX_ID for series_id in series_ids):
        # Not an id any series can have; a database would refuse it mid-batch.
        raise invalid_input(field, f"a series id is at most {MAX_ID}")


def check_series_named_once(series_id_given: bool, series_ids_given: bool) -> None:
    """IssueMultiple names its series in seriesId or in seriesIds: given both, which one the
    caller meant cannot be known. Only a door sees which fields were given (one id list is all
    the use case gets), so each asks here as it translates, before the use case's checks: the
    same refusal wins over gRPC and REST."""
    if series_id_given and series_ids_given:
        raise invalid_input("seriesIds", "set seriesId or seriesIds, not both")


def resolve_count(count: int | None) -> int:
    """The number of coupons per series: 1 when omitted, else 1 to 500."""
    if count is None:
        return 1
    if count <= 0:
        raise mandatory("count", "count should be greater than 0")
    if count > MAX_COUNT:
        raise InvalidRequest(ErrorCode.INVALID_COUNT, INVALID_COUNT_MESSAGE, field="count")
    return count


def check_printable(field: str, value: str) -> None:
    """Refuses control characters in an identifier or a name: people type and read these, so
    a control character means a corrupted value, never a real one (and PostgreSQL refuses NUL).
    """
    if _CONTROL_CHARACTERS.search(value):
        raise invalid_input(field, f"Invalid input: {field} must not contain control characters")


def check_customer(customer: CustomerRef | None) -> CustomerRef:
    """The customer a request names. Missing, empty or only spaces is 756 (not given); control
    characters are 629 (given, but no identifier can hold them), checked before any stripping.
    """
    if customer is not None and customer.value:
        check_printable(f"customer.{customer.type.value}", customer.value)
    if customer is None or not customer.value.strip():
        raise mandatory(
            "customer", "customer is mandatory to set: give mobile, email or externalId"
        )
    return customer


def check_coupons_per_call(count: int, series_ids: Sequence[int], field: str) -> None:
    """Refuses a call asking for more than MAX_COUPONS_PER_CALL coupons in all."""
    total = count * len(series_ids)
    if total > MAX_COUPONS_PER_CALL:
        raise invalid_input(
            field,
            f"Invalid input: {len(series_ids)} series times count {count} asks for {total}"
            f" coupons; one call issues at most {MAX_COUPONS_PER_CALL}",
        )


def is_possible_id(value: int) -> bool:
    """Whether any stored series, customer or coupon can have this id."""
    return 0 < value <= MAX_ID


def check_chosen_id(field: str, value: int | None) -> None:
    """An id a caller picks for a new series or customer; 0 or None lets the store pick."""
    if value and not 0 < value <= MAX_CHOSEN_ID:
        raise invalid_input(
            field, f"Invalid input: {field} must be 1 to {MAX_CHOSEN_ID}, or left out"
        )


def check_policy_limits(policy: SeriesPolicy) -> None:
    """Refuses a number or date of a series that a column could not hold, or that would leave
    the series unable to work out a coupon's validity when it issues one."""
    _check_range("discountValue", policy.discount_value, 0, MAX_INT32)
    _check_range("discountUpto", policy.discount_upto, 0, MAX_INT32)
    _check_range("randomCodeLength", policy.random_code_length, MIN_CODE_LENGTH, MAX_CODE_LENGTH)
    fewest_days = 1 if policy.coupon_validity is CouponValidity.DAYS_AFTER_ISSUE else 0
    _check_range(
        "validDaysAfterIssue", policy.valid_days_after_issue, fewest_days, MAX_VALIDITY_DAYS
    )
    _check_range(
        "redemptionValidAfterDays", policy.redemption_valid_after_days, 0, MAX_VALIDITY_DAYS
    )
    if policy.max_create is not None:
        _check_range("maxCreate", policy.max_create, 0, MAX_ID)
    if policy.max_vouchers_per_user is not None:
        _check_range("maxVouchersPerUser", policy.max_vouchers_per_user, 1, MAX_INT32)
    _check_range("maxRedemptionsPerCoupon", policy.max_redemptions_per_coupon, 1, MAX_INT32)
    if policy.max_redemptions_per_customer is not None:
        _check_range("maxRedemptionsPerCustomer", policy.max_redemptions_per_customer, 1, MAX_INT32)
    if policy.max_redemptions is not None:
        _check_range("maxRedemptions", policy.max_redemptions, 1, MAX_ID)
    _check_moment("validTill", policy.valid_till)
    _check_moment("fixedExpiryDate", policy.fixed_expiry_date)


def _check_range(field: str, value: int, lowest: int, highest: int) -> None:
    if not lowest <= value <= highest:
        raise invalid_input(field, f"{field} must be {lowest} to {highest}")


def _check_moment(field: str, moment: datetime | None) -> None:
    if moment is None:
        return
    if moment.utcoffset() is None:
        raise invalid_input(field, f"{field} must name its time zone")
    if not EARLIEST_MOMENT <= moment <= LATEST_MOMENT:
        raise invalid_input(
            field,
            f"{field} must be between {EARLIEST_MOMENT.date()} and {LATEST_MOMENT.date()} (UTC)",
        )


def check_metadata(metadata: IssuanceMetadata) -> None:
    for field in ISSUANCE_FIELDS:
        check_issuance_text(field, getattr(metadata, field.attribute), f"metadata.{field.wire}")


def check_issuance_text(field: IssuanceField, value: str, name: str) -> None:
    """A value `field` can hold: issued metadata, or a filter on it (`name` is how the request
    names it)."""
    check_text(name, value)
    if len(value) > field.max_length:
        raise invalid_input(
            name, f"Invalid input: {name} is longer than {field.max_length} characters"
        )


def check_request_id(request_id: str | None) -> None:
    if request_id is not None:
        check_text("requestId", request_id)
    if request_id is not None and len(request_id) > MAX_REQUEST_ID_LENGTH:
        raise invalid_input(
            "requestId", f"requestId must be at most {MAX_REQUEST_ID_LENGTH} characters"
        )


MAX_COUPON_CODE_LENGTH = 100  # The coupons.code column.
MAX_BILL_NUMBER_LENGTH = 100
MAX_REVOKE_REASON_LENGTH = 250


def check_coupon_code(field: str, code: str) -> None:
    """A code a caller names to look a coupon up: given, and one a coupon could have."""
    if not code.strip():
        raise mandatory(field, f"{field} is mandatory to set")
    check_printable(field, code)
    if len(code) > MAX_COUPON_CODE_LENGTH:
        raise invalid_input(field, f"{field} takes at most {MAX_COUPON_CODE_LENGTH} characters")


def check_bill(bill_number: str, bill_amount: int | None) -> None:
    check_printable("billNumber", bill_number)
    if len(bill_number) > MAX_BILL_NUMBER_LENGTH:
        raise invalid_input(
            "billNumber", f"billNumber takes at most {MAX_BILL_NUMBER_LENGTH} characters"
        )
    if bill_amount is not None:
        _check_range("billAmount", bill_amount, 0, MAX_ID)


def check_revoke_reason(reason: str) -> None:
    check_text("reason", reason)
    if len(reason) > MAX_REVOKE_REASON_LENGTH:
        raise invalid_input("reason", f"reason takes at most {MAX_REVOKE_REASON_LENGTH} characters")
