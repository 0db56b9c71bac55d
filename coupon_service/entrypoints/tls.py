"""TLS for both doors from PEM files: read and checked once, before either server starts.

A certificate and its key make both doors speak TLS only; a client CA on top makes them
require a client certificate it signed (mTLS). Every problem is a ValueError of one line that
names the setting, the file and what is wrong with it.
"""

from __future__ import annotations

import dataclasses
import ssl
from typing import Any

import grpc

CERT_SETTING = "COUPON_TLS_CERT"
KEY_SETTING = "COUPON_TLS_KEY"
CLIENT_CA_SETTING = "COUPON_TLS_CLIENT_CA"


class _EncryptedKey(Exception):
    """Asked for a passphrase: neither door could unlock the key unattended."""


@dataclasses.dataclass(frozen=True)
class TlsFiles:
    """A checked certificate chain and key, and the client CA when callers must present one."""

    cert_path: str
    key_path: str
    client_ca_path: str
    cert_pem: bytes
    key_pem: bytes = dataclasses.field(repr=False)
    client_ca_pem: bytes | None

    @property
    def mutual(self) -> bool:
        return self.client_ca_pem is not None

    def grpc_credentials(self) -> grpc.ServerCredentials:
        return grpc.ssl_server_credentials(
            [(self.key_pem, self.cert_pem)],
            root_certificates=self.client_ca_pem,
            require_client_auth=self.mutual,
        )

    def uvicorn_options(self) -> dict[str, Any]:
        """uvicorn.Config's keywords for the same files (uvicorn reads them itself)."""
        options: dict[str, Any] = {"ssl_certfile": self.cert_path, "ssl_keyfile": self.key_path}
        if self.mutual:
            options["ssl_ca_certs"] = self.client_ca_path
            options["ssl_cert_reqs"] = ssl.CERT_REQUIRED
        return options


def load_tls(cert: str, key: str, client_ca: str = "") -> TlsFiles | None:
    """The TLS files named by the three settings, checked; None when TLS is off (no cert, no
    key). Raises ValueError naming the setting at fault."""
    if not cert and not key:
        if client_ca:
            raise ValueError(f"{CLIENT_CA_SETTING} needs {CERT_SETTING} and {KEY_SETTING}")
        return None
    if not key:
        raise ValueError(f"{CERT_SETTING} needs {KEY_SETTING} as well")
    if not cert:
        raise ValueError(f"{KEY_SETTING} needs {CERT_SETTING} as well")
    cert_pem = _read(CERT_SETTING, cert)
    key_pem = _read(KEY_SETTING, key)
    _check_certificates(CERT_SETTING, cert, cert_pem)
    _check_key_matches(cert, key)
    client_ca_pem = None
    if client_ca:
        client_ca_pem = _read(CLIENT_CA_SETTING, client_ca)
        _check_certificates(CLIENT_CA_SETTING, client_ca, client_ca_pem)
    return TlsFiles(cert, key, client_ca, cert_pem, key_pem, client_ca_pem)


def _read(setting: str, path: str) -> bytes:
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError as error:
        raise ValueError(f"{setting}: cannot read {path}: {error.strerror}") from None


def _check_certificates(setting: str, path: str, pem: bytes) -> None:
    """Every PEM certificate in the file parses, and there is at least one."""
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_verify_locations(cadata=pem.decode("ascii"))
    except (ssl.SSLError, ValueError):
        # UnicodeDecodeError is a ValueError: a binary (DER) file is no PEM either.
        raise ValueError(f"{setting}: {path} holds no PEM certificate") from None


def _check_key_matches(cert: str, key: str) -> None:
    """The key parses as an unencrypted PEM private key, and it is the certificate's."""

    def refuse_passphrase() -> bytes:
        raise _EncryptedKey

    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(
            cert, key, password=refuse_passphrase
        )
    except _EncryptedKey:
        raise ValueError(
            f"{KEY_SETTING}: {key} is encrypted; give the key without a passphrase"
        ) from None
    except ssl.SSLError as error:
        if error.reason == "KEY_VALUES_MISMATCH":
            problem = f"is not the key of the certificate in {CERT_SETTING} ({cert})"
        else:  # The certificate parsed already: what OpenSSL could not read is the key.
            problem = "holds no PEM private key"
        raise ValueError(f"{KEY_SETTING}: {key} {problem}") from None
