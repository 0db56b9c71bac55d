"""The `coupon-service` command: serve, migrate."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import sys

from .adapters.database import create_engine
from .adapters.migrate import migrate
from .config import Settings


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
    return parser


async def _migrate(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()


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
    except OSError as error:
        sys.exit(f"coupon-service: {error}")
