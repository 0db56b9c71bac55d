"""One function per operator command: read its input, call the backend, print the answer.
Each returns the exit status: 0 done, 1 some rows were rejected."""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
from typing import TYPE_CHECKING, Any

from google.protobuf import json_format

from coupon.v1 import series_service_pb2

from ..domain.model import CustomerRef
from . import bulk
from .backends import Backend
from .csv_rows import BadFile, open_rows
from .output import Output, message_json, moment, reject_json, summary, table
from .target import UsageError

if TYPE_CHECKING:  # Not imported for real: grpc must load after GRPC_VERBOSITY is set.
    from coupon_client import CouponEvent

    from .grpc_backend import GrpcBackend

_CODE_SOURCES = {
    series_service_pb2.CODE_SOURCE_GENERATED: "GENERATED",
    series_service_pb2.CODE_SOURCE_UPLOADED: "UPLOADED",
    series_service_pb2.CODE_SOURCE_GENERIC: "GENERIC",
}


def read_series(path: str) -> series_service_pb2.Series:
    """A coupon.v1.Series in proto3 JSON, or a CreateSeriesRequest holding one ("-": stdin)."""
    if path == "-":
        text = sys.stdin.read()
    else:
        with open(path, encoding="utf-8-sig") as file:
            text = file.read()
    try:
        given = json.loads(text)
        if isinstance(given, dict) and set(given) == {"series"}:
            given = given["series"]
        if isinstance(given, dict):
            given = _full_enum_names(given)
        return json_format.ParseDict(given, series_service_pb2.Series())
    except (ValueError, json_format.ParseError) as error:
        raise BadFile(f"{path}: not a coupon.v1.Series in JSON: {error}") from None


def _full_enum_names(fields: dict[str, Any]) -> dict[str, Any]:
    """Takes "PERC" for "DISCOUNT_TYPE_PERC", as the typed client's create_series does."""
    named = dict(fields)
    for field in series_service_pb2.Series.DESCRIPTOR.fields:
        value, enum = named.get(field.json_name), field.enum_type
        if enum is not None and isinstance(value, str) and value not in enum.values_by_name:
            prefix = re.sub(r"(?<!^)(?=[A-Z])", "_", enum.name).upper()
            named[field.json_name] = f"{prefix}_{value.upper()}"
    return named


def counts(series: series_service_pb2.Series) -> dict[str, int | None]:
    """The live counts: issued, left in the pool (UPLOADED only), left under maxCreate (None
    when the series has no such limit)."""
    uploaded = series.code_source == series_service_pb2.CODE_SOURCE_UPLOADED
    limited = series.HasField("max_create")
    return {
        "issued": series.num_issued,
        "leftInPool": series.num_uploaded_non_issued if uploaded else None,
        "leftUnderMaxCreate": max(series.max_create - series.num_issued, 0) if limited else None,
    }


async def series_create(backend: Backend, args: argparse.Namespace, out: Output) -> int:
    created = await backend.create_series(read_series(args.file))
    out.document({"series": message_json(created)} if out.as_json else message_json(created))
    return 0


async def series_show(backend: Backend, args: argparse.Namespace, out: Output) -> int:
    series = await backend.get_series(args.series_id)
    live = counts(series)
    if out.as_json:
        out.document({"series": message_json(series), "counts": live})
        return 0
    source = _CODE_SOURCES.get(series.code_source, "?")
    pool = live["leftInPool"]
    in_pool = "-" if pool is None else f"{pool} (of {series.num_uploaded_total} uploaded)"
    left = live["leftUnderMaxCreate"]
    out.lines(
        f"series {series.id} ({source}): {series.description}",
        f"  issued                {series.num_issued}",
        f"  redeemed              {series.num_redeemed}",
        f"  left in the pool      {in_pool}",
        f"  left under maxCreate  {'unlimited' if left is None else left}",
        f"  valid till            {moment(series.valid_till, series.HasField('valid_till'))}",
    )
    return 0


async def series_list(backend: Backend, args: argparse.Namespace, out: Output) -> int:
    every = await backend.list_series()
    if out.as_json:
        out.document({"series": [message_json(series) for series in every]})
        return 0
    rows = []
    for series in every:
        live = counts(series)
        rows.append(
            (
                series.id,
                _CODE_SOURCES.get(series.code_source, "?"),
                series.num_issued,
                _or_dash(live["leftInPool"]),
                _or_dash(live["leftUnderMaxCreate"]),
                moment(series.valid_till, series.HasField("valid_till")),
                series.description,
            )
        )
    headers = ("ID", "SOURCE", "ISSUED", "IN POOL", "UNDER MAX", "VALID TILL", "DESCRIPTION")
    out.lines(*table(headers, rows))
    return 0


async def codes_upload(backend: Backend, args: argparse.Namespace, out: Output) -> int:
    with open_rows(args.file) as file:
        report = await bulk.upload_codes(backend, args.series, file)
    if out.as_json:
        after = await backend.get_series(args.series)
        out.document(
            {
                "seriesId": args.series,
                "read": report.read,
                "added": report.added,
                "alreadyPresent": report.already_present,
                "rejected": len(report.rejected),
                "rejects": [reject_json(rejected) for rejected in report.rejected],
                "counts": counts(after),
            }
        )
    else:
        out.rejects(report.rejected)
        out.lines(summary(report.counts()))
    return 1 if report.rejected else 0


async def customers_import(backend: Backend, args: argparse.Namespace, out: Output) -> int:
    with open_rows(args.file) as file:
        report = await bulk.import_customers(backend, file)
    if out.as_json:
        document: dict[str, Any] = dict(report.counts())
        document["rejects"] = [reject_json(rejected) for rejected in report.rejected]
        out.document(document)
    else:
        out.rejects(report.rejected)
        out.lines(summary(report.counts()))
    return 1 if report.rejected else 0


async def coupons_list(backend: Backend, args: argparse.Namespace, out: Output) -> int:
    customer: CustomerRef = args.customer
    coupons = await backend.customer_coupons(customer, args.series or 0)
    if out.as_json:
        out.document({"coupons": [message_json(coupon) for coupon in coupons]})
        return 0
    rows = [
        (
            coupon.id,
            coupon.code,
            coupon.series_id,
            moment(coupon.issued_at),
            moment(coupon.valid_till, coupon.HasField("valid_till")),
            coupon.metadata.sourceType or "-",
            coupon.metadata.sourceId or "-",
            coupon.metadata.sourceActivity or "-",
            coupon.metadata.reason or "-",
            coupon.metadata.notes or "-",
        )
        for coupon in coupons
    ]
    headers = (
        "ID", "CODE", "SERIES", "ISSUED", "VALID TILL",
        "SOURCE TYPE", "SOURCE ID", "ACTIVITY", "REASON", "NOTES",
    )  # fmt: skip
    out.lines(*table(headers, rows))
    return 0


async def events_watch(backend: GrpcBackend, args: argparse.Namespace, out: Output) -> int:
    """Prints each event as it commits, until --limit events were printed (or Ctrl-C)."""
    if args.after and args.from_now:
        raise UsageError("--from-now goes without --after: it starts after the newest event")
    printed = 0
    feed = backend.watch_events(args.after, from_now=args.from_now)
    async with contextlib.aclosing(feed):
        async for event in feed:
            out.streamed(_event_json(event) if out.as_json else event_line(event))
            printed += 1
            if printed == args.limit:
                break
    return 0


def event_line(event: CouponEvent) -> str:
    """`4  2026-12-02T15:38:59Z  REDEEMED  code 6849743097  series 700004  customer 555567088
    redemption 1`: the cursor first, then what changed and to which coupon."""
    parts = [
        event.cursor,
        f"{event.occurred_at:%Y-%m-%dT%H:%M:%SZ}",
        f"{event.type.name:<19}",  # As wide as REDEMPTION_REVERSED, so the columns line up.
        f"code {event.code}",
        f"series {event.series_id}",
        f"customer {event.customer_id}",
    ]
    if event.redemption is not None:
        parts.append(f"redemption {event.redemption.id}")
    if event.revoke_reason:
        parts.append(f"reason {json.dumps(event.revoke_reason, ensure_ascii=False)}")
    return "  ".join(parts)


def _event_json(event: CouponEvent) -> str:
    return json.dumps(message_json(event.message), ensure_ascii=False)


def _or_dash(value: int | None) -> str:
    return "-" if value is None else str(value)
