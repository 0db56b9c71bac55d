"""Settings from the environment, overridden by command-line flags."""

from __future__ import annotations

import dataclasses
import math
import os

from .adapters.database import DEFAULT_DB_URL
from .service.credential_cache import DEFAULT_TTL_SECONDS


def _port(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    return int(raw) if raw.strip() else default


def _seconds(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    seconds = float(raw) if raw.strip() else default
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{name} must be a number of seconds, 0 or more: {raw!r}")
    return seconds


def _positive(name: str, default: float) -> float:
    value = _seconds(name, default)
    if value == 0:
        raise ValueError(f"{name} must be more than 0")
    return value


@dataclasses.dataclass(frozen=True)
class Settings:
    db_url: str = DEFAULT_DB_URL
    host: str = "127.0.0.1"
    grpc_port: int = 50051
    http_port: int = 8080
    demo: bool = False
    grace_seconds: float = 10.0
    # Bearer tokens: accepted only when a JWKS (RS256/ES256) or an HS256 secret is configured.
    jwt_issuer: str = ""
    jwt_audience: str = ""
    jwt_jwks: str = ""  # A JWKS file path or an https:// URL.
    jwt_hs256_secret: str = dataclasses.field(default="", repr=False)
    jwt_org_claim: str = "org"
    # How long a replica trusts what it last read of a key or an org: revocation takes effect
    # within this time. 0 reads the store on every call.
    credential_cache_seconds: float = DEFAULT_TTL_SECONDS
    # How long a SQLite writer waits for another process's lock before the call is answered
    # UNAVAILABLE: keep it below the callers' deadlines.
    sqlite_busy_timeout_seconds: float = 10.0
    # REST: a whole request (line, headers, body) must arrive within this time of its first
    # byte (else 408); a kept-alive connection with no request for the idle time is closed.
    http_request_timeout_seconds: float = 10.0
    http_idle_timeout_seconds: float = 5.0
    # How long an idempotency key (requestId, Idempotency-Key) answers with its first outcome.
    request_id_window_hours: float = 24.0
    # How long start-up waits for a database that does not answer before giving up.
    db_startup_timeout_seconds: float = 30.0
    # How often a serving replica asks the database whether it answers (grpc.health.v1).
    health_check_seconds: float = 1.0
    # Prometheus metrics on their own port (0 picks a free one).
    metrics_port: int = 9464
    # Logs: a level name, and "json", "console" or "auto" (JSON unless stderr is a terminal).
    log_level: str = "INFO"
    log_format: str = "auto"
    # TLS on both doors when a certificate and its key are given; with a client CA, mTLS.
    tls_cert: str = ""
    tls_key: str = ""
    tls_client_ca: str = ""
    # OpenTelemetry tracing: "" (off), "console" or "otlp" (OTEL_EXPORTER_OTLP_* variables).
    otel_exporter: str = ""

    @classmethod
    def from_environment(cls) -> Settings:
        return cls(
            db_url=os.environ.get("COUPON_DB_URL") or DEFAULT_DB_URL,
            grpc_port=_port("COUPON_GRPC_PORT", 50051),
            http_port=_port("COUPON_HTTP_PORT", 8080),
            jwt_issuer=os.environ.get("COUPON_JWT_ISSUER", ""),
            jwt_audience=os.environ.get("COUPON_JWT_AUDIENCE", ""),
            jwt_jwks=os.environ.get("COUPON_JWT_JWKS", ""),
            jwt_hs256_secret=os.environ.get("COUPON_JWT_HS256_SECRET", ""),
            jwt_org_claim=os.environ.get("COUPON_JWT_ORG_CLAIM") or "org",
            credential_cache_seconds=_seconds(
                "COUPON_CREDENTIAL_CACHE_SECONDS", DEFAULT_TTL_SECONDS
            ),
            sqlite_busy_timeout_seconds=_seconds("COUPON_SQLITE_BUSY_TIMEOUT_SECONDS", 10.0),
            http_request_timeout_seconds=_positive("COUPON_HTTP_REQUEST_TIMEOUT_SECONDS", 10.0),
            http_idle_timeout_seconds=_positive("COUPON_HTTP_IDLE_TIMEOUT_SECONDS", 5.0),
            request_id_window_hours=_positive("COUPON_REQUEST_ID_WINDOW_HOURS", 24.0),
            db_startup_timeout_seconds=_seconds("COUPON_DB_STARTUP_TIMEOUT_SECONDS", 30.0),
            health_check_seconds=_seconds("COUPON_HEALTH_CHECK_SECONDS", 1.0) or 1.0,
        )
