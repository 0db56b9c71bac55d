"""`python -m coupon_service.healthcheck`: one grpc.health.v1 Check; exit 0 when SERVING.

The container's HEALTHCHECK. Without flags it asks 127.0.0.1 on COUPON_GRPC_PORT, and speaks
TLS when COUPON_TLS_CERT is set: it trusts the server's own certificate (it runs beside the
server and reads the same files) and, when COUPON_TLS_CLIENT_CA asks callers for a client
certificate, presents COUPON_TLS_CERT and COUPON_TLS_KEY unless given --tls-cert/--tls-key.
It reads only these variables, so a setting it does not need can never make it fail.
"""

from __future__ import annotations

import argparse
import dataclasses
import ipaddress
import os
import sys

import grpc
from cryptography import x509
from grpc_health.v1 import health_pb2

DEADLINE_SECONDS = 3.0
DEFAULT_GRPC_PORT = 50051
_SERVING = health_pb2.HealthCheckResponse.SERVING
_CHECK_METHOD = "/grpc.health.v1.Health/Check"


@dataclasses.dataclass(frozen=True)
class ClientTls:
    """What the check trusts, and the client certificate it presents under mTLS."""

    root_certificates: bytes
    certificate_chain: bytes | None = None
    private_key: bytes | None = dataclasses.field(default=None, repr=False)
    server_name: str | None = None  # The name to verify instead of the address's host.


def check(
    address: str,
    *,
    service: str = "",
    tls: ClientTls | None = None,
    timeout_seconds: float = DEADLINE_SECONDS,
) -> bool:
    """One Check of `service` ("" is the whole server) at host:port: True when SERVING;
    otherwise False, and one line on stderr saying why."""
    request = health_pb2.HealthCheckRequest(service=service)
    try:
        with _channel(address, tls) as channel:
            # Called by name: the health stubs' typing declares no methods on HealthStub.
            ask = channel.unary_unary(
                _CHECK_METHOD,
                request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
                response_deserializer=health_pb2.HealthCheckResponse.FromString,
            )
            reply = ask(request, timeout=timeout_seconds)
    except grpc.RpcError as error:
        assert isinstance(error, grpc.Call)
        code = error.code()
        details = (error.details() or "").splitlines()
        if code is grpc.StatusCode.NOT_FOUND:  # The health service's answer: no such name.
            details = [f"no service named {service!r}"]
        _say(": ".join([address, code.name, *details[:1]]))
        return False
    if reply.status != _SERVING:
        status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
        _say(f"{address}: {service or 'the server'} is {status}")
        return False
    return True


def _channel(address: str, tls: ClientTls | None) -> grpc.Channel:
    if tls is None:
        return grpc.insecure_channel(address)
    credentials = grpc.ssl_channel_credentials(
        root_certificates=tls.root_certificates,
        private_key=tls.private_key,
        certificate_chain=tls.certificate_chain,
    )
    options = []
    if tls.server_name:
        options.append(("grpc.ssl_target_name_override", tls.server_name))
    return grpc.secure_channel(address, credentials, options=options)


def _say(line: str) -> None:
    print(f"coupon-service health: {line}", file=sys.stderr)


def _read(path: str, what: str) -> bytes:
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError as error:
        raise ValueError(f"cannot read the {what} {path}: {error.strerror}") from None


def _name_in(cert_pem: bytes) -> str | None:
    """A name the server's certificate is valid for: what to verify when trusting it directly,
    since the address (127.0.0.1 in a container) need not be among its names."""
    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, x509.ExtensionNotFound):
        return None
    for name in names:
        if isinstance(name, x509.DNSName):
            return name.value
        if isinstance(name, x509.IPAddress) and isinstance(
            name.value, ipaddress.IPv4Address | ipaddress.IPv6Address
        ):
            return str(name.value)
    return None


def client_tls(
    *, ca: str = "", cert: str = "", key: str = "", server_name: str = ""
) -> ClientTls | None:
    """TLS for the check from the flags, falling back on the server's own settings; None when
    neither names a certificate. Raises ValueError naming a file it cannot read."""
    server_cert = os.environ.get("COUPON_TLS_CERT", "")
    if not ca and not server_cert:
        return None
    root = _read(ca or server_cert, "CA file" if ca else "server certificate (COUPON_TLS_CERT)")
    if not cert and os.environ.get("COUPON_TLS_CLIENT_CA"):
        cert, key = server_cert, os.environ.get("COUPON_TLS_KEY", "")
    if bool(cert) != bool(key):
        raise ValueError("--tls-cert and --tls-key go together")
    return ClientTls(
        root_certificates=root,
        certificate_chain=_read(cert, "client certificate") if cert else None,
        private_key=_read(key, "client key") if key else None,
        server_name=server_name or (None if ca else _name_in(root)),
    )


def _default_address() -> str:
    raw = os.environ.get("COUPON_GRPC_PORT", "").strip()
    return f"127.0.0.1:{raw or DEFAULT_GRPC_PORT}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m coupon_service.healthcheck", description=__doc__
    )
    parser.add_argument(
        "--address", default=_default_address(), help="HOST:PORT (default: %(default)s)"
    )
    parser.add_argument(
        "--service", default="", help="a service name, e.g. coupon.v1.CouponService (default: all)"
    )
    parser.add_argument(
        "--tls-ca", default="", help="trust this CA (default: the server's own COUPON_TLS_CERT)"
    )
    parser.add_argument("--tls-cert", default="", help="a client certificate, for mTLS")
    parser.add_argument("--tls-key", default="", help="the client certificate's key")
    parser.add_argument(
        "--server-name", default="", help="the name to verify in the server's certificate"
    )
    parser.add_argument(
        "--timeout", type=float, default=DEADLINE_SECONDS, help="seconds (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    try:
        tls = client_tls(
            ca=args.tls_ca, cert=args.tls_cert, key=args.tls_key, server_name=args.server_name
        )
    except ValueError as error:
        _say(str(error))
        sys.exit(1)
    healthy = check(args.address, service=args.service, tls=tls, timeout_seconds=args.timeout)
    sys.exit(0 if healthy else 1)


if __name__ == "__main__":
    main()
