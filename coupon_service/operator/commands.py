"""The operator commands of `coupon-service`: series, codes, customers and coupons, each over
gRPC (--server, through the typed client) or on the database (--db-url with --org); and the
event feed, over gRPC only.

Exit status: 0 done (for `events watch`, also when stopped by Ctrl-C); 1 some rows were
rejected, or a call or a resource failed (one line naming the code and the message); 2 usage:
flags that do not go together, or an input file that is not what the command reads.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from ..adapters.database import DatabaseUnusable
from ..domain.errors import AccessDenied, CouponServiceError
from ..domain.model import MAX_ID, CustomerRef, IdentifierType
from ..service.readiness import DatabaseUnreachable
from ..service.unit_of_work import StoreUnavailable
from . import handlers, target
from .backends import Backend, open_backend
from .csv_rows import BadFile
from .output import Output
from .target import UsageError

if TYPE_CHECKING:  # Loaded when the command runs, after GRPC_VERBOSITY is set.
    from .grpc_backend import GrpcBackend

logger = logging.getLogger("coupon_service")
COMMANDS = ("series", "codes", "customers", "coupons", "events")
FAILED, USAGE, INTERRUPTED = 1, 2, 130


class _Closing(Protocol):
    async def close(self) -> None: ...


_B = TypeVar("_B", bound=_Closing)
_Handler = Callable[[Backend, argparse.Namespace, Output], Awaitable[int]]
# Over gRPC only; each runs until stopped, so Ctrl-C is how it ends well (exit status 0).
_SERVER_HANDLERS: dict[
    tuple[str, str], Callable[[GrpcBackend, argparse.Namespace, Output], Awaitable[int]]
] = {
    ("events", "watch"): handlers.events_watch,
}
_HANDLERS: dict[tuple[str, str], _Handler] = {
    ("series", "create"): handlers.series_create,
    ("series", "show"): handlers.series_show,
    ("series", "list"): handlers.series_list,
    ("codes", "upload"): handlers.codes_upload,
    ("customers", "import"): handlers.customers_import,
    ("coupons", "list"): handlers.coupons_list,
}
_CUSTOMER_TYPES = {kind.value.lower(): kind for kind in IdentifierType}


def _series_id(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= MAX_ID:
        raise argparse.ArgumentTypeError(f"not a series id: {text!r}")
    return int(text)


def _customer(text: str) -> CustomerRef:
    kind, colon, value = text.partition(":")
    if not colon or kind.lower() not in _CUSTOMER_TYPES or not value:
        raise argparse.ArgumentTypeError(
            f"{text!r}: name the customer as mobile:…, email:…, externalId:… or id:…"
        )
    return CustomerRef(_CUSTOMER_TYPES[kind.lower()], value)


def _positive(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) == 0:
        raise argparse.ArgumentTypeError(f"not a number above 0: {text!r}")
    return int(text)


def add_to(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds the operator commands to the `coupon-service` parser."""
    common = argparse.ArgumentParser(add_help=False)
    target.add_flags(common)
    common.add_argument("--json", action="store_true", help="print one JSON document on stdout")

    def group(name: str, help_text: str) -> argparse._SubParsersAction[argparse.ArgumentParser]:
        parser = commands.add_parser(name, help=help_text)
        return parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    series = group("series", "coupon series: create from JSON, show with live counts, list")
    create = series.add_parser(
        "create", parents=[common], help="create a series from its JSON; prints it as JSON"
    )
    create.add_argument(
        "--file", required=True, metavar="SERIES.json",
        help="a coupon.v1.Series (or a CreateSeriesRequest) in proto3 JSON; - reads stdin",
    )  # fmt: skip
    show = series.add_parser(
        "show", parents=[common], help="one series: issued, left in the pool, left under maxCreate"
    )
    show.add_argument("series_id", type=_series_id, metavar="ID")
    series.add_parser("list", parents=[common], help="every series of the organisation")

    codes = group("codes", "codes of UPLOADED series")
    upload = codes.add_parser(
        "upload", parents=[common],
        help="upload a file of codes (one a line, or a CSV with a code column); safe to re-run",
    )  # fmt: skip
    upload.add_argument(
        "--series", required=True, type=_series_id, metavar="ID", help="the UPLOADED series"
    )
    upload.add_argument(
        "file", metavar="FILE.csv", help="UTF-8; a first line naming a `code` column is a header"
    )

    customers = group("customers", "customers of the organisation")
    load = customers.add_parser(
        "import", parents=[common],
        help="create or update customers from a CSV with a header naming some of "
        "mobile,email,externalId,firstName,lastName; safe to re-run",
    )  # fmt: skip
    load.add_argument(
        "file",
        metavar="FILE.csv",
        help="UTF-8, its first line the header; empty cells change nothing",
    )

    coupons = group("coupons", "the coupons customers hold")
    listing = coupons.add_parser(
        "list", parents=[common], help="a customer's coupons, with who issued them and why"
    )
    listing.add_argument(
        "--customer", required=True, type=_customer, metavar="TYPE:VALUE",
        help="mobile:…, email:…, externalId:… or id:…",
    )  # fmt: skip
    listing.add_argument("--series", type=_series_id, metavar="ID", help="only this series")

    over_grpc = argparse.ArgumentParser(add_help=False)
    target.add_flags(over_grpc, database=False)
    over_grpc.add_argument(
        "--json", action="store_true", help="print each event as one JSON object on a line"
    )
    events = group("events", "the event feed: every issue, redemption, reversal, revocation")
    watch = events.add_parser(
        "watch", parents=[over_grpc],
        help="print the organisation's events as they commit, one a line, until Ctrl-C",
        description="Prints the organisation's events in commit order, one a line: first those "
        "the feed keeps (after --after), then each new one as it commits, reconnecting when the "
        "server restarts. The feed is read through a server (--server): there is no --db-url "
        "for this command. Ctrl-C ends it with exit status 0.",
    )  # fmt: skip
    watch.add_argument(
        "--after", default="", metavar="CURSOR",
        help="start after this event's cursor (the first column; `cursor` with --json)",
    )  # fmt: skip
    watch.add_argument(
        "--from-now", action="store_true", help="skip the events kept: only those yet to commit"
    )
    watch.add_argument(
        "--limit", type=_positive, metavar="N", help="stop after N events (exit status 0)"
    )


def run(args: argparse.Namespace) -> int:
    """Runs one operator command; its exit status. Every failure ends in one line."""
    out = Output(as_json=args.json)
    # gRPC's C core writes its own lines to stderr, outside the log pipeline: only its errors.
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    from coupon_client import CouponError

    command = (args.command, args.action)
    try:
        if command in _SERVER_HANDLERS:
            return asyncio.run(_run(_SERVER_HANDLERS[command], _server_backend(args), args, out))
        where = target.resolve(args, os.environ)
        return asyncio.run(_run(_HANDLERS[command], open_backend(where), args, out))
    except KeyboardInterrupt:
        return 0 if command in _SERVER_HANDLERS else INTERRUPTED
    except BrokenPipeError:  # Whoever read stdout went away (`| head`): nothing more to say.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return FAILED
    except (UsageError, BadFile) as error:
        return _failed(out, USAGE, str(error))
    except CouponError as error:  # The server's answer, typed by the client: "NOT_FOUND 707: …"
        detail = {"status": error.status_code.name, "code": error.code, "text": error.message}
        return _failed(out, FAILED, str(error), detail)
    except CouponServiceError as error:
        line = f"{error.kind.name} {int(error.code)}: {error.message}"
        detail = {"status": error.kind.name, "code": int(error.code), "text": error.message}
        return _failed(out, FAILED, line, detail)
    except AccessDenied as error:
        line = f"{error.kind.name}: {error.message}"
        return _failed(out, FAILED, line, {"status": error.kind.name, "text": error.message})
    except (OSError, DatabaseUnreachable, DatabaseUnusable, StoreUnavailable) as error:
        return _failed(out, FAILED, str(error))
    except Exception as error:
        logger.debug("%s %s failed", args.command, args.action, exc_info=True)
        return _failed(out, FAILED, f"{args.command} {args.action} failed: {error!r}")


async def _server_backend(args: argparse.Namespace) -> GrpcBackend:
    server = target.resolve_server(args, os.environ)
    from .grpc_backend import GrpcBackend

    return GrpcBackend.connect(server)


async def _run(
    handler: Callable[[_B, argparse.Namespace, Output], Awaitable[int]],
    opening: Awaitable[_B],
    args: argparse.Namespace,
    out: Output,
) -> int:
    backend = await opening
    try:
        return await handler(backend, args, out)
    finally:
        await backend.close()


def _failed(
    out: Output, exit_status: int, line: str, detail: Mapping[str, Any] | None = None
) -> int:
    out.failure(line, detail or {})
    return exit_status
