"""Use cases for coupon series: create, read, list, and upload codes to a pool."""

from __future__ import annotations

import dataclasses

from ..domain.codes import UPLOADED_CODE_PATTERN, check_capacity
from ..domain.errors import AlreadyExists, ErrorCode, invalid_input, series_not_found
from ..domain.model import CodeSource, CouponValidity, Series, SeriesPolicy
from ..domain.validation import check_chosen_id, check_policy_limits, check_text, is_possible_id
from .batch_store import BatchStore, SeriesKey
from .paging import Page, page_after, page_size_or_default, read_page_token
from .telemetry import telemetry_of
from .unit_of_work import IdentifierTaken, UnitOfWork

MAX_CODES_PER_UPLOAD = 10_000
_MAX_AFFIX = 16


@dataclasses.dataclass(frozen=True)
class UploadResult:
    uploaded_count: int
    duplicate_codes: list[str]
    series: Series


# The longest text each field may hold (the columns' sizes).
_TEXT_LIMITS = {
    "description": 500,
    "discountCode": 100,
    "info": 2000,
    "discountOn": 32,
    "codePrefix": _MAX_AFFIX,
    "codeSuffix": _MAX_AFFIX,
    "genericCode": 64,
}


def _check_texts(policy: SeriesPolicy) -> None:
    texts = {
        "description": policy.description,
        "discountCode": policy.discount_code,
        "info": policy.info,
        "discountOn": policy.discount_on,
        "codePrefix": policy.code_prefix,
        "codeSuffix": policy.code_suffix,
        "genericCode": policy.generic_code,
    }
    for field, text in texts.items():
        check_text(field, text)
        if len(text) > _TEXT_LIMITS[field]:
            raise invalid_input(field, f"{field} takes at most {_TEXT_LIMITS[field]} characters")
    for key, value in policy.custom_properties.items():
        check_text("customPropertyMap", key + value)


def check_policy(policy: SeriesPolicy) -> None:
    """Refuses a policy that could never issue what it promises."""
    _check_texts(policy)
    check_policy_limits(policy)
    if policy.code_source is CodeSource.GENERATED:
        check_capacity(policy.random_code_length, policy.alpha_numeric, policy.max_create)
    if policy.code_source is CodeSource.GENERIC and not UPLOADED_CODE_PATTERN.match(
        policy.generic_code
    ):
        raise invalid_input(
            "genericCode",
            "a GENERIC series needs a genericCode of 1 to 64 letters, digits, '-' or '_'",
        )
    if policy.coupon_validity is CouponValidity.FIXED_DATE and policy.fixed_expiry_date is None:
        raise invalid_input("fixedExpiryDate", "a FIXED_DATE validity needs fixedExpiryDate")
    if policy.code_source is not CodeSource.GENERIC:
        for field, limit in (
            ("maxRedemptionsPerCustomer", policy.max_redemptions_per_customer),
            ("maxRedemptions", policy.max_redemptions),
        ):
            if limit is not None:
                raise invalid_input(field, f"{field} applies to a GENERIC series only")


async def create_series(
    uow: UnitOfWork, org_id: int, series_id: int | None, policy: SeriesPolicy
) -> Series:
    check_chosen_id("id", series_id)
    check_policy(policy)
    try:
        async with uow.transaction() as tx:
            created = await tx.series.add(org_id, series_id, policy)
    except IdentifierTaken as taken:
        raise AlreadyExists(
            ErrorCode.INVALID_INPUT,
            f"a series with this {taken.field} already exists",
            field=taken.field,
        ) from None
    if policy.code_source is CodeSource.UPLOADED:  # Its pool is watched from the start: empty.
        telemetry_of(uow).pools_left({(org_id, created.id): 0})
    return created


async def get_series(uow: UnitOfWork, org_id: int, series_id: int) -> Series:
    if not is_possible_id(series_id):
        raise series_not_found(series_id)
    async with uow.transaction() as tx:
        series = await tx.series.get(org_id, series_id)
    if series is None:
        raise series_not_found(series_id)
    return series


async def list_series(
    uow: UnitOfWork, org_id: int, page_size: int, page_token: str
) -> Page[Series]:
    after_id, limit = read_page_token(page_token), page_size_or_default(page_size)
    async with uow.transaction() as tx:
        found = await tx.series.list(org_id, after_id, limit + 1)
    return page_after(found, limit, key=lambda series: series.id)


async def upload_codes(
    uow: UnitOfWork, org_id: int, series_id: int, codes: list[str]
) -> UploadResult:
    """Adds codes to an UPLOADED series' pool, skipping any the organisation already has."""
    if not is_possible_id(series_id):
        raise series_not_found(series_id)
    if not 1 <= len(codes) <= MAX_CODES_PER_UPLOAD:
        raise invalid_input("codes", f"upload 1 to {MAX_CODES_PER_UPLOAD} codes per call")
    bad = next((code for code in codes if not UPLOADED_CODE_PATTERN.match(code)), None)
    if bad is not None:
        raise invalid_input("codes", f"code {bad[:70]!r} is not 1 to 64 letters, digits, - or _")
    unique = list(dict.fromkeys(codes))
    added, series = await uow.run_batch(
        lambda store: _add_to_pool(store, (org_id, series_id), unique)
    )
    added_set = set(added)
    seen: set[str] = set()
    repeated = [code for code in codes if code in seen or seen.add(code)]  # type: ignore[func-returns-value]
    duplicates = [code for code in unique if code not in added_set]
    telemetry_of(uow).pools_left({(org_id, series_id): series.num_uploaded_non_issued})
    return UploadResult(len(added), list(dict.fromkeys(duplicates + repeated)), series)


def _add_to_pool(store: BatchStore, key: SeriesKey, codes: list[str]) -> tuple[list[str], Series]:
    """The upload's one transaction, on the batch store: 10,000 codes in one statement or in
    one call into SQLite's thread, where the management door would take one each."""
    series = store.load_series({key}, lock=False).get(key)
    if series is None:
        raise series_not_found(key[1])
    if series.policy.code_source is not CodeSource.UPLOADED:
        raise invalid_input("seriesId", "codes can only be uploaded to an UPLOADED series")
    added = store.add_pool_codes(key, codes)
    store.add_uploaded(key, len(added))
    return added, store.load_series({key}, lock=False)[key]
