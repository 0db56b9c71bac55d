"""Keyset paging: opaque page tokens over ascending ids."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import re
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from ..domain.errors import invalid_input
from ..domain.validation import is_possible_id

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100
# What a token decodes to: the last id of the page before, as `page_after` writes it.
_TOKEN_TEXT = re.compile(r"after:([0-9]{1,19})")
_Item = TypeVar("_Item")


@dataclasses.dataclass(frozen=True)
class Page(Generic[_Item]):
    items: list[_Item]
    next_page_token: str


def page_size_or_default(page_size: int) -> int:
    if page_size < 0 or page_size > MAX_PAGE_SIZE:
        raise invalid_input("pageSize", f"pageSize must be 0 to {MAX_PAGE_SIZE}")
    return page_size or DEFAULT_PAGE_SIZE


def read_page_token(token: str) -> int:
    """The last id of the previous page; 0 for the first page. A token that does not name an
    id the store can hold (negative, or past int64) was not given out here, whatever it says."""
    if not token:
        return 0
    try:
        decoded = base64.urlsafe_b64decode(token.encode()).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        decoded = ""
    text = _TOKEN_TEXT.fullmatch(decoded)
    if text is None or not is_possible_id(int(text[1])):
        raise invalid_input("pageToken", "pageToken is not one this service gave out")
    return int(text[1])


def page_after(found: Sequence[_Item], limit: int, key: Callable[[_Item], int]) -> Page[_Item]:
    """Cuts `found` (fetched with limit + 1) to one page and makes the next token."""
    items = list(found[:limit])
    if len(found) <= limit:
        return Page(items, "")
    token = base64.urlsafe_b64encode(f"after:{key(items[-1])}".encode()).decode()
    return Page(items, token)
