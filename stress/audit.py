"""What the database holds after a scenario, checked with SQL, and every answer replayed.

- Duplicates: a code held by two coupon rows of the org; a code answered to two keys (a pool
  code handed to two customers); coupons stored under a key beyond what its answer gave.
- Limits exceeded: a series over maxCreate; a customer over maxVouchersPerUser, or over one
  where only one per customer is allowed; a pool holding more rows than codes were uploaded;
  a series whose counter shards disagree with its coupons (maxCreate is enforced on them).
- Other findings: an answered coupon not stored under its key, coupons under a refused key or
  under no key a client sent, keys never answered, replays that differ from the first answer.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from coupon_service.adapters.database import create_engine
from coupon_service.demo import DEMO_ORG

from .calls import Answer, Call, Tally, settle
from .replicas import Replica

REPLAY_CLIENTS = 32
_SUCCESS = ("OK", "HTTP 200")


@dataclasses.dataclass
class Audit:
    issued: int = 0
    duplicates: int = 0
    limits_exceeded: int = 0
    replayed: int = 0
    replays_differing: int = 0
    findings: Counter[str] = dataclasses.field(default_factory=Counter)  # kind -> how often
    examples: dict[str, str] = dataclasses.field(default_factory=dict)  # kind -> the first

    def note(self, kind: str, example: str, times: int = 1) -> None:
        self.findings[kind] += times
        self.examples.setdefault(kind, example)

    def lines(self) -> list[str]:
        return [
            f"{kind}: {n:,} (first: {self.examples[kind]})" for kind, n in self.findings.items()
        ]


async def audit(db_url: str, series_ids: Sequence[int], tally: Tally) -> Audit:
    """Checks the scenario's series, and each key's coupons against its answer."""
    result = Audit()
    engine = create_engine(db_url)
    try:
        async with engine.connect() as connection:
            org = await _scalar(connection, "SELECT id FROM orgs WHERE name = :n", n=DEMO_ORG)
            await _duplicate_codes(connection, org, result)
            stored: list[Sequence[Any]] = []
            for series_id in series_ids:
                await _series_limits(connection, org, series_id, result)
                stored += await _rows(
                    connection,
                    "SELECT request_id, code FROM coupons WHERE org_id = :org"
                    " AND series_id = :series AND customer_id IS NOT NULL",
                    org=org,
                    series=series_id,
                )
    finally:
        await engine.dispose()
    result.issued = len(stored)
    _reconcile(stored, tally, result)
    return result


async def _duplicate_codes(connection: AsyncConnection, org: int, result: Audit) -> None:
    rows = await _rows(
        connection,
        "SELECT code, count(*) FROM coupons WHERE org_id = :org AND shared_code = :shared"
        " GROUP BY code HAVING count(*) > 1",
        org=org,
        shared=False,
    )
    for code, rows_holding in rows:
        result.duplicates += rows_holding - 1
        result.note("codes held by several coupon rows", f"{code} x{rows_holding}")


async def _series_limits(
    connection: AsyncConnection, org: int, series_id: int, result: Audit
) -> None:
    where = {"org": org, "series": series_id}
    (source, max_create, per_customer, multiple, uploaded), *_ = await _rows(
        connection,
        "SELECT code_source, max_create, max_vouchers_per_user, multiple_per_user_allowed,"
        " num_uploaded FROM series WHERE org_id = :org AND id = :series",
        **where,
    )
    (issued, rows), *_ = await _rows(
        connection,
        "SELECT count(customer_id), count(*) FROM coupons"
        " WHERE org_id = :org AND series_id = :series",
        **where,
    )
    counted = await _scalar(
        connection,
        "SELECT coalesce(sum(num_issued), 0) FROM series_counters"
        " WHERE org_id = :org AND series_id = :series",
        **where,
    )
    breaches = []
    if max_create is not None and issued > max_create:
        breaches.append(("series over maxCreate", f"series {series_id}: {issued} > {max_create}"))
    if source == "UPLOADED" and rows > uploaded:
        breaches.append(("pools over their codes", f"series {series_id}: {rows} > {uploaded}"))
    if counted != issued:
        breaches.append(("counters off", f"series {series_id}: {counted} counted, {issued} held"))
    limit = per_customer if multiple else 1
    if limit is not None:
        over = await _rows(
            connection,
            "SELECT customer_id, count(*) FROM coupons WHERE org_id = :org"
            " AND series_id = :series AND customer_id IS NOT NULL"
            " GROUP BY customer_id HAVING count(*) > :limit",
            limit=limit,
            **where,
        )
        breaches += [
            ("customers over their limit", f"series {series_id}: {n} > {limit} for {customer}")
            for customer, n in over
        ]
    for kind, example in breaches:
        result.limits_exceeded += 1
        result.note(kind, example)


def _reconcile(stored: Sequence[Sequence[Any]], tally: Tally, result: Audit) -> None:
    """Each key's stored coupons against its answer; a code answered to two keys."""
    by_key: defaultdict[str | None, Counter[str]] = defaultdict(Counter)
    for request_id, code in stored:
        by_key[request_id][code] += 1
    answered_to: defaultdict[str, list[str]] = defaultdict(list)
    for key, (_call, answer) in tally.answers.items():
        held = by_key.pop(key, Counter())
        if answer.status not in _SUCCESS:
            if held:
                result.note(f"coupons under a refused key ({answer.status})", key, held.total())
            continue
        for code in answer.codes:
            answered_to[code].append(key)
        expected = Counter(answer.codes)
        if extra := (held - expected).total():
            result.duplicates += extra
            result.note("coupons under a key beyond its answer", key, extra)
        if missing := (expected - held).total():
            result.note("answered coupons not stored under their key", key, missing)
    for call in tally.unanswered:
        by_key.pop(call.key, None)  # Committed or not: nobody was told, both are right.
        result.note("keys never answered", call.key)
    if strays := sum(held.total() for held in by_key.values()):
        result.note("coupons under no key a client sent", str(next(iter(by_key))), strays)
    for code, keys in answered_to.items():
        if len(keys) > 1:
            result.duplicates += len(keys) - 1
            result.note("codes answered to several keys", f"{code}: {', '.join(keys)}")


async def replay(
    tally: Tally,
    replicas: Sequence[Replica],
    result: Audit,
    *,
    sample: int | None,
    rng: random.Random,
    give_up_s: float,
) -> None:
    """Sends answered calls again, on another replica: each must get its first answer again."""
    answered = list(tally.answers.values())
    if sample is not None and sample < len(answered):
        answered = rng.sample(answered, sample)
    pending = iter(answered)
    scratch = Tally()

    async def replayer() -> None:
        for call, first in pending:  # One iterator shared by every replayer.
            again = dataclasses.replace(call, replica=call.replica + 1)
            answer = await settle(again, replicas, scratch, give_up_s)
            if answer != first:
                result.replays_differing += 1
                result.note("replays differing", _difference(call, first, answer))

    await asyncio.gather(*(replayer() for _ in range(REPLAY_CLIENTS)))
    result.replayed = len(answered)


def _difference(call: Call, first: Answer, again: Answer | None) -> str:
    shown = "no answer" if again is None else f"{again.status} {list(again.codes)}"
    return f"{call.key}: {first.status} {list(first.codes)}, then {shown}"


async def _rows(connection: AsyncConnection, sql: str, **params: Any) -> list[Sequence[Any]]:
    return [tuple(row) for row in await connection.execute(text(sql), params)]


async def _scalar(connection: AsyncConnection, sql: str, **params: Any) -> int:
    return int((await connection.execute(text(sql), params)).scalar_one())
