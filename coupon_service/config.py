"""Every setting in one place: its default, its `COUPON_*` variable, its flag, its validation.

Values come from the defaults below, then the environment (`COUPON_<NAME>`), then the
command line (`--<name>`), each overriding the one before. `load` validates all of them at
once and raises `BadSetting` with one line naming the first wrong one; the CLI turns that into
exit status 2.
"""

from __future__ import annotations

import enum
import pathlib
from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from .service.credential_cache import DEFAULT_TTL_SECONDS
from .service.events import EVENT_POLL_SECONDS, EVENT_RETENTION

ENV_PREFIX = "COUPON_"
DEFAULT_DB_URL = "sqlite+aiosqlite:///coupon.db"
_SUPPORTED_DATABASES = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}

Port = Annotated[int, Field(ge=0, le=65535)]
Seconds = Annotated[float, Field(ge=0, allow_inf_nan=False)]
PositiveSeconds = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class LogFormat(enum.StrEnum):
    AUTO = "auto"
    JSON = "json"
    CONSOLE = "console"


class LogLevel(enum.StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


class TracingExporter(enum.StrEnum):
    OFF = ""
    CONSOLE = "console"
    OTLP = "otlp"


class BadSetting(ValueError):
    """A setting that cannot be used as given; the message is one line naming it."""


class Settings(BaseModel):
    """The validated settings of one service. Constructed directly (tests) or by `load`."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    db_url: str = DEFAULT_DB_URL
    """The database: sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER@HOST/NAME."""
    host: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)] = "127.0.0.1"
    """The address every port listens on (0.0.0.0 for all interfaces)."""
    grpc_port: Port = 50051
    """The gRPC port (0 picks a free one)."""
    http_port: Port = 8080
    """The REST shim's port, also serving /healthz and /readyz (0 picks a free one)."""
    metrics_port: Port = 9464
    """The Prometheus /metrics port (0 picks a free one)."""
    demo: bool = False
    """Load the demo org, series, customers and key: for trying the service, never in production."""
    grace_seconds: Seconds = 10.0
    """How long calls in flight get to finish on shutdown."""
    log_level: LogLevel = LogLevel.INFO
    """DEBUG, INFO, WARNING or ERROR."""
    log_format: LogFormat = LogFormat.AUTO
    """json, console, or auto: JSON lines unless stderr is a terminal."""
    tls_cert: str = ""
    """A PEM certificate (chain) file: with tls_key, both doors speak TLS only."""
    tls_key: str = Field(default="", repr=False)
    """The PEM private key file of tls_cert."""
    tls_client_ca: str = ""
    """A PEM CA file: callers must present a client certificate it signed (mTLS)."""
    jwt_issuer: str = ""
    """The `iss` bearer tokens must carry."""
    jwt_audience: str = ""
    """The `aud` bearer tokens must carry."""
    jwt_jwks: str = ""
    """The keys of RS256/ES256 tokens: a JWKS file path or an https:// URL."""
    jwt_hs256_secret: str = Field(default="", repr=False)
    """The shared secret of HS256 tokens (32 bytes or more)."""
    jwt_org_claim: str = Field(default="org", min_length=1)
    """The token claim naming the organisation."""
    credential_cache_seconds: Seconds = DEFAULT_TTL_SECONDS
    """How long a replica trusts what it read of a key or org: revocation takes this long."""
    sqlite_busy_timeout_seconds: Seconds = 10.0
    """How long a SQLite writer waits for another process's lock; keep it below deadlines."""
    http_request_timeout_seconds: PositiveSeconds = 10.0
    """A whole REST request must arrive within this time of its first byte (else 408)."""
    http_idle_timeout_seconds: PositiveSeconds = 5.0
    """A kept-alive REST connection with no request for this long is closed."""
    request_id_window_hours: PositiveSeconds = 24.0
    """How long a requestId or Idempotency-Key answers with its first outcome."""
    event_retention_hours: PositiveSeconds = EVENT_RETENTION / timedelta(hours=1)
    """How long WatchEvents keeps events: a cursor older than this has lost some (910)."""
    event_poll_seconds: PositiveSeconds = EVENT_POLL_SECONDS
    """How often a WatchEvents stream that has caught up looks for new events."""
    db_startup_timeout_seconds: Seconds = 30.0
    """How long start-up waits for a database that does not answer."""
    health_check_seconds: PositiveSeconds = 1.0
    """How often a serving replica asks the database whether it answers."""
    otel_exporter: TracingExporter = TracingExporter.OFF
    """OpenTelemetry tracing: off (empty), console, or otlp (OTEL_EXPORTER_OTLP_* variables)."""

    @field_validator("db_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(f"not a database URL: {value!r}") from None
        backend = "postgresql" if url.get_backend_name() == "postgres" else url.get_backend_name()
        if backend not in _SUPPORTED_DATABASES:
            raise ValueError(
                f"{backend!r} is not supported: use sqlite+aiosqlite:///PATH or "
                "postgresql+asyncpg://USER@HOST/NAME"
            )
        wanted = _SUPPORTED_DATABASES[backend]
        if "+" in url.drivername and url.drivername != wanted:
            raise ValueError(f"driver {url.drivername!r} is not supported: use {wanted}")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_name(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("tls_cert", "tls_key", "tls_client_ca", "jwt_jwks")
    @classmethod
    def _readable_file(cls, value: str) -> str:
        if value and not value.startswith(("https://", "http://")):
            path = pathlib.Path(value)
            if not path.is_file():
                raise ValueError(f"no such file: {value}")
        return value

    @model_validator(mode="after")
    def _tls_files_together(self) -> Settings:
        if bool(self.tls_cert) != bool(self.tls_key):
            given, missing = ("tls_cert", "tls_key") if self.tls_cert else ("tls_key", "tls_cert")
            raise ValueError(f"{env_name(given)} needs {env_name(missing)} as well")
        if self.tls_client_ca and not self.tls_cert:
            raise ValueError(f"{env_name('tls_client_ca')} needs COUPON_TLS_CERT and _KEY")
        return self

    @classmethod
    def from_environment(cls) -> Settings:
        return load({})

    def engine_options(self) -> dict[str, int]:
        """What the database adapter takes of these settings, as plain values."""
        return {"sqlite_busy_timeout_ms": round(self.sqlite_busy_timeout_seconds * 1000)}


class _FromEnvironment(BaseSettings, Settings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="ignore", frozen=True, env_ignore_empty=True
    )


def env_name(field: str) -> str:
    return f"{ENV_PREFIX}{field.upper()}"


def flag_name(field: str) -> str:
    return "--" + field.replace("_", "-")


def load(flags: Mapping[str, Any]) -> Settings:
    """Defaults, then `COUPON_*` variables, then `flags` (field name → value as given)."""
    try:
        merged = _FromEnvironment(**flags)
    except ValidationError as error:
        raise BadSetting(_one_line(error, given=set(flags))) from None
    return Settings(**merged.model_dump())


def _one_line(error: ValidationError, *, given: set[str]) -> str:
    first = error.errors()[0]
    reason = first["msg"].removeprefix("Value error, ")
    if not first["loc"]:
        return reason  # A rule over several settings names them itself.
    field = str(first["loc"][0])
    name = flag_name(field) if field in given else env_name(field)
    if first["type"] != "value_error":
        reason = f"{reason}, got {first['input']!r}"
    return f"{name}: {reason}"


def describe() -> list[tuple[str, str, str, str]]:
    """(flag, variable, default, meaning) of every setting: for --help and the README."""
    rows = []
    for field, info in Settings.model_fields.items():
        default = info.default
        shown = default.value if isinstance(default, enum.Enum) else default
        shown = "" if shown is False else str(shown)
        rows.append((flag_name(field), env_name(field), shown, info.description or ""))
    return rows
