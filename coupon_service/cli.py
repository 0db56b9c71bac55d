"""The `coupon-service` command: serve, migrate, organisations' API keys, and operator tools.

Exit status: 0 done, 1 a resource failed (a port, the database, a file), 2 a bad setting or
usage. Every failure is one line on stderr naming the setting or resource; the traceback of
an unexpected one is logged at DEBUG. The operator commands (operator/) also exit 1 when some
rows of their file were rejected.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, NoReturn

from . import config
from .adapters.database import DatabaseUnusable, open_existing, open_or_create
from .adapters.migrate import migrate
from .adapters.unit_of_work import SqlUnitOfWork
from .config import BadSetting, Settings
from .domain.credentials import ApiKey, Scope
from .domain.errors import CouponServiceError
from .operator import commands as operator_commands
from .service import auth
from .service.readiness import DatabaseUnreachable
from .service.unit_of_work import StoreUnavailable

logger = logging.getLogger("coupon_service")
RESOURCE_FAILED = 1
BAD_SETTING = 2
_SCOPE_HELP = (
    "issue: IssueMultiple and BulkIssue, and reading series, customers and their coupons; "
    "manage: all of that, and creating series and customers and uploading codes "
    "(default: issue)"
)
_ADMIN_SETTINGS = ("db_url", "log_level", "log_format")
_FLAG_ALIASES = {"grace_seconds": ("--grace",)}  # The flag's name before every setting had one.


def _version() -> str:
    return f"coupon-service {importlib.metadata.version('coupon-service')}"


def _add_settings(parser: argparse.ArgumentParser, fields: tuple[str, ...] | None = None) -> None:
    """One flag per setting; a flag not given leaves the setting to its variable or default."""
    for flag, variable, default, meaning in config.describe():
        field = flag.removeprefix("--").replace("-", "_")
        if fields is not None and field not in fields:
            continue
        shown = f"default {default!r}" if default else "default off"
        help_text = f"{meaning} [env {variable}; {shown}]".replace("%", "%%")
        if field == "demo":
            parser.add_argument(
                flag, dest=field, action="store_const", const=True, default=argparse.SUPPRESS,
                help=help_text,
            )  # fmt: skip
        else:
            parser.add_argument(
                flag,
                *_FLAG_ALIASES.get(field, ()),
                dest=field,
                metavar=field.upper(),
                default=argparse.SUPPRESS,
                help=help_text,
            )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coupon-service", description=__doc__.split("\n")[0] if __doc__ else None
    )
    parser.add_argument("--version", action="version", version=_version())
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve", help="serve gRPC, the REST shim and /metrics (creates and migrates the database)"
    )
    _add_settings(serve)
    migrate_command = commands.add_parser(
        "migrate", help="create the database if needed, apply its migrations and exit"
    )
    _add_settings(migrate_command, _ADMIN_SETTINGS)

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
        _add_settings(admin, _ADMIN_SETTINGS)
    operator_commands.add_to(commands)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    given = {
        name: value
        for name, value in vars(args).items()
        if name in Settings.model_fields and value is not None
    }
    return config.load(given)


def _configure_logging(settings: Settings, *, quiet: bool) -> None:
    """Admin commands log warnings only; Alembic's step-by-step lines are never shown."""
    level = logging.WARNING if quiet else logging.getLevelNamesMapping()[settings.log_level]
    try:
        from .logs import configure_logging
    except ImportError:  # pragma: no cover - until the structured log module lands
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    else:
        configure_logging(logging.getLevelName(level), settings.log_format)
    logging.getLogger("alembic").setLevel(logging.WARNING)


async def _migrate(settings: Settings) -> None:
    engine = await open_or_create(settings.db_url, **settings.engine_options())
    try:
        await migrate(engine)
    finally:
        await engine.dispose()


async def _admin(settings: Settings, command: Callable[[SqlUnitOfWork], Awaitable[None]]) -> None:
    """Runs one administrative use case on a database that exists and is migrated."""
    engine = await open_existing(settings.db_url, **settings.engine_options())
    try:
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


def _fail(status: int, message: object) -> NoReturn:
    print(f"coupon-service: {message}", file=sys.stderr)
    sys.exit(status)


def _run(work: Coroutine[Any, Any, None], doing: str) -> None:
    """Runs `work`, turning every failure into one line and its exit status."""
    try:
        asyncio.run(work)
    except KeyboardInterrupt:
        sys.exit(130)
    except CouponServiceError as error:
        _fail(RESOURCE_FAILED, error.message)
    except ValueError as error:  # An unusable setting found only when used: a key file, TLS.
        _fail(BAD_SETTING, error)
    except (OSError, DatabaseUnreachable, DatabaseUnusable, StoreUnavailable) as error:
        _fail(RESOURCE_FAILED, error)
    except Exception as error:
        logger.debug("%s failed", doing, exc_info=True)
        _fail(RESOURCE_FAILED, f"{doing} failed: {type(error).__name__}: {error}")


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    try:
        settings = _settings(args)
    except BadSetting as error:
        _fail(BAD_SETTING, error)
    _configure_logging(settings, quiet=args.command != "serve")
    if args.command == "migrate":
        _run(_migrate(settings), "migrating")
        print("database is at the newest schema")
    elif args.command in ("org", "key"):
        _run(_admin(settings, _admin_command(args)), f"{args.command} {args.action}")
    elif args.command in operator_commands.COMMANDS:
        sys.exit(operator_commands.run(args))
    else:
        # gRPC's C core writes its own lines to stderr, outside the log pipeline (a refused TLS
        # handshake at INFO, say): only its errors. Set before grpc is first imported.
        os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
        from .app import serve

        _run(serve(settings), "starting")
