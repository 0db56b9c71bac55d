"""Settings from the environment, overridden by command-line flags."""

from __future__ import annotations

import dataclasses
import os

from .adapters.database import DEFAULT_DB_URL


def _port(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    return int(raw) if raw.strip() else default


@dataclasses.dataclass(frozen=True)
class Settings:
    db_url: str = DEFAULT_DB_URL
    host: str = "127.0.0.1"
    grpc_port: int = 50051
    http_port: int = 8080
    # Until callers authenticate, every call acts for this organisation.
    default_org: str = "demo"
    demo: bool = False
    grace_seconds: float = 10.0

    @classmethod
    def from_environment(cls) -> Settings:
        return cls(
            db_url=os.environ.get("COUPON_DB_URL") or DEFAULT_DB_URL,
            grpc_port=_port("COUPON_GRPC_PORT", 50051),
            http_port=_port("COUPON_HTTP_PORT", 8080),
        )
