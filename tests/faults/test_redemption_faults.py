"""Redemption batches through PostgreSQL faults: every session of the service's database is
terminated in rounds while callers redeem 80 coupons over gRPC, retrying by request id when
told UNAVAILABLE. Callers see only OK or UNAVAILABLE, every coupon is redeemed exactly once,
each request id names one redemption, and the feed holds one REDEEMED event per redemption."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from typing import Any, NamedTuple

import asyncpg
import grpc
import pytest
from sqlalchemy.engine import make_url

from coupon.v1 import coupon_service_pb2, coupon_service_pb2_grpc
from coupon_service.demo import LOAD_CUSTOMER_MOBILES
from coupon_service.domain.events import EventType

from .calls import AUTHORIZATION, RETRIES, SERIES
from .conftest import StartService, terminate_backends

pytestmark = pytest.mark.postgres
WORKERS, PER_WORKER = 8, 10
_METADATA = (("authorization", AUTHORIZATION),)


async def _issue_coupons(stub: coupon_service_pb2_grpc.CouponServiceStub) -> list[tuple[str, str]]:
    """(code, mobile) of one fresh coupon per call, issued before any fault."""
    held = []
    for number in range(WORKERS * PER_WORKER):
        mobile = LOAD_CUSTOMER_MOBILES[number % len(LOAD_CUSTOMER_MOBILES)]
        reply = await stub.IssueMultiple(
            coupon_service_pb2.IssueMultipleRequest(
                seriesId=SERIES, count=1, customer={"mobile": mobile}
            ),
            timeout=10,
            metadata=_METADATA,
        )
        held.append((reply.coupons[0].code, mobile))
    return held


class Redeemed(NamedTuple):
    code: str
    mobile: str
    redemption_id: int


def _request(request_id: str, code: str, mobile: str) -> coupon_service_pb2.RedeemCouponRequest:
    return coupon_service_pb2.RedeemCouponRequest(
        code=code, customer={"mobile": mobile}, request_id=request_id
    )


async def _redeem_all(
    stub: coupon_service_pb2_grpc.CouponServiceStub,
    held: list[tuple[str, str]],
    statuses: list[str],
    redeemed: dict[str, Redeemed],
) -> None:
    """Redeems each (code, mobile) under a request id of its own, retried while UNAVAILABLE."""
    for code, mobile in held:
        request_id = f"redeem-{code}-{uuid.uuid4().hex[:6]}"
        for _ in range(RETRIES):
            try:
                reply = await stub.RedeemCoupon(
                    _request(request_id, code, mobile), timeout=10, metadata=_METADATA
                )
            except grpc.aio.AioRpcError as error:
                statuses.append(error.code().name)
                if error.code() is not grpc.StatusCode.UNAVAILABLE:
                    break
                await asyncio.sleep(0.05)
                continue
            statuses.append("OK")
            redeemed[request_id] = Redeemed(code, mobile, reply.redemption.id)
            break


async def _terminating(database: str, stop: asyncio.Event) -> int:
    ended = 0
    while not stop.is_set():
        ended += await terminate_backends(database)
        await asyncio.sleep(0.05)
    return ended


async def _stored(url: str, codes: list[str]) -> dict[str, Any]:
    """What the database holds of the coupons with `codes`: their redemptions, uses taken, and
    the feed's REDEEMED events of them."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        ids = await connection.fetch(
            "SELECT r.id FROM redemptions r JOIN coupons c ON c.id = r.coupon_id"
            " WHERE c.code = ANY($1::text[]) ORDER BY r.id",
            codes,
        )
        uses = await connection.fetchval(
            "SELECT sum(redemption_count) FROM coupons WHERE code = ANY($1::text[])", codes
        )
        events = await connection.fetchval(
            "SELECT count(*) FROM events e JOIN coupons c ON c.id = e.coupon_id"
            " WHERE c.code = ANY($1::text[]) AND e.type = $2",
            codes,
            int(EventType.REDEEMED),
        )
    finally:
        await connection.close()
    return {"ids": [row["id"] for row in ids], "uses": uses, "redeemed_events": events}


async def test_terminated_sessions_lose_no_redemption_and_make_none_twice(
    demo_postgres: str, start_service: StartService
) -> None:
    service = await start_service(demo_postgres)
    database = make_url(demo_postgres).database or ""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.grpc_port}") as channel:
        stub = coupon_service_pb2_grpc.CouponServiceStub(channel)
        held = await _issue_coupons(stub)
        statuses: list[str] = []
        redeemed: dict[str, Redeemed] = {}
        stop = asyncio.Event()
        killer = asyncio.create_task(_terminating(database, stop))
        shares = [held[worker::WORKERS] for worker in range(WORKERS)]
        await asyncio.gather(*(_redeem_all(stub, share, statuses, redeemed) for share in shares))
        stop.set()
        terminated = await killer
        replayed = {
            request_id: (
                await stub.RedeemCoupon(
                    _request(request_id, one.code, one.mobile), timeout=10, metadata=_METADATA
                )
            ).redemption.id
            for request_id, one in redeemed.items()
        }

    assert terminated > 20, "the test must really have ended the service's sessions"
    assert set(statuses) <= {"OK", "UNAVAILABLE"}, Counter(statuses)
    assert "UNAVAILABLE" in statuses, "some batch must have been cut off"
    assert sorted(one.code for one in redeemed.values()) == sorted(code for code, _ in held)
    assert replayed == {request_id: one.redemption_id for request_id, one in redeemed.items()}
    stored = await _stored(demo_postgres, [code for code, _ in held])
    assert stored["ids"] == sorted(one.redemption_id for one in redeemed.values())
    assert stored["uses"] == stored["redeemed_events"] == len(held)
