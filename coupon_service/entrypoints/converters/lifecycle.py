"""Proto <-> domain translation for what follows an issue: coupons with their state, validation,
redemptions, reversals, revocations, a series' coupons and the event feed."""

from __future__ import annotations

from coupon.v1 import (
    common_pb2,
    coupon_service_pb2,
    customer_service_pb2,
    errors_pb2,
    series_service_pb2,
)

from ...domain.errors import CouponServiceError, invalid_input
from ...domain.events import CouponEvent, EventType, cursor_of
from ...domain.model import Redemption
from ...domain.redemption import CouponState
from ...service.coupons import CouponLookup, CouponView, SeriesCouponsQuery
from ...service.redemption import RedeemRequest, RedemptionResult, Validation
from ._wire import customer_ref, inverted, issuance_message, moment, to_timestamp

_STATES = {
    CouponState.ISSUED: common_pb2.COUPON_STATE_ISSUED,
    CouponState.REDEEMED: common_pb2.COUPON_STATE_REDEEMED,
    CouponState.REVOKED: common_pb2.COUPON_STATE_REVOKED,
    CouponState.EXPIRED: common_pb2.COUPON_STATE_EXPIRED,
}
_STATE_OF = inverted(_STATES)


# --- requests -----------------------------------------------------------------------------


def coupon_lookup(message: coupon_service_pb2.CouponLookup) -> CouponLookup:
    which = message.WhichOneof("coupon")
    return CouponLookup(
        coupon_id=message.coupon_id if which == "coupon_id" else None,
        code=message.code if which == "code" else None,
        customer=customer_ref(message.customer) if message.HasField("customer") else None,
    )


def redeem_request(message: coupon_service_pb2.RedeemCouponRequest) -> RedeemRequest:
    return RedeemRequest(
        code=message.code,
        customer=customer_ref(message.customer),
        bill_number=message.bill_number,
        bill_amount=message.bill_amount if message.HasField("bill_amount") else None,
        request_id=message.request_id or None,
    )


def series_coupons_query(
    message: series_service_pb2.ListSeriesCouponsRequest,
) -> SeriesCouponsQuery:
    state = None
    if message.state != common_pb2.COUPON_STATE_UNSPECIFIED:
        state = _STATE_OF.get(message.state)
        if state is None:
            raise invalid_input("state", "Invalid input: state is not a coupon state")
    return SeriesCouponsQuery(
        series_id=message.series_id,
        state=state,
        source_type=message.source_type,
        source_id=message.source_id,
        source_activity=message.source_activity,
        issued_after=moment(message.issued_after, message.HasField("issued_after"), "issuedAfter"),
        issued_before=moment(
            message.issued_before, message.HasField("issued_before"), "issuedBefore"
        ),
        page_size=message.page_size,
        page_token=message.page_token,
    )


# --- responses ----------------------------------------------------------------------------


def redemption_message(redemption: Redemption) -> common_pb2.Redemption:
    return common_pb2.Redemption(
        id=redemption.id,
        coupon_id=redemption.coupon_id,
        code=redemption.code,
        series_id=redemption.series_id,
        customer_id=redemption.customer_id,
        redeemed_at=to_timestamp(redemption.redeemed_at),
        bill_number=redemption.bill_number,
        bill_amount=redemption.bill_amount,
        reversed_at=to_timestamp(redemption.reversed_at),
        request_id=redemption.request_id or "",
    )


def coupon_message(view: CouponView) -> customer_service_pb2.Coupon:
    coupon = view.coupon
    return customer_service_pb2.Coupon(
        id=coupon.id,
        code=coupon.code,
        series_id=coupon.series_id,
        customer_id=coupon.customer_id,
        issued_at=to_timestamp(coupon.issued_at),
        valid_till=to_timestamp(coupon.valid_till),
        redemption_count=coupon.redemption_count,
        metadata=issuance_message(coupon.metadata),
        request_id=coupon.request_id or "",
        state=_STATES[view.state],
        redemptions_allowed=coupon.uses_allowed,
        latest_redeemed_at=to_timestamp(coupon.latest_redeemed_at),
        revoked_at=to_timestamp(coupon.revoked_at),
        revoke_reason=coupon.revoke_reason,
        redemptions=[redemption_message(r) for r in view.redemptions],
    )


def _refusal(error: CouponServiceError) -> errors_pb2.CouponErrorDetail:
    return errors_pb2.CouponErrorDetail(
        code=int(error.code),
        message=error.message,
        error_code=int(error.code),  # type: ignore[arg-type]
        status=False,
    )


def validate_response(validation: Validation) -> coupon_service_pb2.ValidateCouponResponse:
    response = coupon_service_pb2.ValidateCouponResponse(redeemable=validation.redeemable)
    if validation.coupon is not None:
        response.coupon.CopyFrom(coupon_message(validation.coupon))
    if validation.refusal is not None:
        response.refusal.CopyFrom(_refusal(validation.refusal))
        response.reason = validation.refusal.reason
    return response


def redeem_response(result: RedemptionResult) -> coupon_service_pb2.RedeemCouponResponse:
    return coupon_service_pb2.RedeemCouponResponse(
        redemption=redemption_message(result.redemption), coupon=coupon_message(result.coupon)
    )


def reverse_response(result: RedemptionResult) -> coupon_service_pb2.ReverseRedemptionResponse:
    return coupon_service_pb2.ReverseRedemptionResponse(
        redemption=redemption_message(result.redemption), coupon=coupon_message(result.coupon)
    )


_EVENT_TYPES = {
    EventType.ISSUED: coupon_service_pb2.COUPON_EVENT_TYPE_ISSUED,
    EventType.REDEEMED: coupon_service_pb2.COUPON_EVENT_TYPE_REDEEMED,
    EventType.REDEMPTION_REVERSED: coupon_service_pb2.COUPON_EVENT_TYPE_REDEMPTION_REVERSED,
    EventType.REVOKED: coupon_service_pb2.COUPON_EVENT_TYPE_REVOKED,
}


def event_message(event: CouponEvent) -> coupon_service_pb2.CouponEvent:
    return coupon_service_pb2.CouponEvent(
        cursor=cursor_of(event.position),
        type=_EVENT_TYPES[event.type],
        occurred_at=to_timestamp(event.occurred_at),
        coupon_id=event.coupon_id,
        code=event.code,
        series_id=event.series_id,
        customer_id=event.customer_id,
        valid_till=to_timestamp(event.valid_till),
        issuance=issuance_message(event.metadata),
        redemption=redemption_message(event.redemption) if event.redemption else None,
        revoke_reason=event.revoke_reason,
    )
