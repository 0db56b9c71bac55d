"""The coupon domain: organisations' customers, coupon series and issued coupons."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import NamedTuple

MAX_ID = 2**63 - 1  # Ids are signed 64-bit integers on both doors and in both databases.
# The highest id a caller may choose for a new series or customer. The store numbers a new one
# after the highest it has, so a chosen id near MAX_ID would leave no next id; and up to 2**53 an
# id stays exact as a JSON number in every parser (the REST shim prints ids as numbers).
MAX_CHOSEN_ID = 2**53 - 1
MAX_INT32 = 2**31 - 1  # Amounts, lengths, days and per-customer limits are INTEGER columns.


class DiscountType(enum.Enum):
    ABS = "ABS"
    PERC = "PERC"


class CodeSource(enum.Enum):
    GENERATED = "GENERATED"
    UPLOADED = "UPLOADED"
    GENERIC = "GENERIC"


class CouponValidity(enum.Enum):
    SERIES_EXPIRY = "SERIES_EXPIRY"
    FIXED_DATE = "FIXED_DATE"
    DAYS_AFTER_ISSUE = "DAYS_AFTER_ISSUE"


class IdentifierType(enum.Enum):
    """How a request names a customer; values are the documented JSON names."""

    ID = "id"
    MOBILE = "mobile"
    EMAIL = "email"
    EXTERNAL_ID = "externalId"


@dataclasses.dataclass(frozen=True)
class CustomerRef:
    """Names one customer by exactly one identifier."""

    type: IdentifierType
    value: str

    def lookup_value(self) -> int | str | None:
        """The value to look the customer up by: the number for an id, the text otherwise;
        None for an id no customer can have (not digits, or past int64)."""
        if self.type is not IdentifierType.ID:
            return self.value
        # isdigit alone also takes digits int() refuses, such as "²".
        if not (self.value.isascii() and self.value.isdigit()) or int(self.value) > MAX_ID:
            return None
        return int(self.value)


@dataclasses.dataclass(frozen=True)
class Customer:
    id: int
    first_name: str
    last_name: str
    mobile: str | None
    email: str | None
    external_id: str | None
    created_at: datetime
    updated_at: datetime


@dataclasses.dataclass(frozen=True)
class IssuanceMetadata:
    """Who issued a coupon and why; stored with each coupon for audit."""

    source_type: str = ""
    source_id: str = ""
    source_activity: str = ""
    notes: str = ""
    reason: str = ""


class IssuanceField(NamedTuple):
    """One IssuanceMetadata field: its attribute (and coupons column), its name in the proto
    message and in JSON, and the most characters it holds (its column's size)."""

    attribute: str
    wire: str
    max_length: int


# Where a coupon came from: also what ListSeriesCoupons filters on.
SOURCE_FIELDS = (
    IssuanceField("source_type", "sourceType", 50),
    IssuanceField("source_id", "sourceId", 50),
    IssuanceField("source_activity", "sourceActivity", 50),
)
# Every IssuanceMetadata field, in its order. The checks, both doors' converters and the coupons
# columns take the names and sizes from here; the batch stores' SQL spells the columns out, and
# a test holds openapi.json's maxLength values to these.
ISSUANCE_FIELDS = (
    *SOURCE_FIELDS,
    IssuanceField("notes", "notes", 250),
    IssuanceField("reason", "reason", 250),
)


@dataclasses.dataclass(frozen=True)
class SeriesPolicy:
    """What a series offers and how it issues; everything a creator chooses."""

    description: str = ""
    discount_code: str = ""
    info: str = ""
    discount_type: DiscountType = DiscountType.ABS
    discount_value: int = 0
    discount_upto: int = 0
    discount_on: str = "BILL"
    code_source: CodeSource = CodeSource.GENERATED
    random_code_length: int = 10
    alpha_numeric: bool = False
    code_prefix: str = ""
    code_suffix: str = ""
    generic_code: str = ""
    valid_till: datetime | None = None
    coupon_validity: CouponValidity = CouponValidity.SERIES_EXPIRY
    fixed_expiry_date: datetime | None = None
    valid_days_after_issue: int = 0
    max_create: int | None = None
    multiple_per_user_allowed: bool = False
    max_vouchers_per_user: int | None = None
    do_not_resend_existing: bool = False
    externally_managed: bool = False
    redemption_valid_after_days: int = 0
    custom_properties: Mapping[str, str] = dataclasses.field(default_factory=dict)
    # How often one coupon may be redeemed; for a GENERIC series the per-customer limit, when
    # set, takes its place (each customer's holding of the shared code is one coupon row).
    max_redemptions_per_coupon: int = 1
    max_redemptions_per_customer: int | None = None  # GENERIC only.
    max_redemptions: int | None = None  # GENERIC only: every customer's redemptions together.

    @property
    def uses_per_coupon(self) -> int:
        """How many times one coupon of the series may be redeemed."""
        if self.code_source is CodeSource.GENERIC and self.max_redemptions_per_customer is not None:
            return self.max_redemptions_per_customer
        return self.max_redemptions_per_coupon


@dataclasses.dataclass(frozen=True)
class Series:
    """A coupon series with its policy and the counters the store keeps."""

    id: int
    policy: SeriesPolicy
    num_issued: int = 0
    num_uploaded: int = 0
    latest_issued_at: datetime | None = None
    created_at: datetime | None = None
    num_redeemed: int = 0  # Redemptions not reversed.
    latest_redeemed_at: datetime | None = None  # Kept when that redemption is reversed.

    @property
    def num_uploaded_non_issued(self) -> int:
        if self.policy.code_source is not CodeSource.UPLOADED:
            return 0
        return max(self.num_uploaded - self.num_issued, 0)

    def coupon_valid_till(self, issued_at: datetime) -> datetime | None:
        """When a coupon issued at `issued_at` stops being valid."""
        policy = self.policy
        if policy.coupon_validity is CouponValidity.FIXED_DATE:
            return policy.fixed_expiry_date
        if policy.coupon_validity is CouponValidity.DAYS_AFTER_ISSUE:
            ends = issued_at + timedelta(days=policy.valid_days_after_issue)
            return min(ends, policy.valid_till) if policy.valid_till else ends
        return policy.valid_till


class IssuedCoupon(NamedTuple):
    """A coupon as its call's answer shows it. A tuple: a call of 500 makes 500 of them, and a
    frozen dataclass costs several times as much to build."""

    id: int
    code: str
    series_id: int
    issued_at: datetime
    valid_till: datetime | None
    redemption_count: int = 0


@dataclasses.dataclass(frozen=True)
class Coupon:
    """An issued coupon with its audit trail and what its redemptions left of it."""

    id: int
    code: str
    series_id: int
    customer_id: int
    issued_at: datetime
    valid_till: datetime | None
    redemption_count: int  # Uses taken: redemptions not reversed.
    metadata: IssuanceMetadata
    request_id: str | None
    uses_allowed: int = 1  # The series' SeriesPolicy.uses_per_coupon.
    latest_redeemed_at: datetime | None = None
    revoked_at: datetime | None = None
    revoke_reason: str = ""


@dataclasses.dataclass(frozen=True)
class Redemption:
    """One use of a coupon; a reversal gives the use back and keeps the record."""

    id: int
    coupon_id: int
    code: str
    series_id: int
    customer_id: int
    redeemed_at: datetime
    bill_number: str
    bill_amount: int | None  # In the currency's minor unit.
    reversed_at: datetime | None
    request_id: str | None
