"""What the operator commands print: lines and tables for people, or with --json one JSON
document on stdout (one a line, for the event feed). Rejected rows go to stderr in text mode,
the first few of them."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC
from typing import Any, TextIO

from google.protobuf import json_format
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from .csv_rows import Rejected

REJECTS_SHOWN = 20


def message_json(message: Message) -> dict[str, Any]:
    """A coupon.v1 message in proto3 JSON (lowerCamelCase, int64 as strings), zeros included."""
    return json_format.MessageToDict(message, always_print_fields_with_no_presence=True)


def moment(stamp: Timestamp, present: bool = True) -> str:
    return stamp.ToDatetime(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if present else "-"


def summary(counts: Mapping[str, int]) -> str:
    """`read 10, added 8, already present 1, rejected 1`, from {"read": 10, ...}."""
    return ", ".join(f"{name} {count}" for name, count in counts.items())


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    cells = [list(headers), *([str(cell) for cell in row] for row in rows)]
    widths = [max(len(row[column]) for row in cells) for column in range(len(headers))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in cells
    ]


def reject_json(rejected: Rejected) -> dict[str, Any]:
    shown: dict[str, Any] = {"line": rejected.line, "reason": rejected.reason}
    return shown | ({"value": rejected.value} if rejected.value else {})


class Output:
    """Text or JSON, decided once by --json."""

    def __init__(
        self, *, as_json: bool, stdout: TextIO = sys.stdout, stderr: TextIO = sys.stderr
    ) -> None:
        self.as_json = as_json
        self._stdout = stdout
        self._stderr = stderr

    def document(self, document: Mapping[str, Any]) -> None:
        json.dump(document, self._stdout, indent=2, ensure_ascii=False)
        self._stdout.write("\n")

    def lines(self, *lines: str) -> None:
        for line in lines:
            print(line, file=self._stdout)

    def streamed(self, line: str) -> None:
        """One line of a command that runs until stopped, flushed so that a pipe has it now."""
        print(line, file=self._stdout, flush=True)

    def rejects(self, rejected: Sequence[Rejected]) -> None:
        """In text mode, the first REJECTS_SHOWN rejected rows on stderr (--json lists all)."""
        for one in rejected[:REJECTS_SHOWN]:
            value = f": {one.value!r}" if one.value else ""
            print(f"line {one.line}: {one.reason}{value}", file=self._stderr)
        if len(rejected) > REJECTS_SHOWN:
            more = len(rejected) - REJECTS_SHOWN
            print(f"… {more} more rejected rows (--json lists them all)", file=self._stderr)

    def failure(self, line: str, detail: Mapping[str, Any]) -> None:
        """The one line a failed command ends with, on stderr; with --json also on stdout."""
        if self.as_json:
            self.document({"error": {"message": line, **detail}})
        print(f"coupon-service: {line}", file=self._stderr)
