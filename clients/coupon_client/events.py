"""What `watch_events` yields: one typed CouponEvent per change to an issued coupon.

Every event carries the facts of its coupon that never change after its issue (code, series,
customer, validity, issuance metadata) and the change itself; GetCoupon tells the state now.
Times are aware datetimes in UTC.
"""

from __future__ import annotations

import dataclasses
import enum
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from coupon.v1 import common_pb2, coupon_service_pb2
from coupon.v1.common_pb2 import IssuanceMetadata


class EventType(enum.IntEnum):
    """What changed; the numbers are coupon.v1.CouponEventType's.

    UNKNOWN stands for a type added to the feed after this client was built: such an event
    still has its cursor, so skipping it loses nothing else.
    """

    UNKNOWN = 0
    ISSUED = 1
    REDEEMED = 2
    REDEMPTION_REVERSED = 3
    REVOKED = 4

    @classmethod
    def _missing_(cls, value: object) -> EventType:
        return cls.UNKNOWN


@dataclasses.dataclass(frozen=True)
class Redemption:
    """One use of a coupon, as the event left it: a REDEEMED event's `reversed_at` is None even
    when it was reversed later (that is an event of its own)."""

    id: int
    coupon_id: int
    code: str
    series_id: int
    customer_id: int
    redeemed_at: datetime
    bill_number: str
    bill_amount: int | None  # In the currency's minor unit (cents, paise); None when not given.
    reversed_at: datetime | None
    request_id: str

    @classmethod
    def of(cls, message: common_pb2.Redemption) -> Redemption:
        return cls(
            id=message.id,
            coupon_id=message.coupon_id,
            code=message.code,
            series_id=message.series_id,
            customer_id=message.customer_id,
            redeemed_at=_moment(message.redeemed_at),
            bill_number=message.bill_number,
            bill_amount=message.bill_amount if message.HasField("bill_amount") else None,
            reversed_at=_moment(message.reversed_at) if message.HasField("reversed_at") else None,
            request_id=message.request_id,
        )


@dataclasses.dataclass(frozen=True)
class CouponEvent:
    """One change to an issued coupon. Keep `cursor` with what you did about the event: passed
    as `after`, it resumes the feed right behind it.

    `redemption` is set for REDEEMED and REDEMPTION_REVERSED, `revoke_reason` for REVOKED;
    `valid_till` is None for a coupon that never expires. `message` is the coupon.v1.CouponEvent
    as received.
    """

    cursor: str
    type: EventType
    occurred_at: datetime
    coupon_id: int
    code: str
    series_id: int
    customer_id: int
    valid_till: datetime | None
    issuance: IssuanceMetadata
    redemption: Redemption | None
    revoke_reason: str
    message: coupon_service_pb2.CouponEvent = dataclasses.field(repr=False)

    @classmethod
    def of(cls, message: coupon_service_pb2.CouponEvent) -> CouponEvent:
        return cls(
            cursor=message.cursor,
            type=EventType(message.type),
            occurred_at=_moment(message.occurred_at),
            coupon_id=message.coupon_id,
            code=message.code,
            series_id=message.series_id,
            customer_id=message.customer_id,
            valid_till=_moment(message.valid_till) if message.HasField("valid_till") else None,
            issuance=message.issuance,
            redemption=Redemption.of(message.redemption)
            if message.HasField("redemption")
            else None,
            revoke_reason=message.revoke_reason,
            message=message,
        )


def _moment(stamp: Timestamp) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)
