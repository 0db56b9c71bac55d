"""Keyset paging (service/paging.py): page sizes, the tokens it gives out and reads back, and
where a page is cut."""

from __future__ import annotations

import base64

import pytest

from coupon_service.domain.errors import ErrorCode, InvalidRequest
from coupon_service.service.paging import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    page_after,
    page_size_or_default,
    read_page_token,
)


def token(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize(("asked", "given"), [(0, DEFAULT_PAGE_SIZE), (1, 1), (1000, 1000)])
def test_a_page_size_of_0_means_the_default(asked: int, given: int) -> None:
    assert page_size_or_default(asked) == given


@pytest.mark.parametrize("asked", [-1, MAX_PAGE_SIZE + 1, 2**31 - 1])
def test_a_page_size_out_of_range_is_629(asked: int) -> None:
    with pytest.raises(InvalidRequest) as refused:
        page_size_or_default(asked)

    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_INPUT, "pageSize")


def test_a_page_longer_than_its_limit_is_cut_and_its_token_resumes_after_its_last_item() -> None:
    found = [3, 5, 8, 13]  # Fetched with limit + 1.

    page = page_after(found, 3, key=lambda item: item)

    assert page.items == [3, 5, 8]
    assert read_page_token(page.next_page_token) == 8


@pytest.mark.parametrize("found", [[], [3], [3, 5, 8]])
def test_the_last_page_has_no_token(found: list[int]) -> None:
    page = page_after(found, 3, key=lambda item: item)

    assert (page.items, page.next_page_token) == (found, "")


def test_no_token_is_the_first_page() -> None:
    assert read_page_token("") == 0


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param("not-a-token", id="garbage"),
        pytest.param("\u00ff" * 9, id="unicode"),
        pytest.param(token("after:x"), id="after-x"),
        pytest.param(token("after:-1"), id="negative"),
        pytest.param(token("after:0"), id="zero"),
        pytest.param(token(f"after:{2**63}"), id="past-int64"),
        pytest.param(token("after:1 "), id="trailing-space"),
        pytest.param(token("before:1"), id="other-word"),
        pytest.param(base64.urlsafe_b64encode(b"\xff\xfe").decode(), id="not-utf8"),
    ],
)
def test_a_token_this_service_did_not_give_out_is_629(bad: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        read_page_token(bad)

    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_INPUT, "pageToken")


def test_the_largest_id_reads_back_from_its_token() -> None:
    assert read_page_token(token(f"after:{2**63 - 1}")) == 2**63 - 1
