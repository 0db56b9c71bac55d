"""OpenTelemetry traces of the gRPC door, the REST shim and the SQL they run; off by default.

The OpenTelemetry packages (the `tracing` extra) are imported only once tracing is asked for:
with it off the service runs without them, and nothing of them is in any call's path.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import grpc

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from sqlalchemy.ext.asyncio import AsyncEngine
    from starlette.types import ASGIApp

    _Continuation = Callable[
        [grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any] | None]
    ]

SERVICE_NAME = "coupon-service"
EXPORTERS = ("console", "otlp")
# Probes are not calls: a span for every health check would drown the traces that matter.
_UNTRACED_GRPC_SERVICES = ("grpc.health.v1.Health", "grpc.reflection.")
_UNTRACED_HTTP_PATHS = "/healthz,/readyz"
# The codes that make a server span an error, by OpenTelemetry's conventions for gRPC: the
# others (NOT_FOUND, INVALID_ARGUMENT, …) are the caller's, and the span says only which.
_SERVER_ERRORS = frozenset(
    {
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.UNIMPLEMENTED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DATA_LOSS,
    }
)


class Tracing:
    """A tracer provider and its exporter, and the hooks that feed it."""

    def __init__(self, provider: TracerProvider) -> None:
        self._provider = provider

    @classmethod
    def start(cls, exporter: str | SpanExporter) -> Tracing | None:
        """Tracing to `exporter`: "" (None: tracing off), "console" (spans as JSON on stdout),
        "otlp" (OTLP over gRPC, set up by the standard OTEL_EXPORTER_OTLP_* variables), or an
        exporter instance, which gets each span as it ends (tests read them at once).

        Raises ValueError for another name, or when the tracing extra is not installed.
        """
        name = exporter.strip().lower() if isinstance(exporter, str) else ""
        if isinstance(exporter, str) and not name:
            return None
        if isinstance(exporter, str) and name not in EXPORTERS:
            allowed = ", ".join(repr(n) for n in ("", *EXPORTERS))
            raise ValueError(f"COUPON_OTEL_EXPORTER must be one of {allowed}, not {exporter!r}")
        try:
            from opentelemetry.sdk.resources import Resource
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import (
                BatchSpanProcessor,
                ConsoleSpanExporter,
                SimpleSpanProcessor,
            )

            if name == "otlp":
                from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
                    OTLPSpanExporter,
                )
            # The hooks' own modules, so that a partial install fails here, not mid-start.
            import opentelemetry.instrumentation.asgi
            import opentelemetry.instrumentation.grpc
            import opentelemetry.instrumentation.sqlalchemy  # noqa: F401
        except ImportError as error:
            raise ValueError(
                f"COUPON_OTEL_EXPORTER={name or 'an exporter'} needs the tracing extra: "
                "pip install 'coupon-service[tracing]'"
            ) from error
        # OTEL_RESOURCE_ATTRIBUTES may add to the resource (service.instance.id, say).
        provider = TracerProvider(resource=Resource.create({"service.name": SERVICE_NAME}))
        if name == "otlp":
            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        elif name == "console":
            # Today's stdout: the exporter's default is the one its module was imported with.
            provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter(out=sys.stdout)))
        elif not isinstance(exporter, str):
            provider.add_span_processor(SimpleSpanProcessor(exporter))
        return cls(provider)

    def grpc_interceptors(self) -> list[grpc.aio.ServerInterceptor]:
        """A server span for each call but health checks and reflection, with the status the
        call ended with."""
        from opentelemetry.instrumentation.grpc import aio_server_interceptor
        from opentelemetry.instrumentation.grpc.filters import any_of, negate, service_prefix

        untraced = any_of(*(service_prefix(service) for service in _UNTRACED_GRPC_SERVICES))
        spans: grpc.aio.ServerInterceptor = aio_server_interceptor(  # type: ignore[no-untyped-call]
            tracer_provider=self._provider, filter_=negate(untraced)
        )
        return [spans, _StatusOnSpan()]

    def wrap_asgi(self, app: ASGIApp) -> ASGIApp:
        """`app` inside a server span for each request but the health probes."""
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
        from opentelemetry.metrics import NoOpMeterProvider

        return OpenTelemetryMiddleware(
            app,
            excluded_urls=_UNTRACED_HTTP_PATHS,
            tracer_provider=self._provider,
            # Metrics come from prometheus-client; these would be a second, unread, set.
            meter_provider=NoOpMeterProvider(),
            # A span per ASGI message would double the cost of a request and say nothing more.
            exclude_spans=["receive", "send"],
        )

    def instrument_engine(self, engine: AsyncEngine) -> None:
        """A client span for each SQL statement `engine` runs."""
        from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
        from opentelemetry.instrumentation.sqlalchemy.version import __version__
        from opentelemetry.metrics import NoOpMeterProvider

        # EngineTracer, not SQLAlchemyInstrumentor: the instrumentor is a process-wide
        # singleton that also patches create_engine for every later engine, where this hooks
        # the one engine of this service (and a test process runs many services).
        scope = "opentelemetry.instrumentation.sqlalchemy"
        meter = NoOpMeterProvider().get_meter(scope)
        EngineTracer(  # type: ignore[no-untyped-call]
            self._provider.get_tracer(scope, __version__),
            engine.sync_engine,
            meter.create_up_down_counter("db.client.connections.usage"),
        )

    def shutdown(self) -> None:
        """Exports the spans still buffered and stops; blocks up to the exporter's timeout."""
        self._provider.shutdown()


class _StatusOnSpan(grpc.aio.ServerInterceptor):
    """Puts on the current span the status its call ended with. OpenTelemetry's interceptor
    sees `abort` and `set_code`, but not `abort_with_status`, which every refusal here uses:
    without this, a call refused NOT_FOUND was traced as OK."""

    def __init__(self) -> None:
        from opentelemetry import trace

        self._current_span = trace.get_current_span

    async def intercept_service(
        self, continuation: _Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = await continuation(handler_call_details)
        behavior = handler.unary_unary if handler is not None else None
        if handler is None or not inspect.iscoroutinefunction(behavior):
            return handler  # Only unary calls are traced: coupon.v1 has no others.

        async def with_status(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            try:
                return await behavior(request, context)
            finally:
                self._mark(context)

        return grpc.unary_unary_rpc_method_handler(
            with_status,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

    def _mark(self, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        from opentelemetry.trace import Status, StatusCode

        code: object = context.code()
        if isinstance(code, int):  # grpc.aio keeps the code as it was set: enum or number.
            code = next((known for known in grpc.StatusCode if known.value[0] == code), None)
        if not isinstance(code, grpc.StatusCode) or code is grpc.StatusCode.OK:
            return
        span = self._current_span()
        span.set_attribute("rpc.grpc.status_code", code.value[0])
        if code in _SERVER_ERRORS:
            span.set_status(Status(StatusCode.ERROR, f"{code.name}: {context.details()}"))


__all__ = ["EXPORTERS", "SERVICE_NAME", "Tracing"]
