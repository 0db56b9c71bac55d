"""Coupon codes: drawn from a CSPRNG without modulo bias, with an honest capacity check."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

from .errors import invalid_input

DIGITS = "0123456789"
# No 0/O, 1/I/L: a customer reading a code aloud or typing it from paper cannot confuse them.
UNAMBIGUOUS_ALPHANUMERIC = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
MIN_CODE_LENGTH = 4
MAX_CODE_LENGTH = 32
# A series may use at most a tenth of its code space, so a fresh draw collides under 10% of times.
CAPACITY_HEADROOM = 10
UNLIMITED_SERIES_MIN_CAPACITY = 10**8
UPLOADED_CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def alphabet_for(alpha_numeric: bool) -> str:
    return UNAMBIGUOUS_ALPHANUMERIC if alpha_numeric else DIGITS


def code_space(length: int, alpha_numeric: bool) -> int:
    # int ** int is typed Any (a negative exponent gives a float); `length` is never negative.
    space: int = len(alphabet_for(alpha_numeric)) ** length
    return space


def check_capacity(length: int, alpha_numeric: bool, max_create: int | None) -> None:
    """Refuses a GENERATED series whose code space cannot honestly hold `max_create` codes."""
    if not MIN_CODE_LENGTH <= length <= MAX_CODE_LENGTH:
        raise invalid_input(
            "randomCodeLength",
            f"randomCodeLength must be {MIN_CODE_LENGTH} to {MAX_CODE_LENGTH}",
        )
    needed = UNLIMITED_SERIES_MIN_CAPACITY if max_create is None else max_create * CAPACITY_HEADROOM
    if code_space(length, alpha_numeric) < needed:
        raise invalid_input(
            "randomCodeLength",
            f"{length} {'alphanumeric' if alpha_numeric else 'numeric'} characters leave too "
            f"little room: the code space must be at least {needed}",
        )


def _translation(alphabet: str) -> tuple[bytes, bytes]:
    """A byte -> character table for `bytes.translate`, and the bytes it must drop: those at or
    above the largest multiple of the alphabet's size would favour its first characters."""
    size = len(alphabet)
    limit = 256 - 256 % size
    table = bytes(ord(alphabet[byte % size]) if byte < limit else 0 for byte in range(256))
    return table, bytes(range(limit, 256))


_TRANSLATIONS = {
    alphabet: _translation(alphabet) for alphabet in (DIGITS, UNAMBIGUOUS_ALPHANUMERIC)
}


def generate_codes(
    count: int,
    *,
    length: int,
    alpha_numeric: bool,
    prefix: str = "",
    suffix: str = "",
    random_bytes: Callable[[int], bytes] = secrets.token_bytes,
) -> list[str]:
    """Draws `count` random codes, distinct from each other."""
    table, rejected = _TRANSLATIONS[alphabet_for(alpha_numeric)]
    codes: set[str] = set()
    ordered: list[str] = []
    chars = ""
    while len(ordered) < count:
        needed = (count - len(ordered)) * length - len(chars)
        # One C-level pass maps the accepted bytes to characters and drops the rejected ones.
        drawn = random_bytes(needed + needed // 8 + 8).translate(table, rejected)
        chars += drawn.decode("ascii")
        whole = len(chars) // length * length
        for start in range(0, whole, length):
            code = prefix + chars[start : start + length] + suffix
            if code not in codes and len(ordered) < count:
                codes.add(code)
                ordered.append(code)
        chars = chars[whole:]
    return ordered
