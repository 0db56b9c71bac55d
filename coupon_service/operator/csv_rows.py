"""An operator's CSV file read as a stream of batches, each row checked alone, by line number.

Codes: one per line, or a CSV whose header names a `code` column. Customers: a CSV whose header
names some of mobile, email, externalId, firstName and lastName. A row that could never be
sent is rejected with its line number and the reason, and the file goes on; a file that
cannot be read as asked (no header, an unknown column) is refused whole.
"""

from __future__ import annotations

import csv
import dataclasses
import re
from collections.abc import Iterable, Iterator
from typing import Generic, NamedTuple, TextIO, TypeVar

from ..domain.codes import UPLOADED_CODE_PATTERN
from ..domain.errors import InvalidRequest
from ..service.customer_import import CustomerRecord, check_record

ENCODING = "utf-8-sig"  # Spreadsheets often start UTF-8 files with a byte order mark.
_SHOWN_CODE = 80  # A rejected code is shown up to this long.
_NOT_UTF8 = "\ufffd"  # What a byte that is not UTF-8 decodes to (errors="replace").
_Row = TypeVar("_Row")


class BadFile(ValueError):
    """The file cannot be read as the command needs it; the message says why, in one line."""


@dataclasses.dataclass(frozen=True, slots=True)
class Rejected:
    """A row not sent: its line, why, and (for codes, which name no one) the value."""

    line: int
    reason: str
    value: str = ""


class LineRecord(NamedTuple):
    line: int
    record: CustomerRecord


@dataclasses.dataclass
class Batch(Generic[_Row]):
    """Rows to send, with the rows of the same stretch of the file that were rejected."""

    rows: list[_Row] = dataclasses.field(default_factory=list)
    rejected: list[Rejected] = dataclasses.field(default_factory=list)

    @property
    def read(self) -> int:
        return len(self.rows) + len(self.rejected)


def open_rows(path: str) -> TextIO:
    """The file as text; a byte that is not UTF-8 rejects its row instead of the whole file."""
    return open(path, encoding=ENCODING, errors="replace", newline="")


def _longest_code(pattern: re.Pattern[str]) -> int:
    """The longest code the server's pattern takes, read off the pattern itself so that the
    rule is written once (in the domain)."""
    length = 1
    while pattern.match("A" * (length + 1)):
        length += 1
    return length


MAX_CODE_LENGTH = _longest_code(UPLOADED_CODE_PATTERN)


def code_problem(code: str) -> str | None:
    """Why the server would refuse `code`, or None when it takes it."""
    if UPLOADED_CODE_PATTERN.match(code):
        return None
    if not code:
        return "empty"
    if _NOT_UTF8 in code:
        return "not UTF-8 text"
    if all(UPLOADED_CODE_PATTERN.match(character) for character in code):
        return f"too long: {len(code)} characters, at most {MAX_CODE_LENGTH}"
    return "bad characters: a code has only letters, digits, '-' and '_'"


def code_batches(file: TextIO, size: int) -> Iterator[Batch[str]]:
    """Batches of up to `size` codes, each code valid and new to the file."""
    first = file.readline()
    header = [cell.strip().lower() for cell in next(csv.reader([first]), [])]
    if "code" in header:
        column = header.index("code")
        numbered: Iterable[tuple[int, str]] = _column(file, column, first_line=2)
    else:
        numbered = _lines(first, file)
    first_seen: dict[str, int] = {}
    batch: Batch[str] = Batch()
    for line, raw in numbered:
        code = raw.strip()
        problem = code_problem(code)
        if problem is None and (earlier := first_seen.setdefault(code, line)) != line:
            problem = f"duplicate of line {earlier}"
        if problem is None:
            batch.rows.append(code)
            if len(batch.rows) == size:
                yield batch
                batch = Batch()
        else:
            batch.rejected.append(Rejected(line, problem, code[:_SHOWN_CODE]))
    if batch.read:
        yield batch


def _lines(first: str, file: TextIO) -> Iterator[tuple[int, str]]:
    if first:
        yield 1, first
    yield from enumerate(file, start=2)


def _column(file: TextIO, column: int, *, first_line: int) -> Iterator[tuple[int, str]]:
    reader = csv.reader(file)
    start = first_line
    for row in reader:
        yield start, row[column] if column < len(row) else ""
        start = first_line + reader.line_num  # A quoted cell may span lines.


# Column names as the header gives them (case aside) -> CustomerRecord fields.
CUSTOMER_COLUMNS = {
    "mobile": "mobile",
    "email": "email",
    "externalId": "external_id",
    "firstName": "first_name",
    "lastName": "last_name",
}
_IDENTIFIERS = ("mobile", "email", "external_id")
_COLUMN_OF = {field: column for column, field in CUSTOMER_COLUMNS.items()}


def customer_batches(file: TextIO, size: int) -> Iterator[Batch[LineRecord]]:
    """Batches of up to `size` customer records, each valid and sharing no identifier with an
    earlier row of the file."""
    reader = csv.reader(file)
    fields = _customer_header(next(reader, None))
    first_seen: dict[tuple[str, str], int] = {}
    batch: Batch[LineRecord] = Batch()
    start = 2
    for cells in reader:
        line, start = start, 1 + reader.line_num  # A quoted cell may span lines.
        checked = _customer_row(fields, cells)
        if isinstance(checked, CustomerRecord):
            keys = [(field, value) for field in _IDENTIFIERS if (value := getattr(checked, field))]
            repeated = next((key for key in keys if key in first_seen), None)
            if repeated is None:
                first_seen.update((key, line) for key in keys)
                batch.rows.append(LineRecord(line, checked))
            else:
                reason = f"its {_COLUMN_OF[repeated[0]]} repeats line {first_seen[repeated]}"
                batch.rejected.append(Rejected(line, reason))
        else:
            batch.rejected.append(Rejected(line, checked))
        if len(batch.rows) == size:
            yield batch
            batch = Batch()
    if batch.read:
        yield batch


def _customer_header(cells: list[str] | None) -> list[str]:
    """The CustomerRecord field of each column; BadFile unless the first line is a header."""
    known = {name.lower(): field for name, field in CUSTOMER_COLUMNS.items()}
    names = ", ".join(CUSTOMER_COLUMNS)
    if not cells or not any(cell.strip() for cell in cells):
        raise BadFile(f"the file needs a header line naming its columns, from: {names}")
    fields = []
    for cell in cells:
        field = known.get(cell.strip().lower())
        if field is None:
            raise BadFile(
                f"line 1: {cell.strip()!r} is not a column; the header line names its columns,"
                f" from: {names}"
            )
        if field in fields:
            raise BadFile(f"line 1: the column {cell.strip()!r} is named twice")
        fields.append(field)
    if not set(fields) & set(_IDENTIFIERS):
        raise BadFile("line 1: the header needs a mobile, an email or an externalId column")
    return fields


def _customer_row(fields: list[str], cells: list[str]) -> CustomerRecord | str:
    """The record of one row, or why it cannot be one."""
    if len(cells) > len(fields):
        return f"{len(cells)} cells, but the header names {len(fields)} columns"
    values = {field: cell.strip() or None for field, cell in zip(fields, cells, strict=False)}
    if any(_NOT_UTF8 in value for value in values.values() if value):
        return "not UTF-8 text"
    record = CustomerRecord(**values)
    try:
        check_record(record)
    except InvalidRequest as refused:
        return refused.message
    return record
