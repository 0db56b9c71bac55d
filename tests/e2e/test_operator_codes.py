"""`coupon-service codes upload` in a subprocess: a 100,000-code file with malformed and repeated
lines over gRPC, its rejects named by line, `series show` counting the rest and a second run
adding nothing; a CSV with a `code` column, on both doors; and the summary's exit statuses."""

from __future__ import annotations

import asyncio
import pathlib

import pytest

from coupon_service.operator.csv_rows import MAX_CODE_LENGTH
from tests.e2e.helpers.operator_cli import Where, create_series, grpc_flags, operator

MALFORMED = {
    101: ("", "empty"),
    202: ("A" * 65, "too long: 65 characters, at most 64"),
    303: ("WITH SPACE", "bad characters"),
    404: ("ÜMLAUT", "bad characters"),
    505: ("semi;colon", "bad characters"),
}
REPEATED = {606: 3, 707: 4, 99_999: 10}  # line -> the earlier line it repeats


def write_codes(path: pathlib.Path, count: int, prefix: str) -> int:
    """`count` lines of codes, the MALFORMED and REPEATED lines among them; how many are good."""
    lines = [f"{prefix}-{number:06d}" for number in range(1, count + 1)]
    for line, (value, _) in MALFORMED.items():
        lines[line - 1] = value
    for line, earlier in REPEATED.items():
        lines[line - 1] = lines[earlier - 1]
    path.write_text("\n".join(lines) + "\n")
    return count - len(MALFORMED) - len(REPEATED)


async def test_a_100k_file_is_uploaded_over_grpc_its_rejects_named_and_a_rerun_adds_nothing(
    service, tmp_path
):
    server = Where("grpc", grpc_flags(service), tmp_path)
    series = await create_series(server, tmp_path, maxCreate="200000")
    path = tmp_path / "codes.txt"
    good = write_codes(path, 100_000, "SPRING")
    upload = ("codes", "upload", "--series", series["id"], str(path), *server.flags)

    first = await operator(*upload, "--json")
    shown, again = await asyncio.gather(
        operator("series", "show", series["id"], "--json", *server.flags),
        operator(*upload),
    )

    assert first.status == 1, first.err  # Some lines were rejected.
    report = first.json()
    assert (report["read"], report["added"], report["alreadyPresent"]) == (100_000, good, 0)
    assert report["rejected"] == len(MALFORMED) + len(REPEATED)
    rejects = {reject["line"]: reject["reason"] for reject in report["rejects"]}
    for line, (_, reason) in MALFORMED.items():
        assert rejects[line].startswith(reason)
    for line, earlier in REPEATED.items():
        assert rejects[line] == f"duplicate of line {earlier}"
    assert report["counts"]["leftInPool"] == good
    assert shown.json()["counts"] == {
        "issued": 0,
        "leftInPool": good,
        "leftUnderMaxCreate": 200_000,
    }
    assert again.status == 1
    assert again.out.strip() == f"read 100000, added 0, already present {good}, rejected 8"
    err = again.err.splitlines()
    assert err[0] == "line 101: empty"
    assert err[1] == f"line 202: too long: 65 characters, at most {MAX_CODE_LENGTH}: {'A' * 65!r}"
    assert "line 99999: duplicate of line 10: 'SPRING-000010'" in err


async def test_a_csv_with_a_code_column_is_read_by_its_header_on_both_doors(where, tmp_path):
    series = await create_series(where, tmp_path)
    path = tmp_path / "codes.csv"
    path.write_text(
        "batch,code\n"
        f"1,{where.name}-A\n"
        f'2,"{where.name}-B"\n'
        '3,"multi\nline"\n'  # A quoted cell over two lines: the next row is on line 6.
        f"4,{where.name}-A\n"
        "5\n"  # No code cell at all.
    )

    ran = await operator("codes", "upload", "--series", series["id"], str(path), *where.flags)
    rerun = await operator(
        "codes", "upload", "--series", series["id"], str(path), "--json", *where.flags
    )

    assert ran.status == 1
    assert ran.out.strip() == "read 5, added 2, already present 0, rejected 3"
    assert ran.err.splitlines() == [
        "line 4: bad characters: a code has only letters, digits, '-' and '_': 'multi\\nline'",
        f"line 6: duplicate of line 2: '{where.name}-A'",
        "line 7: empty",
    ]
    assert (rerun.json()["added"], rerun.json()["alreadyPresent"]) == (0, 2)


async def test_a_byte_order_mark_is_skipped_and_a_line_not_utf8_is_rejected(service, tmp_path):
    server = Where("grpc", grpc_flags(service), tmp_path)
    series = await create_series(server, tmp_path)
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbfCode\r\nBOM-1\r\nBAD-\xff\r\n  BOM-2  \r\n")

    ran = await operator("codes", "upload", "--series", series["id"], str(path), *server.flags)

    assert ran.out.strip() == "read 3, added 2, already present 0, rejected 1"
    assert ran.err.splitlines() == ["line 3: not UTF-8 text: 'BAD-\ufffd'"]


async def test_a_clean_file_exits_0_and_the_same_codes_in_another_series_are_present(
    where, tmp_path
):
    first, second = await asyncio.gather(
        create_series(where, tmp_path, description="one"),
        create_series(where, tmp_path, description="two"),
    )
    path = tmp_path / "clean.txt"
    path.write_text("".join(f"{where.name}-CLEAN-{n}\n" for n in range(25)))

    into_first = await operator("codes", "upload", "--series", first["id"], str(path), *where.flags)
    into_second = await operator(
        "codes", "upload", "--series", second["id"], str(path), *where.flags
    )

    assert (into_first.status, into_first.err) == (0, "")
    assert into_first.out.strip() == "read 25, added 25, already present 0, rejected 0"
    # Codes are unique in the organisation: the second series gets none of them.
    assert into_second.out.strip() == "read 25, added 0, already present 25, rejected 0"


@pytest.mark.parametrize(
    ("series", "expected"),
    [
        ("415446", "codes can only be uploaded to an UPLOADED series"),
        ("123", "NOT_FOUND 707: Coupon Series ID is invalid"),
    ],
)
async def test_a_series_that_takes_no_codes_fails_the_upload_in_one_line(
    where, tmp_path, series, expected
):
    path = tmp_path / "codes.txt"
    path.write_text("ONE\nTWO\n")

    ran = await operator("codes", "upload", "--series", series, str(path), *where.flags)

    assert ran.status == 1
    assert len(ran.err.strip().splitlines()) == 1
    assert expected in ran.err


async def test_a_missing_file_is_exit_1(service, tmp_path):
    missing = str(tmp_path / "none.csv")

    ran = await operator("codes", "upload", "--series", "700001", missing, *grpc_flags(service))

    assert ran.status == 1
    assert "none.csv" in ran.err
