"""OpenTelemetry: a real service traced into memory, to the console and to an OTLP receiver;
with tracing off, nothing of OpenTelemetry is installed, or even imported."""

from __future__ import annotations

import json
import pathlib
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from typing import Any

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from coupon.v1 import coupon_service_pb2, coupon_service_pb2_grpc
from coupon_service import app
from coupon_service.app import RunningService, start
from coupon_service.config import Settings
from coupon_service.tracing import Tracing

from .conftest import DEMO_AUTHORIZATION

ISSUE_PATH = "/v2/coupon/issue/multiple"
ISSUE_METHOD = "/coupon.v1.CouponService/IssueMultiple"
AUTHORIZATION = (("authorization", DEMO_AUTHORIZATION),)


def settings_for(tmp_path: pathlib.Path, demo_database: pathlib.Path, **fields: Any) -> Settings:
    database = tmp_path / "traced.db"
    shutil.copyfile(demo_database, database)
    url = f"sqlite+aiosqlite:///{database}"
    return Settings(db_url=url, grpc_port=0, http_port=0, metrics_port=0, **fields)


@pytest.fixture
def spans() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
async def traced(
    tmp_path: pathlib.Path, demo_database: pathlib.Path, spans: InMemorySpanExporter
) -> AsyncIterator[RunningService]:
    running = await start(settings_for(tmp_path, demo_database), tracing=Tracing.start(spans))
    spans.clear()  # Start-up's own SQL.
    try:
        yield running
    finally:
        await running.stop(0)


def only(spans: Sequence[ReadableSpan], name: str) -> ReadableSpan:
    [span] = [span for span in spans if span.name == name]
    return span


def sql_under(spans: Sequence[ReadableSpan], parent: ReadableSpan) -> list[ReadableSpan]:
    return [
        span
        for span in spans
        if span.parent is not None and span.parent.span_id == parent.context.span_id
        if span.kind is SpanKind.CLIENT
    ]


async def issue_over_grpc(
    service: RunningService,
    series_id: int,
    authorization: Sequence[tuple[str, str]] = AUTHORIZATION,
) -> grpc.StatusCode:
    request = coupon_service_pb2.IssueMultipleRequest(
        seriesId=series_id, count=1, customer={"mobile": "11223569865"}
    )
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.grpc_port}") as channel:
        stub = coupon_service_pb2_grpc.CouponServiceStub(channel)
        try:
            await stub.IssueMultiple(request, metadata=tuple(authorization), timeout=10)
        except grpc.aio.AioRpcError as error:
            return error.code()
        return grpc.StatusCode.OK


async def issue_over_rest(service: RunningService) -> int:
    body = {"seriesId": 415446, "count": 1, "customer": {"mobile": "11223569865"}}
    headers = {"Authorization": DEMO_AUTHORIZATION}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{service.http_port}") as http:
        response = await http.post(ISSUE_PATH, json=body, headers=headers, timeout=10)
        assert (await http.get("/healthz")).status_code == 200
    return response.status_code


async def test_a_grpc_call_is_a_server_span_over_its_sql(
    traced: RunningService, spans: InMemorySpanExporter
) -> None:
    assert await issue_over_grpc(traced, 415446) == grpc.StatusCode.OK
    finished = spans.get_finished_spans()
    server = only(finished, ISSUE_METHOD)
    assert server.kind is SpanKind.SERVER
    assert server.resource.attributes["service.name"] == "coupon-service"
    assert server.attributes is not None
    assert server.attributes["rpc.system"] == "grpc"
    assert server.attributes["rpc.service"] == "coupon.v1.CouponService"
    assert server.attributes["rpc.method"] == "IssueMultiple"
    assert server.attributes["rpc.grpc.status_code"] == grpc.StatusCode.OK.value[0]
    # The credential lookup, at least: the first call of a service finds its key in SQL.
    sql = sql_under(finished, server)
    assert sql, [span.name for span in finished]
    for span in sql:
        assert span.attributes is not None
        assert span.attributes["db.system"] == "sqlite"
        statement = str(span.attributes["db.statement"])
        assert span.name.split()[0] == statement.split()[0]  # "SELECT …", "BEGIN …".
    assert any(str(s.attributes and s.attributes["db.statement"]).startswith("SELECT") for s in sql)


async def test_a_refused_grpc_call_carries_the_status_it_was_refused_with(
    traced: RunningService, spans: InMemorySpanExporter
) -> None:
    # Refusals are sent with abort_with_status, which OpenTelemetry's own interceptor misses.
    assert await issue_over_grpc(traced, 1) == grpc.StatusCode.NOT_FOUND
    assert await issue_over_grpc(traced, 415446, authorization=()) == (
        grpc.StatusCode.UNAUTHENTICATED
    )
    refused = [s for s in spans.get_finished_spans() if s.name == ISSUE_METHOD]
    assert [s.attributes and s.attributes["rpc.grpc.status_code"] for s in refused] == [
        grpc.StatusCode.NOT_FOUND.value[0],
        grpc.StatusCode.UNAUTHENTICATED.value[0],
    ]
    # The caller's mistakes, not the server's: by OpenTelemetry's conventions, no error.
    assert all(s.status.status_code is StatusCode.UNSET for s in refused)


async def test_a_rest_call_is_a_server_span_over_its_sql(
    traced: RunningService, spans: InMemorySpanExporter
) -> None:
    assert await issue_over_rest(traced) == 200
    finished = spans.get_finished_spans()
    server = only(finished, f"POST {ISSUE_PATH}")
    assert server.kind is SpanKind.SERVER
    assert server.attributes is not None
    assert server.attributes["http.method"] == "POST"
    assert server.attributes["http.target"] == ISSUE_PATH
    assert server.attributes["http.status_code"] == 200
    sql = sql_under(finished, server)
    assert sql and all(s.attributes and s.attributes["db.system"] == "sqlite" for s in sql)
    # Probes are not traced, and one server span is all a request makes (no send/receive).
    assert [s.name for s in finished if s.kind is SpanKind.SERVER] == [server.name]
    assert not [s for s in finished if s.kind is SpanKind.INTERNAL]


async def test_health_checks_are_not_traced(
    traced: RunningService, spans: InMemorySpanExporter
) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{traced.grpc_port}") as channel:
        answer = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
    assert answer.status == health_pb2.HealthCheckResponse.SERVING
    assert not [s for s in spans.get_finished_spans() if s.kind is SpanKind.SERVER]


async def test_the_console_exporter_prints_the_spans_by_shutdown(
    tmp_path: pathlib.Path, demo_database: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    service = await start(settings_for(tmp_path, demo_database, otel_exporter="console"))
    try:
        assert await issue_over_rest(service) == 200
    finally:
        await service.stop(0)
    printed = capsys.readouterr().out
    assert f'"name": "POST {ISSUE_PATH}"' in printed
    assert '"service.name": "coupon-service"' in printed


class Collector(trace_service_pb2_grpc.TraceServiceServicer):
    """An OTLP receiver: keeps every export request it is sent."""

    def __init__(self) -> None:
        self.requests: list[trace_service_pb2.ExportTraceServiceRequest] = []

    async def Export(
        self, request: trace_service_pb2.ExportTraceServiceRequest, context: object
    ) -> trace_service_pb2.ExportTraceServiceResponse:
        self.requests.append(request)
        return trace_service_pb2.ExportTraceServiceResponse()


async def test_otlp_exports_to_the_endpoint_the_standard_variables_name(
    tmp_path: pathlib.Path, demo_database: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    collector = Collector()
    receiver = grpc.aio.server()
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(collector, receiver)
    port = receiver.add_insecure_port("127.0.0.1:0")
    await receiver.start()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_INSECURE", "true")
    try:
        service = await start(settings_for(tmp_path, demo_database, otel_exporter="otlp"))
        try:
            assert await issue_over_grpc(service, 415446) == grpc.StatusCode.OK
        finally:
            await service.stop(0)  # Flushes the batch to the receiver.
    finally:
        await receiver.stop(0)
    exported = [
        (resource.resource, span.name)
        for request in collector.requests
        for resource in request.resource_spans
        for scope in resource.scope_spans
        for span in scope.spans
    ]
    names = {name for _, name in exported}
    assert ISSUE_METHOD in names
    assert any(name.startswith("SELECT") for name in names)
    service_names = {
        attribute.value.string_value
        for resource, _ in exported
        for attribute in resource.attributes
        if attribute.key == "service.name"
    }
    assert service_names == {"coupon-service"}


async def test_with_tracing_off_nothing_is_installed(
    tmp_path: pathlib.Path, demo_database: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    installed: dict[str, Any] = {}
    start_grpc_server, start_rest_server = app.start_grpc_server, app.start_rest_server

    async def spy_grpc(*args: Any, **kwargs: Any) -> Any:
        installed["grpc"] = [*kwargs.get("observing", ()), *(kwargs.get("interceptors") or ())]
        return await start_grpc_server(*args, **kwargs)

    async def spy_rest(rest_app: Any, *args: Any, **kwargs: Any) -> Any:
        installed["rest"] = rest_app
        return await start_rest_server(rest_app, *args, **kwargs)

    monkeypatch.setattr(app, "start_grpc_server", spy_grpc)
    monkeypatch.setattr(app, "start_rest_server", spy_rest)
    service = await start(settings_for(tmp_path, demo_database))
    try:
        assert service.tracing is None
        assert installed["grpc"]
        assert not [i for i in installed["grpc"] if type(i).__module__.startswith("opentelemetry")]
        assert not type(installed["rest"]).__module__.startswith("opentelemetry")
        assert await issue_over_grpc(service, 415446) == grpc.StatusCode.OK
    finally:
        await service.stop(0)


def test_with_tracing_off_opentelemetry_is_not_even_imported() -> None:
    script = (
        "import json, sys\n"
        "import coupon_service.app, coupon_service.cli, coupon_service.tracing\n"
        "assert coupon_service.tracing.Tracing.start('') is None\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('opentelemetry'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(result.stdout) == []


def test_tracing_without_the_extra_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [name for name in sys.modules if name.startswith("opentelemetry")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "opentelemetry", None)
    message = (
        "COUPON_OTEL_EXPORTER=otlp needs the tracing extra: pip install 'coupon-service[tracing]'"
    )
    with pytest.raises(ValueError) as refused:
        Tracing.start("otlp")
    assert str(refused.value) == message


@pytest.mark.parametrize("name", ["jaeger", "zipkin ", "1"])
def test_an_unknown_exporter_is_refused_by_name(name: str) -> None:
    with pytest.raises(
        ValueError, match="COUPON_OTEL_EXPORTER must be one of '', 'console', 'otlp'"
    ):
        Tracing.start(name)
