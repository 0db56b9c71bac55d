"""Use cases that change what a coupon can do: ValidateCoupon (which only asks), RedeemCoupon
(in batches, redeem_batch.py), ReverseRedemption and RevokeCoupon (each in one short
transaction).

The domain's check_redeemable decides for Validate and Redeem alike. The store holds the limits:
a redemption batch takes its uses under row locks, taken in one global order, so concurrent
callers on any number of replicas can never take more uses than there are. Each change records
its event (domain/events.py) as its transaction's last statement.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Sequence
from datetime import datetime

from ..domain import validation
from ..domain.errors import CouponServiceError, ErrorCode, redemption_not_found, store_unavailable
from ..domain.events import EventType, NewEvent
from ..domain.model import Coupon, CustomerRef, Series
from ..domain.redemption import RedemptionCounts, check_redeemable
from .batching import Batcher
from .clock import utcnow
from .coupons import (
    CouponLookup,
    CouponView,
    check_lookup,
    coupon_with_code,
    find_coupon,
    view_of,
)
from .customers import find_customer
from .inputs import RedeemCall
from .inputs import RedeemRequest as RedeemRequest
from .redeem_batch import RedeemAnswer, RequestIdRaced, redeem_batch
from .redeem_batch import RedemptionResult as RedemptionResult
from .unit_of_work import StoreConflict, StoreUnavailable, Transaction, UnitOfWork

logger = logging.getLogger(__name__)

# A batch takes at most this many redemptions: as many as an issuing batch takes calls.
MAX_BATCH_CALLS = 64


@dataclasses.dataclass(frozen=True)
class Validation:
    """Whether the customer could redeem the code now: `refusal` says why not."""

    coupon: CouponView | None
    refusal: CouponServiceError | None

    @property
    def redeemable(self) -> bool:
        return self.refusal is None


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

    The call joins the next redemption batch of its database (redeem_batch.py). With a request
    id, the same request again returns the first redemption and takes nothing.
    """
    customer = _check_redeem(request.code, request.customer)
    validation.check_bill(request.bill_number, request.bill_amount)
    validation.check_request_id(request.request_id)
    digest = _fingerprint(request) if request.request_id is not None else None
    call = RedeemCall(org_id, request, customer, digest, now or utcnow())
    answer = await redemption_batcher(uow).submit(call)
    if isinstance(answer, RedemptionResult):
        return answer
    if isinstance(answer, CouponServiceError):
        raise answer
    raise TypeError(f"a redemption batch answered {answer!r}")


def redemption_batcher(uow: UnitOfWork) -> Batcher[RedeemCall, RedeemAnswer]:
    """The one batcher of this database's redemptions, made on first use."""
    batcher = uow.batchers.get("redemption")
    if batcher is None:

        async def run(calls: Sequence[RedeemCall]) -> list[RedeemAnswer]:
            try:
                try:
                    return await uow.run_redemption_batch(lambda s: redeem_batch(s, calls))
                except RequestIdRaced:  # Run again: the winner's redemption is stored now.
                    return await uow.run_redemption_batch(lambda s: redeem_batch(s, calls))
            except RequestIdRaced:
                error: StoreUnavailable = StoreConflict("request ids raced twice")
            except StoreUnavailable as failure:
                error = failure
            logger.warning("a redemption batch of %d calls failed: %s", len(calls), error)
            return [store_unavailable(conflict=isinstance(error, StoreConflict))] * len(calls)

        batcher = Batcher(run, max_calls=MAX_BATCH_CALLS)
        uow.batchers["redemption"] = batcher
    return batcher


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
        if reversed_now:  # Locks in redemption_store.py's order: the series' limit first.
            series = await tx.series.get(org_id, found.series_id)
            if series is not None and series.policy.max_redemptions is not None:
                await tx.redemptions.give_back_series_use(org_id, found.series_id)
            await tx.coupons.give_back_use(org_id, found.coupon_id)
            await tx.redemptions.count_reversal(org_id, found.series_id)
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
