"""The event feed: one event per change to an issued coupon, in the order the changes committed.

An event is written in the transaction of its change (a transactional outbox), so the feed
never holds an event of something that rolled back, nor misses a change. Each organisation's
events are numbered 1, 2, 3, ... in commit order: the number, its position, is taken when the
change's transaction ends, so a later number always belongs to a later commit. A consumer keeps
the position of the last event it processed (its cursor) and asks for what follows it.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Sequence
from datetime import datetime

from .errors import ErrorCode, Expired, InvalidRequest
from .model import IssuanceMetadata, Redemption


class EventType(enum.IntEnum):
    """The values are stored; they match `coupon.v1.CouponEventType`."""

    ISSUED = 1
    REDEEMED = 2
    REDEMPTION_REVERSED = 3
    REVOKED = 4


@dataclasses.dataclass(frozen=True)
class NewEvent:
    """A change to record: the coupon it changed, and the redemption for (un)redeeming."""

    type: EventType
    coupon_id: int
    occurred_at: datetime
    redemption_id: int | None = None


@dataclasses.dataclass(frozen=True)
class CouponEvent:
    """One recorded change, with the facts of the coupon that never change after its issue.

    `redemption` is as the event left it: a REDEEMED event's redemption has no reversal time
    even if it was reversed later (that is an event of its own).
    """

    position: int
    type: EventType
    occurred_at: datetime
    coupon_id: int
    code: str
    series_id: int
    customer_id: int
    valid_till: datetime | None
    metadata: IssuanceMetadata
    redemption: Redemption | None = None
    revoke_reason: str = ""


@dataclasses.dataclass(frozen=True)
class FeedState:
    """An organisation's feed: the last position taken, and the last one pruned away."""

    head: int = 0
    pruned_through: int = 0


def by_org(events: Sequence[tuple[int, NewEvent]]) -> list[tuple[int, list[NewEvent]]]:
    """(org_id, event) pairs grouped by organisation, in org order, each group in its order."""
    grouped: dict[int, list[NewEvent]] = {}
    for org_id, event in events:
        grouped.setdefault(org_id, []).append(event)
    return sorted(grouped.items())


def parse_cursor(cursor: str) -> int:
    """The position a cursor names; the empty cursor is the start of the feed (0). Only what
    cursor_of writes is a cursor: "007" is not one."""
    if not cursor:
        return 0
    if not cursor.isascii() or not cursor.isdigit() or len(cursor) > 19:
        raise cursor_invalid()
    if cursor != "0" and cursor.startswith("0"):
        raise cursor_invalid()
    return int(cursor)


def cursor_of(position: int) -> str:
    return str(position)


def check_cursor(position: int, feed: FeedState) -> None:
    """A cursor behind what was pruned lost events; one ahead of the head is not this feed's."""
    if position > feed.head:
        raise cursor_invalid()
    if position < feed.pruned_through:
        raise cursor_expired(feed.pruned_through)


def cursor_invalid() -> InvalidRequest:
    return InvalidRequest(
        ErrorCode.EVENT_CURSOR_INVALID,
        "The cursor is not one of this organisation's event feed: pass the cursor of an event"
        " it sent, or none to start at the oldest event kept",
        field="after",
    )


def cursor_expired(pruned_through: int) -> Expired:
    return Expired(
        ErrorCode.EVENT_CURSOR_EXPIRED,
        "Events after this cursor are past the feed's retention window and were removed:"
        " resynchronise, then follow the feed from its oldest event kept",
        metadata={"oldestCursor": cursor_of(pruned_through)},
    )
