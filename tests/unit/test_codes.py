"""Coupon codes: generate_codes and check_capacity."""

from __future__ import annotations

import random
import secrets
import string
from collections import Counter
from collections.abc import Iterable

import pytest

from coupon_service.domain import codes
from coupon_service.domain.codes import (
    DIGITS,
    UNAMBIGUOUS_ALPHANUMERIC,
    check_capacity,
    generate_codes,
)
from coupon_service.domain.errors import ErrorCode, ErrorKind, InvalidRequest

AMBIGUOUS = set("0O1IL")
EXPECTED_ALPHANUMERIC = set(string.digits + string.ascii_uppercase) - AMBIGUOUS


class ShuffledCycles:
    """A deterministic random_bytes: each call hands out every byte value 0..255 exactly once,
    in a fresh seeded shuffle, whatever size was asked for."""

    def __init__(self, seed: int = 1234) -> None:
        self._random = random.Random(seed)
        self.calls = 0

    def __call__(self, size: int) -> bytes:
        assert size > 0
        self.calls += 1
        cycle = list(range(256))
        self._random.shuffle(cycle)
        return bytes(cycle)


class Stream:
    """A deterministic random_bytes that hands out the given bytes in order, `size` at a time."""

    def __init__(self, data: Iterable[int]) -> None:
        self._data = bytes(data)
        self._position = 0

    def __call__(self, size: int) -> bytes:
        chunk = self._data[self._position : self._position + size]
        assert chunk, "the generator asked for more bytes than the test planned"
        self._position += size
        return chunk


def test_alphabets() -> None:
    assert DIGITS == string.digits
    assert set(UNAMBIGUOUS_ALPHANUMERIC) == EXPECTED_ALPHANUMERIC
    assert len(UNAMBIGUOUS_ALPHANUMERIC) == len(set(UNAMBIGUOUS_ALPHANUMERIC)) == 31
    assert codes.alphabet_for(False) == DIGITS
    assert codes.alphabet_for(True) == UNAMBIGUOUS_ALPHANUMERIC


@pytest.mark.parametrize(("count", "length"), [(0, 10), (1, 4), (7, 6), (200, 10), (500, 32)])
@pytest.mark.parametrize("alpha_numeric", [False, True])
def test_count_length_and_distinctness(count: int, length: int, alpha_numeric: bool) -> None:
    result = generate_codes(count, length=length, alpha_numeric=alpha_numeric)

    assert isinstance(result, list)
    assert len(result) == count
    assert len(set(result)) == count
    assert all(len(code) == length for code in result)


def test_numeric_codes_are_digits_only() -> None:
    result = generate_codes(300, length=12, alpha_numeric=False)

    assert set("".join(result)) <= set(string.digits)


def test_alphanumeric_codes_never_contain_ambiguous_characters() -> None:
    result = generate_codes(500, length=16, alpha_numeric=True)

    used = set("".join(result))
    assert used <= EXPECTED_ALPHANUMERIC
    assert not used & AMBIGUOUS
    # 8000 draws from 31 characters: missing letters would mean the alphabet is cut short.
    assert any(c.isalpha() for c in used)
    assert any(c.isdigit() for c in used)


@pytest.mark.parametrize("alpha_numeric", [False, True])
@pytest.mark.parametrize(
    ("prefix", "suffix"), [("SUM-", ""), ("", "-25"), ("X", "Y"), ("ab_", "_cd")]
)
def test_prefix_and_suffix_wrap_the_random_part(
    alpha_numeric: bool, prefix: str, suffix: str
) -> None:
    length = 8
    alphabet = set(UNAMBIGUOUS_ALPHANUMERIC if alpha_numeric else DIGITS)

    result = generate_codes(
        50, length=length, alpha_numeric=alpha_numeric, prefix=prefix, suffix=suffix
    )

    assert len(set(result)) == 50
    for code in result:
        assert code.startswith(prefix)
        assert code.endswith(suffix)
        assert len(code) == len(prefix) + length + len(suffix)
        assert set(code[len(prefix) : len(prefix) + length]) <= alphabet


@pytest.mark.parametrize(
    ("alpha_numeric", "length", "count", "per_character"),
    [
        # 10 digits: bytes 250..255 are dropped, 250 usable bytes per cycle = 25 codes of 10.
        (False, 10, 50, 50),
        (False, 5, 100, 50),
        # 31 characters: bytes 248..255 are dropped, 248 usable bytes per cycle = 31 codes of 8.
        (True, 8, 62, 16),
        (True, 4, 124, 16),
    ],
)
def test_no_modulo_bias(alpha_numeric: bool, length: int, count: int, per_character: int) -> None:
    alphabet = UNAMBIGUOUS_ALPHANUMERIC if alpha_numeric else DIGITS
    random_bytes = ShuffledCycles()

    result = generate_codes(
        count, length=length, alpha_numeric=alpha_numeric, random_bytes=random_bytes
    )

    assert len(result) == len(set(result)) == count
    frequencies = Counter("".join(result))
    assert set(frequencies) == set(alphabet)
    assert set(frequencies.values()) == {per_character}
    # Exactly the cycles needed were drawn: no byte was used twice, none was mapped from >= limit.
    usable_per_cycle = 256 - 256 % len(alphabet)
    assert random_bytes.calls == count * length // usable_per_cycle


@pytest.mark.parametrize(
    ("alpha_numeric", "first_rejected"), [(False, 250), (True, 248)], ids=["numeric", "alnum"]
)
def test_rejected_bytes_are_dropped_not_folded(alpha_numeric: bool, first_rejected: int) -> None:
    alphabet = UNAMBIGUOUS_ALPHANUMERIC if alpha_numeric else DIGITS
    rejected = list(range(first_rejected, 256))
    # Every rejected byte value, then bytes 9, 8, 7, 6, 5, 4 interleaved with more rejects.
    # Folding rejected bytes in (byte % size) would start the code with alphabet[0..5] instead.
    data = rejected * 3 + [9, 255, 8, 254, 7, 6, first_rejected, 5, 4] + [3] * 40

    result = generate_codes(1, length=6, alpha_numeric=alpha_numeric, random_bytes=Stream(data))

    assert result == ["".join(alphabet[i] for i in (9, 8, 7, 6, 5, 4))]


def test_duplicate_draws_are_skipped() -> None:
    # Digit d is byte d: the stream draws 1234, 1234 again, then 5678.
    data = [1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8] + [9] * 40

    result = generate_codes(2, length=4, alpha_numeric=False, random_bytes=Stream(data))

    assert result == ["1234", "5678"]


def test_duplicates_across_prefix_are_skipped() -> None:
    data = [0, 0, 0, 0, 0, 0, 0, 1, 0, 1] + [2] * 40

    result = generate_codes(
        2, length=2, alpha_numeric=False, prefix="P", suffix="S", random_bytes=Stream(data)
    )

    assert result == ["P00S", "P01S"]


def test_default_source_is_the_csprng() -> None:
    default = generate_codes.__kwdefaults__["random_bytes"]  # type: ignore[index]
    assert default is secrets.token_bytes


# --- check_capacity ----------------------------------------------------------------------------


def assert_capacity_refused(length: int, alpha_numeric: bool, max_create: int | None) -> str:
    with pytest.raises(InvalidRequest) as caught:
        check_capacity(length, alpha_numeric, max_create)
    error = caught.value
    assert error.code == ErrorCode.INVALID_INPUT == 629
    assert error.kind is ErrorKind.INVALID_ARGUMENT
    assert error.field == "randomCodeLength"
    return error.message


@pytest.mark.parametrize("length", [-1, 0, 1, 3, 33, 64])
@pytest.mark.parametrize("alpha_numeric", [False, True])
@pytest.mark.parametrize("max_create", [None, 1])
def test_length_out_of_range_is_refused(
    length: int, alpha_numeric: bool, max_create: int | None
) -> None:
    message = assert_capacity_refused(length, alpha_numeric, max_create)
    assert message == "randomCodeLength must be 4 to 32"


@pytest.mark.parametrize(
    ("length", "alpha_numeric", "max_create"),
    [
        (4, False, 1001),  # 10_000 codes < 10 * 1001
        (5, False, 10_001),
        (9, False, 100_000_001),
        (4, True, 92_353),  # 31**4 = 923_521 < 923_530
        (10, False, 10**9 + 1),
    ],
)
def test_space_under_ten_times_max_create_is_refused(
    length: int, alpha_numeric: bool, max_create: int
) -> None:
    message = assert_capacity_refused(length, alpha_numeric, max_create)
    assert str(max_create * 10) in message


@pytest.mark.parametrize(
    ("length", "alpha_numeric"),
    [(4, False), (7, False), (4, True), (5, True)],  # 10**7 and 31**5 = 28_629_151 < 10**8
)
def test_unlimited_series_needs_a_space_of_10_to_the_8(length: int, alpha_numeric: bool) -> None:
    message = assert_capacity_refused(length, alpha_numeric, None)
    assert str(10**8) in message


@pytest.mark.parametrize(
    ("length", "alpha_numeric", "max_create"),
    [
        (10, False, 50),
        (4, False, 1000),  # exactly 10 * max_create
        (4, False, 1),
        (4, True, 92_352),  # 31**4 = 923_521 >= 923_520
        (8, False, None),  # exactly 10**8
        (6, True, None),  # 31**6 = 887_503_681
        (32, False, None),
        (32, True, 10**12),
        (10, False, 10**9),
    ],
)
def test_enough_capacity_passes(length: int, alpha_numeric: bool, max_create: int | None) -> None:
    assert check_capacity(length, alpha_numeric, max_create) is None


@pytest.mark.parametrize(
    ("length", "alpha_numeric", "space"),
    [(4, False, 10**4), (10, False, 10**10), (4, True, 31**4), (6, True, 31**6)],
)
def test_code_space(length: int, alpha_numeric: bool, space: int) -> None:
    assert codes.code_space(length, alpha_numeric) == space
