"""The event feed (domain/events.py) for the use cases' transactions: appending, reading after
a position, and pruning past the retention window. The issuing batches append through their
own stores, with the same two steps."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Row, delete, func, insert, literal, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.events import CouponEvent, EventType, FeedState, NewEvent
from ..domain.model import ISSUANCE_FIELDS, Redemption
from ._convert import from_db, issuance_from_row, to_db
from .tables import coupons, event_feeds, event_marks, events, redemptions

_WITH_FACTS = (
    select(
        events.c.position,
        events.c.type,
        events.c.occurred_at,
        coupons.c.id.label("coupon_id"),
        coupons.c.code,
        coupons.c.series_id,
        coupons.c.customer_id,
        coupons.c.valid_till,
        *(coupons.c[field.attribute] for field in ISSUANCE_FIELDS),
        coupons.c.revoke_reason,
        redemptions.c.id.label("redemption_id"),
        redemptions.c.customer_id.label("redeemed_by"),
        redemptions.c.redeemed_at,
        redemptions.c.bill_number,
        redemptions.c.bill_amount,
        redemptions.c.request_id,
    )
    .join(coupons, coupons.c.id == events.c.coupon_id)
    .outerjoin(redemptions, redemptions.c.id == events.c.redemption_id)
)


def _event_from_row(row: Row[*tuple[Any, ...]]) -> CouponEvent:
    kind = EventType(row.type)
    occurred_at = from_db(row.occurred_at)
    redemption = None
    if row.redemption_id is not None:
        redemption = Redemption(
            id=row.redemption_id,
            coupon_id=row.coupon_id,
            code=row.code,
            series_id=row.series_id,
            customer_id=row.redeemed_by,
            redeemed_at=from_db(row.redeemed_at),
            bill_number=row.bill_number,
            bill_amount=row.bill_amount,
            # As the event left it: only a reversal's event shows the reversal.
            reversed_at=occurred_at if kind is EventType.REDEMPTION_REVERSED else None,
            request_id=row.request_id,
        )
    return CouponEvent(
        position=row.position,
        type=kind,
        occurred_at=occurred_at,
        coupon_id=row.coupon_id,
        code=row.code,
        series_id=row.series_id,
        customer_id=row.customer_id,
        valid_till=from_db(row.valid_till),
        metadata=issuance_from_row(row),
        redemption=redemption,
        revoke_reason=row.revoke_reason if kind is EventType.REVOKED else "",
    )


class SqlEventRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self._dialect = postgresql if connection.dialect.name == "postgresql" else sqlite

    async def append(self, org_id: int, new: Sequence[NewEvent]) -> None:
        if not new:
            return
        statement = self._dialect.insert(event_feeds).values(org_id=org_id, head=len(new))
        advanced = await self._connection.execute(
            statement.on_conflict_do_update(
                index_elements=["org_id"],
                set_={"head": event_feeds.c.head + statement.excluded.head},
            ).returning(event_feeds.c.head)
        )
        first = advanced.scalar_one() - len(new) + 1
        await self._connection.execute(
            insert(events),
            [
                {
                    "org_id": org_id,
                    "position": first + offset,
                    "type": int(event.type),
                    "coupon_id": event.coupon_id,
                    "redemption_id": event.redemption_id,
                    "occurred_at": to_db(event.occurred_at),
                }
                for offset, event in enumerate(new)
            ],
        )

    async def after(self, org_id: int, position: int, limit: int) -> list[CouponEvent]:
        result = await self._connection.execute(
            _WITH_FACTS.where(events.c.org_id == org_id, events.c.position > position)
            .order_by(events.c.position)
            .limit(limit)
        )
        return [_event_from_row(row) for row in result]

    async def feed(self, org_id: int) -> FeedState:
        row = (
            await self._connection.execute(
                select(event_feeds.c.head, event_feeds.c.pruned_through).where(
                    event_feeds.c.org_id == org_id
                )
            )
        ).first()
        return FeedState() if row is None else FeedState(row.head, row.pruned_through)

    async def note_heads(self, at: datetime) -> None:
        heads = select(
            event_feeds.c.org_id, literal(to_db(at), DateTime()), event_feeds.c.head
        ).where(true())  # "WHERE true" lets SQLite tell the upsert's ON CONFLICT from a join's.
        noted = self._dialect.insert(event_marks).from_select(["org_id", "noted_at", "head"], heads)
        await self._connection.execute(noted.on_conflict_do_nothing())

    async def prune_before(self, moment: datetime, limit: int) -> int:
        cutoff = to_db(moment)
        newest_marks = (
            select(
                event_marks.c.org_id,
                func.max(event_marks.c.head).label("head"),
            )
            .where(event_marks.c.noted_at < cutoff)
            .group_by(event_marks.c.org_id)
            .order_by(event_marks.c.org_id)
        )
        marks = (await self._connection.execute(newest_marks)).all()
        removed = 0
        for org_id, head in marks:
            pruned_through = (
                await self._connection.execute(
                    select(event_feeds.c.pruned_through).where(event_feeds.c.org_id == org_id)
                )
            ).scalar_one_or_none() or 0
            through = min(head, pruned_through + limit - removed)
            deleted = await self._connection.execute(
                delete(events).where(events.c.org_id == org_id, events.c.position <= through)
            )
            removed += int(deleted.rowcount)
            if through == head:  # The org is done with these marks.
                await self._connection.execute(
                    delete(event_marks).where(
                        event_marks.c.org_id == org_id, event_marks.c.noted_at < cutoff
                    )
                )
            # Last: the feed's row is the one every writer of the org waits on.
            await self._connection.execute(
                update(event_feeds)
                .where(event_feeds.c.org_id == org_id, event_feeds.c.pruned_through < through)
                .values(pruned_through=through)
            )
            if removed >= limit:
                break
        return removed
