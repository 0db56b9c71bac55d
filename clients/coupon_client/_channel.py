"""What both client flavours share about their channel: options, TLS, credentials, deadlines."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import grpc

from . import _rpcs
from .credentials import ClientTls
from .retry import NO_RETRY, RetryPolicy

DEFAULT_TIMEOUT = 5.0
# gRPC keeps a request for resending only up to this size (256 KiB by default): an UploadCodes
# of 10,000 codes is larger, and would otherwise not be retried.
RETRY_BUFFER_BYTES = 8 * 1024 * 1024
AUTHORIZATION = "authorization"

Tls = ClientTls | grpc.ChannelCredentials | None


@dataclasses.dataclass(frozen=True)
class Connection:
    """The target and the settings every call of one client carries."""

    target: str
    authorization: str | None
    tls: Tls
    timeout: float | None
    retry: RetryPolicy
    options: Sequence[tuple[str, Any]] = ()

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        return () if self.authorization is None else ((AUTHORIZATION, self.authorization),)

    def deadline(self, timeout: float | None) -> float | None:
        """Seconds a call may take: its own `timeout`, else the client's default."""
        return self.timeout if timeout is None else timeout

    def policy(self, rpc: _rpcs.Rpc[Any, Any]) -> RetryPolicy:
        return self.retry if rpc.retried else NO_RETRY

    def channel_options(self) -> list[tuple[str, Any]]:
        retried = [(rpc.service, rpc.method) for rpc in _rpcs.ALL if rpc.retried]
        return [
            ("grpc.enable_retries", 1),
            ("grpc.per_rpc_retry_buffer_size", RETRY_BUFFER_BYTES),
            ("grpc.service_config", self.retry.service_config(retried)),
            *self.options,  # Last, so that the caller's own options win.
        ]

    def credentials(self) -> grpc.ChannelCredentials | None:
        if isinstance(self.tls, ClientTls):
            return self.tls.channel_credentials()
        return self.tls

    def open_async(self) -> grpc.aio.Channel:
        credentials, options = self.credentials(), self.channel_options()
        if credentials is None:
            return grpc.aio.insecure_channel(self.target, options=options)
        return grpc.aio.secure_channel(self.target, credentials, options=options)

    def open_sync(self) -> grpc.Channel:
        credentials, options = self.credentials(), self.channel_options()
        if credentials is None:
            return grpc.insecure_channel(self.target, options=options)
        return grpc.secure_channel(self.target, credentials, options=options)
