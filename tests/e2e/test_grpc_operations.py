"""Operating the service: health, reflection through the real grpcurl binary, graceful shutdown
of the `coupon-service serve` process on SIGTERM, and bad input of odd shapes."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import re
import signal
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from coupon.v1 import (
    common_pb2,
    coupon_service_pb2,
    coupon_service_pb2_grpc,
    customer_service_pb2,
    customer_service_pb2_grpc,
    series_service_pb2,
    series_service_pb2_grpc,
)
from coupon_service.adapters.database import create_engine
from coupon_service.adapters.unit_of_work import SqlUnitOfWork
from coupon_service.app import RunningService, start
from coupon_service.config import Settings
from coupon_service.domain.credentials import Scope
from coupon_service.service.auth import create_key
from coupon_service.service.orgs import create_org
from tests.e2e.conftest import WithAuthorization
from tests.e2e.test_grpc_issue_multiple import DOCUMENTED_MOBILE_BODY, issue, rich_failure

BIN = Path(sys.executable).parent
GRPCURL = str(BIN / "grpcurl")
COUPON_SERVICE = str(BIN / "coupon-service")
# The demo API key: ignored while the server does not authenticate, accepted once it does.
DEMO_AUTHORIZATION = "Basic " + base64.b64encode(b"demo:demo-secret").decode()
AUTH = (("authorization", DEMO_AUTHORIZATION),)
SERVICES = ("coupon.v1.CouponService", "coupon.v1.SeriesService", "coupon.v1.CustomerService")
DEMO_MOBILE = "11223569865"


# --- health -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", *SERVICES])
async def test_health_check_is_serving(channel, name):
    health = health_pb2_grpc.HealthStub(channel)

    response = await health.Check(health_pb2.HealthCheckRequest(service=name), timeout=5)

    assert response.status == health_pb2.HealthCheckResponse.SERVING


async def test_health_check_of_an_unknown_service_is_not_found(channel):
    health = health_pb2_grpc.HealthStub(channel)

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await health.Check(health_pb2.HealthCheckRequest(service="coupon.v1.Nope"), timeout=5)

    assert caught.value.code() is grpc.StatusCode.NOT_FOUND


# --- reflection through grpcurl ---------------------------------------------------------------


async def grpcurl(*args: str) -> tuple[int, str, str]:
    """Runs the real grpcurl without blocking the event loop the server runs on."""
    process = await asyncio.create_subprocess_exec(
        GRPCURL, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def address(service: RunningService) -> str:
    return f"127.0.0.1:{service.grpc_port}"


async def test_grpcurl_lists_every_service(service):
    returncode, out, err = await grpcurl("-plaintext", address(service), "list")

    assert returncode == 0, err
    assert {*SERVICES, "grpc.health.v1.Health"} <= set(out.split())


async def test_grpcurl_describes_the_request(service):
    returncode, out, err = await grpcurl(
        "-plaintext", address(service), "describe", "coupon.v1.IssueMultipleRequest"
    )

    assert returncode == 0, err
    assert "coupon.v1.IssueMultipleRequest is a message:" in out
    for line in (
        "int64 seriesId = 1;",
        "optional int32 count = 2;",
        ".coupon.v1.CustomerRef customer = 3;",
        ".coupon.v1.IssuanceMetadata metadata = 4;",
        "repeated int64 seriesIds = 5;",
        "string requestId = 6;",
    ):
        assert line in out


async def test_grpcurl_describes_the_service(service):
    returncode, out, err = await grpcurl(
        "-plaintext", address(service), "describe", "coupon.v1.CouponService"
    )

    assert returncode == 0, err
    assert "rpc IssueMultiple ( .coupon.v1.IssueMultipleRequest )" in out
    assert "rpc BulkIssue ( .coupon.v1.BulkIssueRequest )" in out


async def test_grpcurl_issues_with_the_documented_body(service):
    returncode, out, err = await grpcurl(
        "-plaintext",
        "-emit-defaults",
        "-H",
        f"authorization: {DEMO_AUTHORIZATION}",
        "-d",
        DOCUMENTED_MOBILE_BODY,
        address(service),
        "coupon.v1.CouponService/IssueMultiple",
    )

    assert returncode == 0, err
    assert '"couponId"' in out
    printed = json.loads(out)
    assert [len(coupon["code"]) for coupon in printed["coupons"]] == [10, 10]
    assert (printed["totalCount"], printed["successCount"], printed["failureCount"]) == (2, 2, 0)
    assert (printed["errors"], printed["warnings"]) == ([], [])
    assert printed["couponConfig"]["description"] == "IKEA - 500KW Voucher "
    assert printed["customer"]["profiles"][0]["firstName"] == "Abijith"


async def test_grpcurl_prints_the_rich_error(service):
    body = '{"seriesId": 1, "customer": {"mobile": "11223569865"}}'

    returncode, out, err = await grpcurl(
        "-plaintext",
        "-H",
        f"authorization: {DEMO_AUTHORIZATION}",
        "-d",
        body,
        address(service),
        "coupon.v1.CouponService/IssueMultiple",
    )

    assert returncode == 64 + grpc.StatusCode.NOT_FOUND.value[0]
    assert out == ""
    assert "Code: NotFound" in err
    assert "Message: Coupon Series ID is invalid" in err
    assert '"@type":"type.googleapis.com/google.rpc.ErrorInfo"' in err
    assert '"reason":"SERIES_INVALID"' in err
    assert '"metadata":{"code":"707","seriesId":"1"}' in err
    assert '"@type":"type.googleapis.com/coupon.v1.CouponErrorDetail","code":707' in err


async def test_grpcurl_format_error_prints_the_status_as_json(service):
    body = '{"seriesId": 415446, "count": 501, "customer": {"mobile": "11223569865"}}'

    returncode, _out, err = await grpcurl(
        "-plaintext",
        "-format-error",
        "-H",
        f"authorization: {DEMO_AUTHORIZATION}",
        "-d",
        body,
        address(service),
        "coupon.v1.CouponService/IssueMultiple",
    )

    assert returncode == 64 + grpc.StatusCode.INVALID_ARGUMENT.value[0]
    printed = json.loads(err)
    assert printed["code"] == 3
    types = [detail["@type"].rsplit("/", 1)[1] for detail in printed["details"]]
    assert types == ["google.rpc.ErrorInfo", "coupon.v1.CouponErrorDetail", "google.rpc.BadRequest"]
    assert printed["details"][1]["code"] == 677
    assert printed["details"][2]["field_violations"][0]["field"] == "count"


async def test_grpcurl_health_check(service):
    returncode, out, err = await grpcurl(
        "-plaintext", address(service), "grpc.health.v1.Health/Check"
    )

    assert returncode == 0, err
    assert json.loads(out) == {"status": "SERVING"}


# --- graceful shutdown of the real process ----------------------------------------------------


@dataclasses.dataclass
class ServerProcess:
    """A `coupon-service serve` child process and everything it logged so far."""

    process: asyncio.subprocess.Process
    port: int
    log: list[str]
    reader: asyncio.Task[None]

    async def terminate(self, within: float) -> int:
        """Sends SIGTERM and waits for the exit code and the rest of the log."""
        self.process.send_signal(signal.SIGTERM)
        returncode = await asyncio.wait_for(self.process.wait(), within)
        await asyncio.wait_for(self.reader, within)
        return returncode

    @property
    def text(self) -> str:
        return "".join(self.log)


async def _start_process(tmp_path: Path, *extra: str) -> ServerProcess:
    process = await asyncio.create_subprocess_exec(
        COUPON_SERVICE,
        "serve",
        "--demo",
        "--db-url",
        f"sqlite:///{tmp_path}/serve.db",
        "--grpc-port",
        "0",
        "--http-port",
        "0",
        "--metrics-port",
        "0",
        *extra,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    stderr = process.stderr
    log: list[str] = []
    listening: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def read() -> None:
        async for raw in stderr:
            line = raw.decode()
            log.append(line)
            found = re.search(r"serving gRPC on 127\.0\.0\.1:(\d+)", line)
            if found and not listening.done():
                listening.set_result(int(found[1]))
        if not listening.done():
            listening.set_exception(RuntimeError("the server exited:\n" + "".join(log)))

    reader = asyncio.create_task(read())
    try:
        port = await asyncio.wait_for(asyncio.shield(listening), 60)
    except BaseException:
        process.kill()
        await process.wait()
        await reader
        raise
    return ServerProcess(process, port, log, reader)


@pytest.fixture
async def start_process(
    tmp_path: Path,
) -> AsyncIterator[Callable[..., Awaitable[ServerProcess]]]:
    """Starts `coupon-service serve` processes; kills any a test left running."""
    started: list[ServerProcess] = []

    async def start(*extra: str) -> ServerProcess:
        server = await _start_process(tmp_path, *extra)
        started.append(server)
        return server

    yield start
    for server in started:
        if server.process.returncode is None:
            server.process.kill()
            await server.process.wait()
        await server.reader


async def test_sigterm_after_a_call_exits_cleanly(start_process):
    server = await start_process()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        stub = coupon_service_pb2_grpc.CouponServiceStub(channel)
        response = await stub.IssueMultiple(
            issue(415446, 2, mobile=DEMO_MOBILE), metadata=AUTH, timeout=10
        )
        assert response.successCount == 2

        returncode = await server.terminate(within=5)

    assert returncode == 0, server.text
    records = [json.loads(line) for line in server.log]  # Not a terminal: JSON lines.
    said = [(record["logger"], record["message"]) for record in records]
    shutting_down = next(i for i, (_, message) in enumerate(said) if "shutting down" in message)
    assert "health NOT_SERVING" in said[shutting_down][1]
    assert ("coupon_service", "stopped") in said[shutting_down:]
    assert "Traceback" not in server.text


async def test_sigterm_lets_calls_in_flight_finish(start_process):
    server = await start_process()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        stub = coupon_service_pb2_grpc.CouponServiceStub(channel)
        # Six calls of 500 coupons each: the server works through them one at a time, so when
        # the first has answered the other five are in flight.
        calls = [
            asyncio.ensure_future(
                stub.IssueMultiple(
                    issue(415446, 500, mobile=DEMO_MOBILE), metadata=AUTH, timeout=30
                )
            )
            for _ in range(6)
        ]
        loop = asyncio.get_running_loop()
        finished: list[float] = []
        for call in calls:
            call.add_done_callback(lambda _call: finished.append(loop.time()))
        await asyncio.wait(calls, return_when=asyncio.FIRST_COMPLETED)
        terminated_at = loop.time()

        returncode = await server.terminate(within=15)
        responses = await asyncio.gather(*calls)

    assert returncode == 0, server.text
    assert max(finished) > terminated_at  # Calls were in flight when SIGTERM arrived.
    assert [response.successCount for response in responses] == [500] * 6
    codes = {coupon.code for response in responses for coupon in response.coupons}
    assert len(codes) == 3000
    assert "stopped" in server.text


async def test_sigterm_turns_health_not_serving_before_stopping(start_process):
    server = await start_process("--grace", "1")
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        watch = health_pb2_grpc.HealthStub(channel).Watch(
            health_pb2.HealthCheckRequest(service="coupon.v1.CouponService")
        )
        first = await asyncio.wait_for(watch.read(), 5)
        server.process.send_signal(signal.SIGTERM)
        second = await asyncio.wait_for(watch.read(), 5)

        # The open watch is itself a call in flight: the server waits out the grace period.
        returncode = await asyncio.wait_for(server.process.wait(), 10)
        await server.reader
        watch.cancel()

    assert first.status == health_pb2.HealthCheckResponse.SERVING
    assert second.status == health_pb2.HealthCheckResponse.NOT_SERVING
    assert returncode == 0, server.text


# --- bad input of odd shapes --------------------------------------------------------------------

INT64_MAX = 2**63 - 1
ODD_ISSUES = [
    pytest.param(issue(415446, 2**31 - 1, mobile=DEMO_MOBILE), 677, id="count-int32-max"),
    pytest.param(issue(415446, -1, mobile=DEMO_MOBILE), 756, id="count-negative"),
    pytest.param(issue(415446, -(2**31), mobile=DEMO_MOBILE), 756, id="count-int32-min"),
    pytest.param(issue(-1, 1, mobile=DEMO_MOBILE), 756, id="series-negative"),
    pytest.param(issue(-(2**63), 1, mobile=DEMO_MOBILE), 756, id="series-int64-min"),
    pytest.param(issue(INT64_MAX, 1, mobile=DEMO_MOBILE), 707, id="series-int64-max"),
    pytest.param(issue([415446, -1], 1, mobile=DEMO_MOBILE), 756, id="series-list-negative"),
    pytest.param(issue([0], 1, mobile=DEMO_MOBILE), 756, id="series-list-zero"),
    pytest.param(issue(list(range(1, 102)), 1, mobile=DEMO_MOBILE), 629, id="101-series"),
    pytest.param(
        issue([415446, INT64_MAX], 1, mobile=DEMO_MOBILE), 707, id="series-list-int64-max"
    ),
    pytest.param(issue(415446, 1), 756, id="customer-empty"),
    pytest.param(
        coupon_service_pb2.IssueMultipleRequest(seriesId=415446), 756, id="customer-missing"
    ),
    pytest.param(issue(415446, 1, mobile=""), 756, id="mobile-empty-string"),
    pytest.param(issue(415446, 1, mobile="   "), 756, id="mobile-blank"),
    pytest.param(issue(415446, 1, id=0), 701, id="customer-id-0"),
    pytest.param(issue(415446, 1, id=-1), 701, id="customer-id-negative"),
    pytest.param(issue(415446, 1, id=INT64_MAX), 701, id="customer-id-int64-max"),
    pytest.param(issue(415446, 1, mobile="9" * 10_000), 701, id="mobile-10k"),
    pytest.param(issue(415446, 1, email="ünïcødé@exämple.com"), 701, id="email-unicode"),
    pytest.param(issue(415446, 1, externalId="x\x00y"), 629, id="external-id-nul"),
    pytest.param(
        coupon_service_pb2.IssueMultipleRequest(
            seriesId=415446, customer={"mobile": DEMO_MOBILE}, requestId="r" * 129
        ),
        629,
        id="request-id-129",
    ),
    pytest.param(
        coupon_service_pb2.IssueMultipleRequest(
            seriesId=415446, customer={"mobile": DEMO_MOBILE}, metadata={"notes": "n" * 100_000}
        ),
        629,
        id="notes-100k",
    ),
]
EXPECTED_STATUS = {
    629: grpc.StatusCode.INVALID_ARGUMENT,
    677: grpc.StatusCode.INVALID_ARGUMENT,
    756: grpc.StatusCode.INVALID_ARGUMENT,
    701: grpc.StatusCode.NOT_FOUND,
    707: grpc.StatusCode.NOT_FOUND,
}


@pytest.mark.parametrize(("request_message", "code"), ODD_ISSUES)
async def test_odd_issue_request_gets_a_clear_error(channel, request_message, code):
    stub = coupon_service_pb2_grpc.CouponServiceStub(channel)

    failure = await rich_failure(stub.IssueMultiple(request_message, timeout=10))

    assert failure.status is EXPECTED_STATUS[code]
    assert failure.detail is not None and failure.detail.code == code
    assert failure.info.metadata["code"] == str(code)


async def test_request_id_of_128_characters_is_accepted(channel):
    stub = coupon_service_pb2_grpc.CouponServiceStub(channel)
    request = issue(415446, 1, mobile=DEMO_MOBILE)
    request.requestId = "r" * 128

    response = await stub.IssueMultiple(request, timeout=10)

    assert response.successCount == 1


@pytest.mark.parametrize(
    ("request_message", "code"),
    [
        pytest.param(
            coupon_service_pb2.BulkIssueRequest(customer={"mobile": DEMO_MOBILE}), 756, id="none"
        ),
        pytest.param(
            coupon_service_pb2.BulkIssueRequest(
                seriesIds=list(range(1, 102)), customer={"mobile": DEMO_MOBILE}
            ),
            629,
            id="101-series",
        ),
        pytest.param(
            coupon_service_pb2.BulkIssueRequest(seriesIds=[-1], customer={"mobile": DEMO_MOBILE}),
            756,
            id="negative-series",
        ),
        pytest.param(
            coupon_service_pb2.BulkIssueRequest(seriesIds=[415446]), 756, id="no-customer"
        ),
        pytest.param(
            coupon_service_pb2.BulkIssueRequest(seriesIds=[415446], customer={"id": 0}),
            701,
            id="customer-id-0",
        ),
    ],
)
async def test_odd_bulk_issue_request_gets_a_clear_error(channel, request_message, code):
    stub = coupon_service_pb2_grpc.CouponServiceStub(channel)

    failure = await rich_failure(stub.BulkIssue(request_message, timeout=10))

    assert failure.status is EXPECTED_STATUS[code]
    assert failure.detail is not None and failure.detail.code == code


@pytest.mark.parametrize(
    ("call", "status"),
    [
        pytest.param(
            lambda s, c: s.GetSeries(series_service_pb2.GetSeriesRequest(series_id=-1)),
            grpc.StatusCode.NOT_FOUND,
            id="get-series-negative",
        ),
        pytest.param(
            lambda s, c: s.ListSeries(series_service_pb2.ListSeriesRequest(page_size=2**31 - 1)),
            grpc.StatusCode.INVALID_ARGUMENT,
            id="list-series-huge-page",
        ),
        pytest.param(
            lambda s, c: s.ListSeries(
                series_service_pb2.ListSeriesRequest(page_token="\u00ff" * 9)
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            id="list-series-unicode-token",
        ),
        pytest.param(
            lambda s, c: c.GetCustomer(
                customer_service_pb2.GetCustomerRequest(customer={"email": ""})
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            id="get-customer-empty-email",
        ),
        pytest.param(
            lambda s, c: c.ListCustomerCoupons(
                customer_service_pb2.ListCustomerCouponsRequest(
                    customer=common_pb2.CustomerRef(mobile=DEMO_MOBILE), page_token="%%%"
                )
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            id="list-coupons-bad-token",
        ),
        pytest.param(
            lambda s, c: c.CreateCustomer(customer_service_pb2.CreateCustomerRequest()),
            grpc.StatusCode.INVALID_ARGUMENT,
            id="create-empty-customer",
        ),
        pytest.param(
            lambda s, c: s.CreateSeries(
                series_service_pb2.CreateSeriesRequest(
                    series=series_service_pb2.Series(random_code_length=-1)
                )
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            id="create-series-negative-length",
        ),
    ],
)
async def test_odd_management_request_gets_a_clear_error(channel, call, status):
    series = series_service_pb2_grpc.SeriesServiceStub(channel)
    customers = customer_service_pb2_grpc.CustomerServiceStub(channel)

    failure = await rich_failure(call(series, customers))

    assert failure.status is status
    assert failure.detail is not None and failure.detail.code in (629, 701, 707, 756)


# --- text PostgreSQL cannot store -------------------------------------------------------------


async def _new_org_and_key(db_url: str) -> str:
    """A fresh organisation with a manage key in the database; the key's authorization value."""
    engine = create_engine(db_url)
    try:
        uow = SqlUnitOfWork(engine)
        name = f"e2e-{uuid.uuid4().hex[:12]}"
        await create_org(uow, name)
        return (await create_key(uow, name, [Scope.MANAGE])).authorization
    finally:
        await engine.dispose()


@pytest.fixture
async def postgres_channel(postgres_url: str) -> AsyncIterator[grpc.aio.Channel]:
    """A real server on the session's PostgreSQL database, acting for a fresh organisation."""
    authorization = await _new_org_and_key(postgres_url)
    settings = Settings(db_url=postgres_url, grpc_port=0, http_port=0, metrics_port=0)
    running = await start(settings)
    try:
        async with grpc.aio.insecure_channel(
            f"127.0.0.1:{running.grpc_port}", interceptors=[WithAuthorization(authorization)]
        ) as opened:
            yield opened
    finally:
        await running.stop(0)


async def _status_of(call: Awaitable[object]) -> grpc.StatusCode:
    try:
        await call
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


@pytest.mark.postgres
async def test_nul_characters_get_a_clear_error_on_postgresql(postgres_channel):
    coupons = coupon_service_pb2_grpc.CouponServiceStub(postgres_channel)
    series = series_service_pb2_grpc.SeriesServiceStub(postgres_channel)
    customers = customer_service_pb2_grpc.CustomerServiceStub(postgres_channel)
    customer = await customers.CreateCustomer(
        customer_service_pb2.CreateCustomerRequest(
            customer=customer_service_pb2.Customer(mobile="447700900001")
        )
    )
    created = await series.CreateSeries(
        series_service_pb2.CreateSeriesRequest(
            series=series_service_pb2.Series(is_multiple_vouchers_per_user_allowed=True)
        )
    )
    with_nul_notes = issue(created.id, 1, id=customer.id)
    with_nul_notes.metadata.notes = "a\x00b"
    with_nul_request_id = issue(created.id, 1, id=customer.id)
    with_nul_request_id.requestId = "a\x00b"

    statuses = {
        "externalId": await _status_of(
            coupons.IssueMultiple(issue(created.id, 1, externalId="x\x00y"), timeout=10)
        ),
        "metadata.notes": await _status_of(coupons.IssueMultiple(with_nul_notes, timeout=10)),
        "requestId": await _status_of(coupons.IssueMultiple(with_nul_request_id, timeout=10)),
        "firstName": await _status_of(
            customers.CreateCustomer(
                customer_service_pb2.CreateCustomerRequest(
                    customer=customer_service_pb2.Customer(
                        mobile="447700900002", first_name="a\x00b"
                    )
                ),
                timeout=10,
            )
        ),
        "description": await _status_of(
            series.CreateSeries(
                series_service_pb2.CreateSeriesRequest(
                    series=series_service_pb2.Series(description="a\x00b")
                ),
                timeout=10,
            )
        ),
    }

    broken = {field: status for field, status in statuses.items() if status in _CRASHES}
    assert broken == {}


_CRASHES = (grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL)
