"""The real `coupon-service serve` in a subprocess: it logs the ports it bound, curl gets the
documented answers from both REST routes, gRPC answers beside it, and SIGTERM stops it cleanly."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import sys
from pathlib import Path

import grpc

from coupon.v1 import coupon_service_pb2, coupon_service_pb2_grpc
from coupon_service.entrypoints.rest.server import _listen
from tests.e2e.conftest import DEMO_AUTHORIZATION
from tests.e2e.helpers.rest import curl

CLI = Path(sys.executable).with_name("coupon-service")
SERVING = re.compile(rb"serving (gRPC|REST) on (?:http://)?([\w.:-]+):(\d+)")


async def _bound_ports(stderr: asyncio.StreamReader) -> dict[bytes, int]:
    ports: dict[bytes, int] = {}
    while len(ports) < 2:
        line = await stderr.readline()
        assert line, "the service exited before it logged both addresses"
        if match := SERVING.search(line):
            ports[match.group(1)] = int(match.group(3))
    return ports


async def test_serve_logs_its_ports_and_answers_curl_on_both_routes(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        str(CLI),
        "serve",
        "--demo",
        "--db-url",
        f"sqlite:///{tmp_path}/cli.db",
        "--grpc-port",
        "0",
        "--http-port",
        "0",
        "--metrics-port",
        "0",
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    try:
        ports = await asyncio.wait_for(_bound_ports(process.stderr), timeout=60)
        base = f"http://127.0.0.1:{ports[b'REST']}"
        json_type = "Content-Type: application/json"
        post = ("-X", "POST", "-H", json_type, "-H", f"Authorization: {DEMO_AUTHORIZATION}")

        issue = '{"seriesId": 415446, "count": 2, "customer": {"mobile": "11223569865"}}'
        status, body = await curl(*post, f"{base}/v2/coupon/issue/multiple", "-d", issue)
        assert status == 200 and body["successCount"] == 2

        bulk = '{"seriesIds": [544770, 553379], "customer": {"mobile": "11223569865"}}'
        status, body = await curl(*post, f"{base}/v2/coupon/bulk/issue", "-d", bulk)
        assert status == 200 and (body["totalCount"], body["failureCount"]) == (2, 0)

        unknown = '{"seriesId": 123, "customer": {"mobile": "11223569865"}}'
        status, body = await curl(*post, f"{base}/v2/coupon/issue/multiple", "-d", unknown)
        assert status == 404 and body["errors"] == [
            {"status": False, "code": 707, "message": "Coupon Series ID is invalid"}
        ]

        async with grpc.aio.insecure_channel(f"127.0.0.1:{ports[b'gRPC']}") as channel:
            stub = coupon_service_pb2_grpc.CouponServiceStub(channel)
            request = coupon_service_pb2.BulkIssueRequest(
                seriesIds=[553379], customer={"mobile": "11223569865"}
            )
            authorization = (("authorization", DEMO_AUTHORIZATION),)
            answer = await stub.BulkIssue(request, metadata=authorization, timeout=10)
            assert answer.totalCount == 1
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, stderr.decode()
    assert b"stopped" in stderr
    assert b"Traceback" not in stderr


def test_the_rest_listener_says_it_is_tcp_so_nagle_is_off_on_its_connections() -> None:
    # asyncio sets TCP_NODELAY on accepted connections only for a listener created with
    # IPPROTO_TCP; without it each kept-alive response waited ~40 ms for a delayed ACK.
    listener = _listen("127.0.0.1", 0)
    try:
        assert listener.proto == socket.IPPROTO_TCP
    finally:
        listener.close()
