"""Where an operator command goes: a server over gRPC, or the database directly, from its flags
and the environment. Exactly one of the two; anything else is a usage error (exit status 2)."""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Mapping

KEY_VARIABLE = "COUPON_KEY"
DB_URL_VARIABLE = "COUPON_DB_URL"
# Not tls_cert and tls_key: those are the server's own settings (config.py).
_TLS_FLAGS = {"client_ca": "--tls-ca", "client_cert": "--tls-cert", "client_key": "--tls-key"}


class UsageError(ValueError):
    """The command was given flags that do not go together; the message says which, in one line."""


@dataclasses.dataclass(frozen=True)
class Server:
    """A running service, called through the typed client."""

    address: str
    key_id: str
    secret: str = dataclasses.field(repr=False)
    tls_ca: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    timeout: float = 60.0

    @property
    def tls(self) -> bool:
        return bool(self.tls_ca or self.tls_cert)


@dataclasses.dataclass(frozen=True)
class Database:
    """The database itself, through the use cases, acting for one organisation."""

    url: str
    org: str


def add_flags(parser: argparse.ArgumentParser, *, database: bool = True) -> None:
    """The flags naming where a command goes; without `database`, only a server's."""
    where = parser.add_argument_group(
        "where",
        "Either --server (gRPC, with a key) or --db-url with --org (the database)."
        if database
        else "--server (gRPC, with a key): there is no --db-url for this command.",
    )
    where.add_argument("--server", metavar="HOST:PORT", help="the service's gRPC address")
    where.add_argument(
        "--key", metavar="KEY_ID:SECRET", help=f"the API key to call with [env {KEY_VARIABLE}]"
    )
    where.add_argument(
        "--tls-ca", dest="client_ca", metavar="FILE", help="speak TLS, trusting this PEM CA"
    )
    where.add_argument(
        "--tls-cert", dest="client_cert", metavar="FILE", help="a client certificate (mTLS)"
    )
    where.add_argument(
        "--tls-key", dest="client_key", metavar="FILE", help="the client certificate's key"
    )
    where.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="each call's deadline (default %(default)s)"
        if database
        else "how long to wait for the server to be reached (default %(default)s)",
    )
    if not database:
        return
    where.add_argument(
        "--db-url",
        dest="db_url",
        metavar="URL",
        help=f"work on this database directly [env {DB_URL_VARIABLE}]",
    )
    where.add_argument("--org", metavar="NAME", help="the organisation to act for (--db-url)")


def resolve(args: argparse.Namespace, environ: Mapping[str, str]) -> Server | Database:
    """The one target the flags name. A flag wins over its variable; a variable alone is used
    only when no flag picks the other target."""
    tls_given = [flag for name, flag in _TLS_FLAGS.items() if getattr(args, name)]
    if args.server and args.db_url:
        raise UsageError("give --server (gRPC) or --db-url (the database), not both")
    if args.server:
        return _server(args, environ)
    db_url = args.db_url or environ.get(DB_URL_VARIABLE)
    if not db_url:
        raise UsageError(
            "say where to work: --server HOST:PORT (gRPC, with --key) or --db-url URL"
            f" with --org NAME (or {DB_URL_VARIABLE})"
        )
    if args.key or tls_given:
        raise UsageError(f"{(['--key'] if args.key else tls_given)[0]} goes with --server")
    if not args.org:
        raise UsageError("--db-url needs --org NAME: the organisation to act for")
    return Database(db_url, args.org)


def resolve_server(args: argparse.Namespace, environ: Mapping[str, str]) -> Server:
    """The server a command that works only over gRPC goes to (see add_flags' `database`)."""
    if not args.server:
        raise UsageError(f"{args.command} {args.action} needs --server HOST:PORT (with --key)")
    return _server(args, environ)


def _server(args: argparse.Namespace, environ: Mapping[str, str]) -> Server:
    host, _, port = args.server.rpartition(":")
    if not host or not port.isdigit():
        raise UsageError(f"--server takes HOST:PORT, got {args.server!r}")
    if getattr(args, "org", None):  # A server-only command has no --org at all.
        raise UsageError("--org goes with --db-url: over gRPC the key names the organisation")
    key = args.key or environ.get(KEY_VARIABLE)
    if not key:
        raise UsageError(f"--server needs --key KEY_ID:SECRET (or {KEY_VARIABLE})")
    key_id, colon, secret = key.partition(":")
    if not (key_id and colon and secret):
        raise UsageError("--key takes KEY_ID:SECRET")
    if bool(args.client_cert) != bool(args.client_key):
        raise UsageError("--tls-cert and --tls-key go together")
    for name, flag in _TLS_FLAGS.items():
        if getattr(args, name) and not os.path.isfile(getattr(args, name)):
            raise UsageError(f"{flag}: no such file: {getattr(args, name)}")
    if args.timeout <= 0:
        raise UsageError("--timeout takes a number of seconds above 0")
    return Server(
        args.server, key_id, secret, args.client_ca, args.client_cert, args.client_key, args.timeout
    )
