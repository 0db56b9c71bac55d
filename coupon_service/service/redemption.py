"""Use cases that change what a coupon can do: ValidateCoupon (which only asks), RedeemCoupon,
ReverseRedemption and RevokeCoupon, each in one short transaction.

The domain's check_redeemable decides for Validate and Redeem alike. The store holds the limits:
Redeem takes its use with guarded updates (the coupon row; for a GENERIC series with a total
limit, the series' counter row) and writes the redemption in the same transaction, so concurrent
callers on any number of replicas can never take more uses than there are. Each change records
its event (domain/events.py) as its transaction's last statement.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import datetime

from ..domain import validation
from ..domain.errors import (
    CouponServiceError,
    ErrorCode,
    NotRedeemable,
    redemption_not_found,
)
from ..domain.events import EventType, NewEvent
from ..domain.model import Coupon, CustomerRef, Redemption, Series
from ..domain.redemption import (
    RedemptionCounts,
    check_redeemable,
    series_limit_reached,
    used_up,
)
from .coupons import (
    CouponLookup,
    CouponView,
    check_lookup,
    coupon_with_code,
    find_coupon,
    find_customer,
    view_of,
)
from .idempotency import request_id_reused
from .results import utcnow
from .unit_of_work import NewRedemption, StoreConflict, StoredRedemption, Transaction, UnitOfWork


@dataclasses.dataclass(frozen=True)
class RedeemRequest:
    code: str
    customer: CustomerRef | None
    bill_number: str = ""
    bill_amount: int | None = None  # In the currency's minor unit.
    request_id: str | None = None


@dataclasses.dataclass(frozen=True)
class Validation:
    """Whether the customer could redeem the code now: `refusal` says why not."""

    coupon: CouponView | None
    refusal: CouponServiceError | None

    @property
    def redeemable(self) -> bool:
        return self.refusal is None


@dataclasses.dataclass(frozen=True)
class RedemptionResult:
    redemption: Redemption
    coupon: CouponView


class _RequestIdTaken(Exception):
    """A concurrent call with the same request id stored its redemption first."""


def _fingerprint(request: RedeemRequest) -> str:
    described = {"operation": "RedeemCoupon", **dataclasses.asdict(request)}
    described.pop("request_id")
    text = json.dumps(described, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _check_redeem(code: str, customer: CustomerRef | None) -> CustomerRef:
    validation.check_coupon_code("code", code)
    return validation.check_customer(customer)


async def _counts(tx: Transaction, org_id: int, series: Series) -> RedemptionCounts:
    if series.policy.max_redemptions is None:
        return RedemptionCounts()
    return RedemptionCounts(await tx.redemptions.series_redeemed(org_id, series.id))


async def _series_of(tx: Transaction, org_id: int, coupon: Coupon) -> Series:
    series = await tx.series.get(org_id, coupon.series_id)
    if series is None:  # A coupon's foreign key names its series.
        raise LookupError(f"coupon {coupon.id} has no series")
    return series


async def validate_coupon(
    uow: UnitOfWork,
    org_id: int,
    code: str,
    customer: CustomerRef | None,
    *,
    now: datetime | None = None,
) -> Validation:
    """Asks check_redeemable what a RedeemCoupon now would meet; writes nothing."""
    ref = _check_redeem(code, customer)
    moment = now or utcnow()
    async with uow.transaction() as tx:
        holder = await find_customer(tx, org_id, ref)
        try:
            coupon = await coupon_with_code(tx, org_id, code, holder)
        except CouponServiceError as unknown:  # 901 no such coupon, 902 another's code.
            return Validation(None, unknown)
        series = await _series_of(tx, org_id, coupon)
        counts = await _counts(tx, org_id, series)
    refusal = check_redeemable(coupon, series.policy, holder.id, moment, counts)
    if refusal is not None and refusal.code is ErrorCode.COUPON_WRONG_CUSTOMER:
        return Validation(None, refusal)  # Another customer's coupon is not shown.
    return Validation(view_of(coupon, moment), refusal)


async def redeem_coupon(
    uow: UnitOfWork, org_id: int, request: RedeemRequest, *, now: datetime | None = None
) -> RedemptionResult:
    """Takes one use of the coupon for its customer, or refuses with check_redeemable's reason.

    With a request id, the same request again returns the first redemption and takes nothing;
    between concurrent calls with one id the unique constraint decides, and the others replay.
    """
    ref = _check_redeem(request.code, request.customer)
    validation.check_bill(request.bill_number, request.bill_amount)
    validation.check_request_id(request.request_id)
    moment = now or utcnow()
    key = request.request_id
    digest = _fingerprint(request) if key is not None else None
    try:
        async with uow.transaction() as tx:
            stored = None if key is None else await tx.redemptions.with_request_id(org_id, key)
            if stored is not None:
                return await _replayed(tx, org_id, stored, digest, moment)
            return await _redeem(tx, org_id, request, ref, digest, moment)
    except (_RequestIdTaken, NotRedeemable) as refused:
        if key is None:
            raise
        # The use may have gone to a concurrent call with the same key, which has committed
        # by now (its row lock or its key held this call until then): answer with its result.
        async with uow.transaction() as tx:
            stored = await tx.redemptions.with_request_id(org_id, key)
            if stored is not None:
                return await _replayed(tx, org_id, stored, digest, moment)
        if isinstance(refused, _RequestIdTaken):  # Its holder rolled back after all: retry.
            raise StoreConflict(
                "a concurrent call with the same requestId did not finish"
            ) from refused
        raise


async def _redeem(
    tx: Transaction,
    org_id: int,
    request: RedeemRequest,
    ref: CustomerRef,
    digest: str | None,
    moment: datetime,
) -> RedemptionResult:
    holder = await find_customer(tx, org_id, ref)
    coupon = await coupon_with_code(tx, org_id, request.code, holder)
    series = await _series_of(tx, org_id, coupon)
    refusal = check_redeemable(
        coupon, series.policy, holder.id, moment, await _counts(tx, org_id, series)
    )
    if refusal is not None:
        raise refusal
    if not await tx.coupons.take_use(org_id, coupon.id, coupon.uses_allowed, moment):
        # A concurrent change got there first: the coupon as it is now says which one.
        now_stored = await tx.coupons.get(org_id, coupon.id) or coupon
        counts = await _counts(tx, org_id, series)
        raise check_redeemable(now_stored, series.policy, holder.id, moment, counts) or used_up(
            now_stored, series.policy
        )
    limit = series.policy.max_redemptions
    if limit is not None and not await tx.redemptions.take_series_use(org_id, series.id, limit):
        raise series_limit_reached(series.id, limit)
    redemption = await tx.redemptions.add(
        NewRedemption(
            org_id=org_id,
            coupon_id=coupon.id,
            code=coupon.code,
            series_id=coupon.series_id,
            customer_id=holder.id,
            redeemed_at=moment,
            bill_number=request.bill_number,
            bill_amount=request.bill_amount,
            request_id=request.request_id,
            fingerprint=digest,
        )
    )
    if redemption is None:
        raise _RequestIdTaken()
    await tx.redemptions.count_redemption(org_id, coupon.series_id, moment)
    result = RedemptionResult(redemption, await _current(tx, org_id, coupon.id, moment))
    await tx.events.append(
        org_id, [NewEvent(EventType.REDEEMED, coupon.id, moment, redemption.id)]
    )  # Last: it locks the org's feed until the commit.
    return result


async def _replayed(
    tx: Transaction, org_id: int, stored: StoredRedemption, digest: str | None, moment: datetime
) -> RedemptionResult:
    if stored.fingerprint != digest:
        raise request_id_reused()
    redemption = stored.redemption
    return RedemptionResult(redemption, await _current(tx, org_id, redemption.coupon_id, moment))


async def _current(tx: Transaction, org_id: int, coupon_id: int, moment: datetime) -> CouponView:
    coupon = await tx.coupons.get(org_id, coupon_id)
    if coupon is None:  # Coupons are never deleted once issued.
        raise LookupError(f"coupon {coupon_id} vanished")
    return view_of(coupon, moment)


async def reverse_redemption(
    uow: UnitOfWork, org_id: int, redemption_id: int, *, now: datetime | None = None
) -> RedemptionResult:
    """Reverses a redemption and gives exactly one use back; a reversed one stays as it is."""
    if not validation.is_possible_id(redemption_id):
        raise redemption_not_found(redemption_id)
    moment = now or utcnow()
    async with uow.transaction() as tx:
        found = await tx.redemptions.get(org_id, redemption_id)
        if found is None:
            raise redemption_not_found(redemption_id)
        # Only the call whose guarded update stamped the reversal gives the use back.
        reversed_now = await tx.redemptions.reverse(org_id, redemption_id, moment)
        if reversed_now:
            await tx.coupons.give_back_use(org_id, found.coupon_id)
            await tx.redemptions.count_reversal(org_id, found.series_id)
            series = await tx.series.get(org_id, found.series_id)
            if series is not None and series.policy.max_redemptions is not None:
                await tx.redemptions.give_back_series_use(org_id, found.series_id)
        reversed_one = await tx.redemptions.get(org_id, redemption_id) or found
        result = RedemptionResult(reversed_one, await _current(tx, org_id, found.coupon_id, moment))
        if reversed_now:
            reversal = NewEvent(
                EventType.REDEMPTION_REVERSED, found.coupon_id, moment, redemption_id
            )
            await tx.events.append(org_id, [reversal])  # Last, as in _redeem.
        return result


async def revoke_coupon(
    uow: UnitOfWork,
    org_id: int,
    lookup: CouponLookup,
    reason: str,
    *,
    now: datetime | None = None,
) -> CouponView:
    """Revokes the coupon for good; revoking it again keeps the first moment and reason."""
    check_lookup(lookup)
    validation.check_revoke_reason(reason)
    moment = now or utcnow()
    async with uow.transaction() as tx:
        coupon = await find_coupon(tx, org_id, lookup)
        revoked_now = await tx.coupons.revoke(org_id, coupon.id, reason, moment)
        revoked = await _current(tx, org_id, coupon.id, moment)
        if revoked_now:
            await tx.events.append(org_id, [NewEvent(EventType.REVOKED, coupon.id, moment)])
        return revoked
