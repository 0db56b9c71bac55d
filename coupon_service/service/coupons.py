"""Use cases that read issued coupons: GetCoupon, ListSeriesCoupons, and ListCustomerCoupons with
each coupon's state; and finding the coupon a request names, for every lifecycle use case."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import re
from datetime import UTC, datetime, timedelta

from ..domain import validation
from ..domain.errors import (
    coupon_not_found,
    invalid_input,
    mandatory,
    series_not_found,
)
from ..domain.model import SOURCE_FIELDS, Coupon, Customer, CustomerRef, Redemption
from ..domain.redemption import CouponState, state_of, wrong_customer
from . import customers
from .clock import utcnow
from .paging import Page, page_size_or_default
from .unit_of_work import CouponFilter, CouponPosition, Transaction, UnitOfWork

REDEMPTIONS_SHOWN = 100
_EPOCH = datetime.fromtimestamp(0, UTC)
_POSITION_TOKEN = re.compile(r"issued:(-?[0-9]{1,19}):([0-9]{1,19})")


@dataclasses.dataclass(frozen=True)
class CouponLookup:
    """Names one coupon: by id or by code; a GENERIC series' shared code also by customer."""

    coupon_id: int | None = None
    code: str | None = None
    customer: CustomerRef | None = None


@dataclasses.dataclass(frozen=True)
class CouponView:
    """A coupon as an answer shows it: its state at the answer's moment, and, where asked for,
    its newest redemptions."""

    coupon: Coupon
    state: CouponState
    redemptions: tuple[Redemption, ...] = ()


def view_of(coupon: Coupon, at: datetime, redemptions: tuple[Redemption, ...] = ()) -> CouponView:
    return CouponView(coupon, state_of(coupon, at), redemptions)


@dataclasses.dataclass(frozen=True)
class SeriesCouponsQuery:
    series_id: int
    state: CouponState | None = None
    source_type: str = ""
    source_id: str = ""
    source_activity: str = ""
    issued_after: datetime | None = None
    issued_before: datetime | None = None
    page_size: int = 0
    page_token: str = ""


async def coupon_with_code(
    tx: Transaction, org_id: int, code: str, holder: Customer | None
) -> Coupon:
    """The coupon `code` names for `holder`: 901 when no coupon has the code, 902 when only
    other customers hold it as a shared code, 629 when a shared code names no holder."""
    coupon = await tx.coupons.with_code(org_id, code, holder.id if holder else None)
    if coupon is not None:
        return coupon
    if not await tx.coupons.is_shared_code(org_id, code):
        raise coupon_not_found()
    if holder is None:
        raise invalid_input(
            "customer", "the code is a GENERIC series' shared code: name the customer holding it"
        )
    raise wrong_customer()


def check_lookup(lookup: CouponLookup) -> None:
    if (lookup.coupon_id is None) == (lookup.code is None):
        raise mandatory("coupon", "coupon is mandatory to set: give couponId or code")
    if lookup.code is not None:
        validation.check_coupon_code("coupon.code", lookup.code)
    if lookup.customer is not None:
        validation.check_customer(lookup.customer)


async def find_coupon(tx: Transaction, org_id: int, lookup: CouponLookup) -> Coupon:
    """The coupon a checked lookup names; a customer named with it must hold it (902)."""
    holder: Customer | None = None
    if lookup.customer is not None:
        holder = await customers.find_customer(tx, org_id, lookup.customer)
    if lookup.code is not None:
        coupon = await coupon_with_code(tx, org_id, lookup.code, holder)
    else:
        found = None
        if lookup.coupon_id is not None and validation.is_possible_id(lookup.coupon_id):
            found = await tx.coupons.get(org_id, lookup.coupon_id)
        if found is None:
            raise coupon_not_found()
        coupon = found
    if holder is not None and coupon.customer_id != holder.id:
        raise wrong_customer()
    return coupon


async def get_coupon(
    uow: UnitOfWork, org_id: int, lookup: CouponLookup, *, now: datetime | None = None
) -> CouponView:
    check_lookup(lookup)
    async with uow.transaction() as tx:
        coupon = await find_coupon(tx, org_id, lookup)
        redemptions = await tx.redemptions.of_coupon(org_id, coupon.id, REDEMPTIONS_SHOWN)
    return view_of(coupon, now or utcnow(), tuple(redemptions))


async def list_series_coupons(
    uow: UnitOfWork, org_id: int, query: SeriesCouponsQuery, *, now: datetime | None = None
) -> Page[CouponView]:
    """A page of the coupons a series issued, by ascending issue time, then id."""
    if not validation.is_possible_id(query.series_id):
        raise series_not_found(query.series_id)
    for field in SOURCE_FIELDS:
        validation.check_issuance_text(field, getattr(query, field.attribute), field.wire)
    after, limit = _read_position(query.page_token), page_size_or_default(query.page_size)
    moment = now or utcnow()
    async with uow.transaction() as tx:
        series = await tx.series.get(org_id, query.series_id)
        if series is None:
            raise series_not_found(query.series_id)
        where = CouponFilter(
            at=moment,
            uses_allowed=series.policy.uses_per_coupon,
            state=query.state,
            source_type=query.source_type,
            source_id=query.source_id,
            source_activity=query.source_activity,
            issued_after=query.issued_after,
            issued_before=query.issued_before,
        )
        found = await tx.coupons.of_series(org_id, query.series_id, where, after, limit + 1)
    views = [view_of(coupon, moment) for coupon in found[:limit]]
    if len(found) <= limit:
        return Page(views, "")
    return Page(views, _position_token(found[limit - 1]))


async def list_customer_coupons(
    uow: UnitOfWork,
    org_id: int,
    ref: CustomerRef | None,
    series_id: int | None,
    page_size: int,
    page_token: str,
    *,
    now: datetime | None = None,
) -> Page[CouponView]:
    """ListCustomerCoupons (customers.list_customer_coupons), each coupon with its state."""
    page = await customers.list_customer_coupons(uow, org_id, ref, series_id, page_size, page_token)
    moment = now or utcnow()
    return Page([view_of(coupon, moment) for coupon in page.items], page.next_page_token)


def _position_token(coupon: Coupon) -> str:
    micros = round((coupon.issued_at - _EPOCH).total_seconds() * 1_000_000)
    return base64.urlsafe_b64encode(f"issued:{micros}:{coupon.id}".encode()).decode()


def _read_position(token: str) -> CouponPosition | None:
    """Where the previous page ended; a token this list did not give out is 629."""
    if not token:
        return None
    try:
        decoded = base64.urlsafe_b64decode(token.encode()).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        decoded = ""
    found = _POSITION_TOKEN.fullmatch(decoded)
    refused = invalid_input("pageToken", "pageToken is not one this service gave out")
    if found is None or not validation.is_possible_id(int(found[2])):
        raise refused
    try:
        issued_at = _EPOCH + timedelta(microseconds=int(found[1]))
    except OverflowError:
        raise refused from None
    if not validation.EARLIEST_MOMENT <= issued_at <= validation.LATEST_MOMENT:
        raise refused
    return issued_at, int(found[2])
