"""Who the client is: the `authorization` value it sends, and the TLS it speaks."""

from __future__ import annotations

import base64
import dataclasses
import pathlib

import grpc


def basic(key_id: str, secret: str) -> str:
    """The `authorization` value for an API key: "Basic " + base64 of key_id:secret."""
    return "Basic " + base64.b64encode(f"{key_id}:{secret}".encode()).decode()


def bearer(token: str) -> str:
    """The `authorization` value for an OAuth 2 access token (a JWT)."""
    return "Bearer " + token


@dataclasses.dataclass(frozen=True)
class ClientTls:
    """TLS to the server, as PEM bytes.

    Without `root_certificates` the server is checked against the system's roots; with
    `certificate_chain` and `private_key` the client shows a certificate of its own (mTLS).
    """

    root_certificates: bytes | None = None
    certificate_chain: bytes | None = None
    private_key: bytes | None = dataclasses.field(default=None, repr=False)

    def __post_init__(self) -> None:
        if (self.certificate_chain is None) != (self.private_key is None):
            raise ValueError("certificate_chain and private_key go together")

    @classmethod
    def from_files(
        cls,
        root: str | pathlib.Path | None = None,
        cert: str | pathlib.Path | None = None,
        key: str | pathlib.Path | None = None,
    ) -> ClientTls:
        """Reads the CA bundle, the client certificate chain and its key from PEM files."""
        return cls(_read(root), _read(cert), _read(key))

    def channel_credentials(self) -> grpc.ChannelCredentials:
        return grpc.ssl_channel_credentials(
            root_certificates=self.root_certificates,
            private_key=self.private_key,
            certificate_chain=self.certificate_chain,
        )


def _read(path: str | pathlib.Path | None) -> bytes | None:
    return None if path is None else pathlib.Path(path).read_bytes()
