"""`coupon-service events watch` in a subprocess, over gRPC to a real service with the demo data:
one line per event in commit order (--json: one JSON object a line), --after and --from-now,
--limit ends it with exit status 0 and so does Ctrl-C, quietly; a refused cursor, an unreachable
server and flags that do not fit end it as every operator command ends."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from typing import Any

from coupon_client import CouponClient, customer_ref

from coupon_service.app import RunningService
from tests.e2e.helpers.operator_cli import DEMO_KEY, environment, grpc_flags, operator

from .conftest import DEMO_AUTHORIZATION

DEMO = customer_ref(mobile="11223569865")
WAIT_SECONDS = 30


async def life_of_a_coupon(service: RunningService) -> str:
    """Two coupons of 415446, the first redeemed, that reversed, then revoked: five events."""
    target = f"127.0.0.1:{service.grpc_port}"
    async with CouponClient(target, authorization=DEMO_AUTHORIZATION) as client:
        issued = await client.issue_multiple(415446, DEMO, count=2)
        code = issued.coupons[0].code
        redeemed = await client.redeem_coupon(code, DEMO, bill_number="B-1")
        await client.reverse_redemption(redeemed.redemption.id)
        await client.revoke_coupon(code, reason="stolen card")
    return str(code)


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


async def test_each_event_is_one_line_in_commit_order_until_the_limit(service):
    code = await life_of_a_coupon(service)
    flags = ("events", "watch", "--limit", "5", *grpc_flags(service))

    as_json, text = await asyncio.gather(operator(*flags, "--json"), operator(*flags))

    assert as_json.status == 0, as_json.err
    events = json_lines(as_json.out)
    assert [event["type"].removeprefix("COUPON_EVENT_TYPE_") for event in events] == [
        "ISSUED", "ISSUED", "REDEEMED", "REDEMPTION_REVERSED", "REVOKED",
    ]  # fmt: skip
    assert (events[0]["code"], events[0]["seriesId"], events[0]["customerId"]) == (
        code, "415446", "555567088",
    )  # fmt: skip
    assert events[2]["redemption"]["billNumber"] == "B-1"
    assert events[4]["revokeReason"] == "stolen card"
    assert text.status == 0, text.err
    lines = text.out.splitlines()
    assert [line.split()[0] for line in lines] == [event["cursor"] for event in events]
    assert lines[0].split()[2:] == [
        "ISSUED",
        "code",
        code,
        "series",
        "415446",
        "customer",
        "555567088",
    ]
    redemption = events[2]["redemption"]["id"]
    assert lines[2].split()[2] == "REDEEMED" and lines[2].endswith(f"redemption {redemption}")
    assert lines[3].split()[2] == "REDEMPTION_REVERSED"
    assert lines[3].endswith(f"redemption {redemption}")
    assert lines[4].split()[2] == "REVOKED" and lines[4].endswith('reason "stolen card"')
    assert text.err == as_json.err == ""


async def test_after_resumes_behind_a_cursor(service):
    await life_of_a_coupon(service)
    every = await operator("events", "watch", "--limit", "5", "--json", *grpc_flags(service))
    cursors = [event["cursor"] for event in json_lines(every.out)]

    resumed = await operator(
        "events", "watch", "--after", cursors[1], "--limit", "3", "--json", *grpc_flags(service)
    )

    assert resumed.status == 0, resumed.err
    assert [event["cursor"] for event in json_lines(resumed.out)] == cursors[2:]


async def watching(service: RunningService, *flags: str) -> asyncio.subprocess.Process:
    """`events watch FLAGS` started and left running."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "coupon_service", "events", "watch", *flags, *grpc_flags(service),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=environment(),
    )  # fmt: skip


async def test_from_now_prints_only_what_commits_after_it_started(service):
    await life_of_a_coupon(service)
    process = await watching(service, "--from-now", "--limit", "1", "--json")
    finished = asyncio.ensure_future(process.communicate())
    issued = []
    async with CouponClient(
        f"127.0.0.1:{service.grpc_port}", authorization=DEMO_AUTHORIZATION
    ) as client:
        # Issue until it prints: what it prints can only be a coupon issued after it began.
        while not finished.done() and len(issued) < 200:
            issued += (await client.issue_multiple(535521, DEMO)).coupons
            await asyncio.wait({finished}, timeout=0.2)
    out, err = await asyncio.wait_for(finished, WAIT_SECONDS)

    assert process.returncode == 0, err
    [event] = json_lines(out.decode())
    assert event["code"] in {coupon.code for coupon in issued}


async def test_ctrl_c_ends_it_quietly_with_exit_status_0(service):
    await life_of_a_coupon(service)
    process = await watching(service)
    assert process.stdout is not None
    first = await asyncio.wait_for(process.stdout.readline(), WAIT_SECONDS)

    process.send_signal(signal.SIGINT)
    _, err = await asyncio.wait_for(process.communicate(), WAIT_SECONDS)

    assert first.split()[2] == b"ISSUED"
    assert process.returncode == 0
    assert err == b""


async def test_a_refused_cursor_and_an_unreachable_server_are_one_line_and_exit_1(service):
    refused, unreachable = await asyncio.gather(
        operator("events", "watch", "--after", "not-a-cursor", *grpc_flags(service)),
        operator("events", "watch", "--server", "127.0.0.1:1", "--key", DEMO_KEY, "--timeout", "1"),
    )

    assert refused.status == 1
    assert refused.err.startswith("coupon-service: INVALID_ARGUMENT 911: ")
    assert len(refused.err.strip().splitlines()) == 1
    assert unreachable.status == 1
    assert unreachable.err.strip() == (
        "coupon-service: UNAVAILABLE: could not reach 127.0.0.1:1 within 1 s"
    )


USAGE_ERRORS = [
    ("events", "watch"),  # No server: there is no other way to the feed.
    ("events", "watch", "--db-url", "sqlite+aiosqlite:///x.db", "--org", "demo"),
    ("events", "watch", "--server", "127.0.0.1:1"),  # No key.
    ("events", "watch", "--server", "127.0.0.1:1", "--key", DEMO_KEY, "--limit", "0"),
    ("events", "watch", "--server", "127.0.0.1:1", "--key", DEMO_KEY, "--after", "3", "--from-now"),
]


async def test_flags_that_do_not_fit_exit_2_with_one_line():
    runs = await asyncio.gather(*(operator(*args) for args in USAGE_ERRORS))

    for args, ran in zip(USAGE_ERRORS, runs, strict=True):
        assert ran.status == 2, (args, ran)
        assert ran.err.strip().splitlines()[-1].startswith(("coupon-service", "usage")), args


async def test_its_help_says_the_feed_is_read_through_a_server():
    ran = await operator("events", "watch", "--help")

    assert ran.status == 0
    assert "The feed is read through a server (--server)" in " ".join(ran.out.split())
    assert "--db-url URL" not in ran.out  # No such flag among its options.
