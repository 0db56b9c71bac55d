"""README.md's grpcurl and curl examples ("Try it with grpcurl", with its "Errors", and "The
REST shim"), run as a reader runs them against `make run`: every command of every ```sh block in
document order against one fresh service with the demo data, each block's output compared with
the output block the README shows after it, and every row of the error table tried for its code
and its status.

The README states the convention once: in a shown output, `"..."` is a wildcard. As a JSON value
it matches any value; as a `"...": "..."` entry, any further keys; as a list's last item, any
further items. In plain output, `...` within a line matches any text, and a line of its own any
number of lines. Everything else must be printed exactly (JSON compared as parsed, plain output
line by line with runs of blanks collapsed).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import pathlib
import re
import shlex
from typing import Any

import grpc
import pytest

from coupon_service.app import RunningService

ROOT = pathlib.Path(__file__).parents[2]
README = ROOT / "README.md"
SECTIONS = ("Try it with grpcurl", "Following the event feed", "The REST shim")
WILDCARD = "..."
COMMAND_TIMEOUT_SECONDS = 30

_FENCE = re.compile(r"^```(?P<lang>\w*)\n(?P<text>.*?)^```\n", re.DOTALL | re.MULTILINE)
_ADDRESS = re.compile(r"\b(?:localhost|127\.0\.0\.1):(?P<port>50051|8080)\b")
_ASSIGNMENT = re.compile(r"^(?:export\s+)?[A-Za-z_]\w*=")
_TABLE_ROW = re.compile(
    r"^\| `(?P<body>\{.*\})`(?P<twice>, twice)? \| (?P<codes>[^|]*) \| (?P<status>[A-Z_]+) \|$",
    re.MULTILINE,
)
_CHARACTERS = re.compile(r"<(\d+) characters>")
_DATA_ARGUMENT = re.compile(r"-d '\{.*?\}'", re.DOTALL)
_GRPC_FAILURE = re.compile(r"^ERROR:\n\s*Code: (?P<code>\w+)\n", re.MULTILINE)
_DETAIL_CODE = re.compile(r'CouponErrorDetail","code":(?P<code>\d+)')


# --- the README -------------------------------------------------------------------------------


@dataclasses.dataclass
class Block:
    """A ```sh block's commands and the output block shown right after it, if any."""

    commands: list[str]
    shown: str | None
    shown_as_json: bool


@dataclasses.dataclass
class TableRow:
    """A row of the error table: a request body, and the codes and status it answers."""

    body: str
    twice: bool
    codes: list[int]
    status: str


def sections(text: str) -> str:
    """The README's sections this test runs, in document order."""
    parts = re.split(r"^(?=## )", text, flags=re.MULTILINE)
    chosen = [part for part in parts if part.removeprefix("## ").startswith(SECTIONS)]
    assert len(chosen) == len(SECTIONS), "a section this test runs was renamed or removed"
    return "".join(chosen)


def commands(script: str) -> list[str]:
    """A ```sh block's commands: continued lines and multi-line quotes joined, comments out."""
    found: list[str] = []
    pending = ""
    for line in script.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line + "\n"
        if line.endswith("\\"):
            continue
        try:
            shlex.split(pending, comments=True)
        except ValueError:  # A quote still open: the command goes on on the next line.
            continue
        found.append(pending.strip())
        pending = ""
    assert not pending, f"an unfinished command in the README: {pending!r}"
    return found


def steps(text: str) -> list[Block | TableRow]:
    """The blocks and the error table's rows of the chosen sections, in document order."""
    chosen = sections(text)
    found: list[tuple[int, Block | TableRow]] = []
    fences = list(_FENCE.finditer(chosen))
    shown_after: set[int] = set()
    for number, fence in enumerate(fences):
        if fence["lang"] != "sh":
            assert number in shown_after, f"an output block that follows no command:\n{fence[0]}"
            continue
        block = Block(commands(fence["text"]), None, shown_as_json=False)
        following = fences[number + 1] if number + 1 < len(fences) else None
        between = chosen[fence.end() : following.start()] if following else ""
        if following is not None and following["lang"] != "sh" and not between.strip():
            block.shown, block.shown_as_json = following["text"], following["lang"] == "json"
            shown_after.add(number + 1)
        found.append((fence.start(), block))
    for row in _TABLE_ROW.finditer(chosen):
        body = _CHARACTERS.sub(lambda m: "x" * int(m[1]), row["body"])
        codes = [int(code) for code in re.findall(r"\b\d{3,4}\b", row["codes"])]
        found.append((row.start(), TableRow(body, bool(row["twice"]), codes, row["status"])))
    return [step for _, step in sorted(found, key=lambda item: item[0])]


# --- the comparison ---------------------------------------------------------------------------


def json_matches(shown: Any, printed: Any, where: str = "$") -> list[str]:
    """Where `printed` differs from `shown`, with `"..."` as the README's wildcard."""
    if shown == WILDCARD:
        return []
    if isinstance(shown, dict) and isinstance(printed, dict):
        open_ended = shown.get(WILDCARD) == WILDCARD
        keys = [key for key in shown if key != WILDCARD]
        problems = [f"{where}.{key}: missing" for key in keys if key not in printed]
        if not open_ended:
            problems += [
                f"{where}.{key}: printed, not shown" for key in printed if key not in shown
            ]
        for key in keys:
            if key in printed:
                problems += json_matches(shown[key], printed[key], f"{where}.{key}")
        return problems
    if isinstance(shown, list) and isinstance(printed, list):
        open_ended = bool(shown) and shown[-1] == WILDCARD
        items = shown[:-1] if open_ended else shown
        if len(printed) < len(items) or (not open_ended and len(printed) != len(items)):
            return [f"{where}: {len(printed)} items printed, {len(items)} shown"]
        return [
            problem
            for index, item in enumerate(items)
            for problem in json_matches(item, printed[index], f"{where}[{index}]")
        ]
    if type(shown) is not type(printed) or shown != printed:
        return [f"{where}: printed {printed!r}, shown {shown!r}"]
    return []


def text_matches(shown: str, printed: str) -> bool:
    """Whether `printed` is `shown` line by line, with `...` as the README's wildcard."""
    pattern = ""
    for line in _normalized_lines(shown):
        if line == WILDCARD:
            pattern += r"(?:[^\n]*\n)*?"
        else:
            pattern += ".*?".join(re.escape(part) for part in line.split(WILDCARD)) + r"\n"
    printed_lines = "".join(f"{line}\n" for line in _normalized_lines(printed))
    return re.fullmatch(pattern, printed_lines) is not None


def _normalized_lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.strip("\n").splitlines()]


def json_documents(text: str) -> list[Any]:
    """The JSON documents `text` holds one after the other (a block may print several)."""
    decoder, documents, at = json.JSONDecoder(), [], 0
    while at < len(text.rstrip()):
        while text[at].isspace():
            at += 1
        document, at = decoder.raw_decode(text, at)
        documents.append(document)
    return documents


# --- running it -------------------------------------------------------------------------------


@dataclasses.dataclass
class Shell:
    """Runs the README's commands as a reader's shell would: from the repository's root, with
    the variables the README set before, and its addresses pointing at the test's service."""

    grpc_port: int
    http_port: int
    assignments: list[str] = dataclasses.field(default_factory=list)

    async def run(self, command: str) -> tuple[int, str]:
        if _ASSIGNMENT.match(command):
            self.assignments.append(command)
        script = "\n".join([*self.assignments, self._addressed(command)])
        process = await asyncio.create_subprocess_exec(
            "bash",
            "-c",
            script,
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            output, _ = await asyncio.wait_for(process.communicate(), COMMAND_TIMEOUT_SECONDS)
        except TimeoutError:
            process.kill()
            await process.wait()
            message = f"still running after {COMMAND_TIMEOUT_SECONDS} s:\n{command}"
            raise AssertionError(message) from None
        assert process.returncode is not None
        return process.returncode, output.decode()

    def _addressed(self, command: str) -> str:
        ports = {"50051": self.grpc_port, "8080": self.http_port}
        return _ADDRESS.sub(lambda m: f"127.0.0.1:{ports[m['port']]}", command)


def grpc_status_of(output: str) -> tuple[str, int] | None:
    """The status name (NOT_FOUND) and documented code grpcurl printed for a failed call."""
    failure = _GRPC_FAILURE.search(output)
    if failure is None:
        return None
    status = re.sub(r"(?<!^)(?=[A-Z])", "_", failure["code"]).upper()
    detail = _DETAIL_CODE.search(output)
    return status, int(detail["code"]) if detail else 0


def assert_exit_status(command: str, status: int, output: str) -> None:
    """grpcurl exits with 64 plus the gRPC code of a failed call; anything else must succeed."""
    failed = grpc_status_of(output)
    expected = 64 + getattr(grpc.StatusCode, failed[0]).value[0] if failed else 0
    assert status == expected, f"exit status {status}, not {expected}:\n{command}\n{output}"


async def check_block(shell: Shell, block: Block) -> None:
    printed = ""
    for command in block.commands:
        status, output = await shell.run(command)
        assert_exit_status(command, status, output)
        printed += output
    if block.shown is None:
        return
    shown_commands = "\n".join(block.commands)
    if block.shown_as_json:
        shown, answered = json_documents(block.shown), json_documents(printed)
        problems = json_matches(shown, answered)
        assert not problems, f"{shown_commands}\nprinted:\n{printed}\ndiffers:\n" + "\n".join(
            problems
        )
    else:
        assert text_matches(block.shown, printed), (
            f"{shown_commands}\nprinted:\n{printed}\nnot as shown:\n{block.shown}"
        )


async def check_row(shell: Shell, issue_command: str, row: TableRow) -> None:
    command, found = _DATA_ARGUMENT.subn(lambda _: f"-d {shlex.quote(row.body)}", issue_command)
    assert found == 1, f"the table's command has no one -d body to replace:\n{issue_command}"
    *partial, final = row.codes
    if row.twice:
        status, output = await shell.run(command)
        assert status == 0, f"{row.body}, first time:\n{output}"
        assert [error["code"] for error in json.loads(output)["errors"]] == partial, output
    status, output = await shell.run(command)
    assert grpc_status_of(output) == (row.status, final), f"{row.body}:\n{output}"
    assert_exit_status(command, status, output)


# --- the tests --------------------------------------------------------------------------------


async def test_every_readme_example_prints_what_it_shows(service: RunningService) -> None:
    shell = Shell(service.grpc_port, service.http_port)
    issue_command = None
    ran = {"commands": 0, "shown": 0, "rows": 0}
    for step in steps(README.read_text()):
        if isinstance(step, TableRow):
            assert issue_command is not None, "the error table comes before any IssueMultiple"
            await check_row(shell, issue_command, step)
            ran["rows"] += 1
            continue
        await check_block(shell, step)
        ran["commands"] += len(step.commands)
        ran["shown"] += step.shown is not None
        issue_command = next(
            (c for c in reversed(step.commands) if "CouponService/IssueMultiple" in c),
            issue_command,
        )
    # The sections hold these many; fewer means the parsing lost some.
    assert ran["commands"] >= 20 and ran["shown"] >= 12 and ran["rows"] >= 9, ran


def test_the_wildcards_match_only_what_they_stand_for() -> None:
    shown = {"code": WILDCARD, "items": [1, WILDCARD], "nested": {"a": 1, WILDCARD: WILDCARD}}
    assert json_matches(shown, {"code": "X1", "items": [1, 2, 3], "nested": {"a": 1, "b": 2}}) == []
    assert json_matches(shown, {"code": 7, "items": [1], "nested": {"a": 1}}) == []
    assert json_matches(shown, {"code": "X", "items": [2], "nested": {"a": 1}})
    assert json_matches(shown, {"code": "X", "items": [1], "nested": {"a": True}})
    assert json_matches(shown, {"code": "X", "items": [1], "nested": {"a": 1}, "extra": 0})
    assert json_matches({"list": [1]}, {"list": [1, 2]})
    assert text_matches(
        "ERROR:\n  Code: ...\n...\n  2)\tlast", "ERROR:\n Code: NotFound\nx\ny\n2) last"
    )
    assert text_matches("a\n...\nb", "a\nb")
    assert not text_matches("a\nb", "a\nc")
    assert not text_matches("a ... c", "a b d")


def test_commands_are_split_as_a_shell_splits_them() -> None:
    script = (
        "# a comment\n"
        'grpcurl -d \'{"a": 1,\n  "b": 2}\' \\\n  localhost:50051 list\n'
        "\n"
        'AUTH="x $(printf a:b | base64)"\n'
    )
    assert commands(script) == [
        'grpcurl -d \'{"a": 1,\n  "b": 2}\' \\\n  localhost:50051 list',
        'AUTH="x $(printf a:b | base64)"',
    ]


@pytest.mark.parametrize(
    ("output", "status"),
    [
        ('ERROR:\n  Code: NotFound\n  Details:\n  2)\t{...CouponErrorDetail","code":707}', 69),
        ('{"coupons": []}', 0),
    ],
)
def test_grpcurl_failures_are_read_with_their_exit_status(output: str, status: int) -> None:
    assert_exit_status("grpcurl", status, output)
