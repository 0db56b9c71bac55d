"""The `coupon-service` command: serve, migrate, and organisations' API keys."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import sys
from collections.abc import Awaitable, Callable

from .adapters.database import create_engine
from .adapters.migrate import migrate
from .adapters.unit_of_work import SqlUnitOfWork
from .config import Settings
from .domain.credentials import ApiKey, Scope
from .domain.errors import CouponServiceError
from .service import auth
from .service.readiness import DatabaseUnreachable

_SCOPE_HELP = (
    "issue: IssueMultiple and BulkIssue, and reading series, customers and their coupons; "
    "manage: all of that, and creating series and customers and uploading codes "
    "(default: issue)"
)


def _parser(defaults: Settings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coupon-service", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve gRPC (and the REST shim)")
    serve.add_argument("--db-url", default=defaults.db_url, help="env COUPON_DB_URL")
    serve.add_argument("--host", default=defaults.host, help="address to listen on")
    serve.add_argument(
        "--grpc-port", type=int, default=defaults.grpc_port, help="env COUPON_GRPC_PORT"
    )
    serve.add_argument(
        "--http-port", type=int, default=defaults.http_port, help="env COUPON_HTTP_PORT"
    )
    serve.add_argument(
        "--demo", action="store_true", help="load the demo org, series and customers"
    )
    serve.add_argument(
        "--grace",
        type=float,
        default=defaults.grace_seconds,
        help="seconds calls in flight get to finish on shutdown",
    )

    migrate_command = commands.add_parser("migrate", help="apply database migrations and exit")
    migrate_command.add_argument("--db-url", default=defaults.db_url, help="env COUPON_DB_URL")

    org = commands.add_parser("org", help="organisations (tenants)").add_subparsers(
        dest="action", required=True
    )
    org_create = org.add_parser("create", help="create an organisation")
    org_create.add_argument("name")

    key = commands.add_parser("key", help="API keys: Basic credentials").add_subparsers(
        dest="action", required=True
    )
    key_create = key.add_parser("create", help="create a key; its secret is printed once")
    key_create.add_argument("--org", required=True, help="the organisation the key acts for")
    key_create.add_argument(
        "--scope", choices=[s.value for s in Scope], default=Scope.ISSUE.value, help=_SCOPE_HELP
    )
    key_revoke = key.add_parser("revoke", help="revoke a key: refused everywhere within 1 s")
    key_revoke.add_argument("key_id")
    key_list = key.add_parser("list", help="list an organisation's keys (never their secrets)")
    key_list.add_argument("--org", required=True)
    for admin in (org_create, key_create, key_revoke, key_list):
        admin.add_argument("--db-url", default=defaults.db_url, help="env COUPON_DB_URL")
    return parser


async def _migrate(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()


async def _admin(db_url: str, command: Callable[[SqlUnitOfWork], Awaitable[None]]) -> None:
    """Runs one administrative use case on a migrated database."""
    engine = create_engine(db_url)
    try:
        await migrate(engine)
        await command(SqlUnitOfWork(engine))
    finally:
        await engine.dispose()


def _admin_command(args: argparse.Namespace) -> Callable[[SqlUnitOfWork], Awaitable[None]]:
    async def org_create(uow: SqlUnitOfWork) -> None:
        await auth.create_org(uow, args.name)
        print(f"organisation {args.name!r} created")

    async def key_create(uow: SqlUnitOfWork) -> None:
        new = await auth.create_key(uow, args.org, [Scope(args.scope)])
        print(f"API key for organisation {args.org!r}, scope {args.scope}")
        print(f"key id:  {new.key.key_id}")
        print(f"secret:  {new.secret}")
        print("The secret is shown only now: the service keeps nothing but its hash.")
        print(
            f"Send it as the authorization header (gRPC metadata or HTTP):\n  {new.authorization}"
        )

    async def key_revoke(uow: SqlUnitOfWork) -> None:
        revoked = await auth.revoke_key(uow, args.key_id)
        print(f"API key {revoked.key_id} revoked at {revoked.revoked_at:%Y-%m-%dT%H:%M:%SZ}")

    async def key_list(uow: SqlUnitOfWork) -> None:
        print(f"{'KEY ID':<30} {'SCOPES':<14} {'CREATED':<20} REVOKED")
        for key in await auth.list_keys(uow, args.org):
            print(_key_line(key))

    commands = {
        ("org", "create"): org_create,
        ("key", "create"): key_create,
        ("key", "revoke"): key_revoke,
        ("key", "list"): key_list,
    }
    return commands[args.command, args.action]


def _key_line(key: ApiKey) -> str:
    scopes = ",".join(sorted(scope.value for scope in key.scopes))
    revoked = f"{key.revoked_at:%Y-%m-%dT%H:%M:%SZ}" if key.revoked_at else "-"
    created = f"{key.created_at:%Y-%m-%dT%H:%M:%SZ}"
    return f"{key.key_id:<30} {scopes:<14} {created:<20} {revoked}"


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    defaults = Settings.from_environment()
    args = _parser(defaults).parse_args(argv)
    if args.command == "migrate":
        asyncio.run(_migrate(args.db_url))
        print("database is at the newest schema")
        return
    if args.command in ("org", "key"):
        try:
            asyncio.run(_admin(args.db_url, _admin_command(args)))
        except CouponServiceError as error:
            sys.exit(f"coupon-service: {error.message}")
        return
    from .app import serve

    settings = dataclasses.replace(
        defaults,
        db_url=args.db_url,
        host=args.host,
        grpc_port=args.grpc_port,
        http_port=args.http_port,
        demo=args.demo,
        grace_seconds=args.grace,
    )
    try:
        asyncio.run(serve(settings))
    except (OSError, ValueError, DatabaseUnreachable) as error:
        sys.exit(f"coupon-service: {error}")
