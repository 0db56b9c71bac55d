"""Prometheus metrics of one started service: a registry of its own, the metrics, and the
issuing telemetry they implement (metrics_server.py serves them).

The gRPC names and labels are go-grpc-prometheus's (and py-grpc-prometheus's), so existing
dashboards work. Organisations are labelled by name. Counting costs a dict lookup and an
increment per call, and per batch one increment per (org, series), never one per coupon.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)

from ..service.telemetry import FailureKey, IssuedKey, SeriesKey

SECONDS_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BATCH_SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64)  # A batch takes at most 64 calls.
WAIT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
UNMATCHED_ROUTE = "unmatched"

# A `_created` series per counter and histogram doubles what is scraped and no alert uses it.
disable_created_metrics()  # type: ignore[no-untyped-call]


class GrpcMethodMetrics:
    """One method's children of the gRPC metrics, labelled once, not on every call."""

    def __init__(self, metrics: ServiceMetrics, kind: str, service: str, method: str) -> None:
        self._labels = (kind, service, method)
        self._handled_by_code = metrics.grpc_handled
        self._handled: dict[str, Counter] = {}
        self.started = metrics.grpc_started.labels(*self._labels)
        self.seconds = metrics.grpc_seconds.labels(*self._labels)

    def handled(self, code: str, seconds: float) -> None:
        counter = self._handled.get(code)
        if counter is None:
            counter = self._handled[code] = self._handled_by_code.labels(*self._labels, code)
        counter.inc()
        self.seconds.observe(seconds)


class ServiceMetrics:
    """The metrics of one service, and its issuing telemetry (service/telemetry.py)."""

    def __init__(
        self,
        *,
        org_name: Callable[[int], str | None] = lambda _org_id: None,
        connections_in_use: Callable[[], float] | None = None,
    ) -> None:
        self.registry = registry = CollectorRegistry()
        for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            registry.register(collector)
        self._org_name = org_name
        self._org_names: dict[int, str] = {}
        self._grpc_methods: dict[str, GrpcMethodMetrics] = {}
        self._http_routes: dict[str, Histogram] = {}
        grpc_labels = ["grpc_type", "grpc_service", "grpc_method"]
        self.grpc_started = Counter(
            "grpc_server_started_total",
            "RPCs started on the server.",
            grpc_labels,
            registry=registry,
        )
        self.grpc_handled = Counter(
            "grpc_server_handled_total",
            "RPCs completed on the server, by status code (OK, NOT_FOUND, ...).",
            [*grpc_labels, "grpc_code"],
            registry=registry,
        )
        self.grpc_seconds = Histogram(
            "grpc_server_handling_seconds",
            "Time from an RPC's start to its status, as the server saw it.",
            grpc_labels,
            buckets=SECONDS_BUCKETS,
            registry=registry,
        )
        self.http_requests = Counter(
            "http_server_requests_total",
            'REST requests answered, by route template ("unmatched" when none) and status.',
            ["route", "status"],
            registry=registry,
        )
        self.http_seconds = Histogram(
            "http_server_request_duration_seconds",
            "Time from a REST request's arrival at the application to its answer.",
            ["route"],
            buckets=SECONDS_BUCKETS,
            registry=registry,
        )
        self.issued = Counter(
            "coupon_issued_total",
            "Coupons issued and committed, by organisation, series and the series' code "
            "source (GENERATED, UPLOADED or GENERIC); a replayed requestId counts nothing.",
            ["org", "series", "source"],
            registry=registry,
        )
        self.issue_failures = Counter(
            "coupon_issue_failures_total",
            "Failed entries of issuing calls by documented code (702, 5005, 701, ...); a call "
            'that fails whole is one; series "" when the failure names no series found.',
            ["org", "series", "code"],
            registry=registry,
        )
        self.pool_remaining = Gauge(
            "coupon_pool_remaining",
            "Uploaded codes not issued yet, per UPLOADED series, as this replica last "
            "committed or read them (at start, after each issuing batch and upload).",
            ["org", "series"],
            registry=registry,
        )
        self.batch_size = Histogram(
            "coupon_issue_batch_size",
            "Issuing calls per batch (one transaction).",
            buckets=BATCH_SIZE_BUCKETS,
            registry=registry,
        )
        self.batch_wait = Histogram(
            "coupon_issue_batch_wait_seconds",
            "How long an issuing call waited in the queue before its batch started.",
            buckets=WAIT_BUCKETS,
            registry=registry,
        )
        self.db_in_use = Gauge(
            "coupon_db_pool_connections_in_use",
            "Connections of the database pool checked out at scrape time.",
            registry=registry,
        )
        if connections_in_use is not None:
            self.db_in_use.set_function(connections_in_use)

    # Organisation names

    def learn_orgs(self, names: Iterable[tuple[int, str]]) -> None:
        self._org_names.update(names)

    def _org(self, org_id: int) -> str:
        name = self._org_names.get(org_id)
        if name is None:
            name = self._org_name(org_id)
            if name is None:  # Only a use case called without a front door gets here.
                return str(org_id)
            self._org_names[org_id] = name
        return name

    # The front doors

    def grpc_method(self, full_method: str, kind: str) -> GrpcMethodMetrics:
        """The metrics of /package.Service/Method, a method the server serves."""
        found = self._grpc_methods.get(full_method)
        if found is None:
            service, _, method = full_method.lstrip("/").partition("/")
            found = GrpcMethodMetrics(self, kind, service, method)
            self._grpc_methods[full_method] = found
        return found

    def http_answered(self, route: str, status: int, seconds: float) -> None:
        histogram = self._http_routes.get(route)
        if histogram is None:
            histogram = self._http_routes[route] = self.http_seconds.labels(route)
        histogram.observe(seconds)
        self.http_requests.labels(route, str(status)).inc()

    # service.telemetry.IssueTelemetry

    def batch_ran(self, size: int, waits: Sequence[float]) -> None:
        self.batch_size.observe(size)
        for waited in waits:
            self.batch_wait.observe(waited)

    def coupons_issued(self, issued: Mapping[IssuedKey, int]) -> None:
        for (org_id, series_id, source), count in issued.items():
            self.issued.labels(self._org(org_id), str(series_id), source.value).inc(count)

    def issue_failed(self, failures: Mapping[FailureKey, int]) -> None:
        for (org_id, series, code), count in failures.items():
            self.issue_failures.labels(self._org(org_id), series, str(int(code))).inc(count)

    def pools_left(self, remaining: Mapping[SeriesKey, int]) -> None:
        for (org_id, series_id), left in remaining.items():
            self.pool_remaining.labels(self._org(org_id), str(series_id)).set(left)


__all__ = ["SECONDS_BUCKETS", "UNMATCHED_ROUTE", "GrpcMethodMetrics", "ServiceMetrics"]
