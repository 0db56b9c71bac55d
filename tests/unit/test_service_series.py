"""The series use cases (service/series.py) over the in-memory unit of work: what a series is
stored with, the policies refused before any transaction, reading and paging series, and
uploading codes to a pool."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from coupon_service.domain.errors import AlreadyExists, ErrorCode, InvalidRequest, NotFound
from coupon_service.domain.model import (
    MAX_CHOSEN_ID,
    CodeSource,
    CouponValidity,
    CustomerRef,
    IdentifierType,
    SeriesPolicy,
)
from coupon_service.service.issuing import IssueRequest, issue_multiple
from coupon_service.service.paging import DEFAULT_PAGE_SIZE
from coupon_service.service.series import (
    MAX_CODES_PER_UPLOAD,
    create_series,
    get_series,
    list_series,
    upload_codes,
)
from tests.fakes import FakeDatabase, FakeUnitOfWork

ORG, OTHER_ORG = 7, 8
ISSUED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
POOL = SeriesPolicy(
    description="pool", code_source=CodeSource.UPLOADED, multiple_per_user_allowed=True
)


@pytest.fixture
def db() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def uow(db: FakeDatabase) -> FakeUnitOfWork:
    return FakeUnitOfWork(db, transactions=True)


def stored_ids(db: FakeDatabase, org_id: int = ORG) -> list[int]:
    return sorted(i for org, i in db.tables.series if org == org_id)


# --- create -----------------------------------------------------------------------------------


async def test_a_created_series_is_stored_with_its_policy_and_numbered_per_org(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    policy = SeriesPolicy(description="Summer sale", discount_value=15, max_create=100)

    first = await create_series(uow, ORG, None, policy)
    second = await create_series(uow, ORG, None, SeriesPolicy(description="second"))
    elsewhere = await create_series(uow, OTHER_ORG, None, SeriesPolicy())

    assert (first.id, second.id, elsewhere.id) == (1, 2, 1)
    assert db.tables.series[ORG, 1].policy == policy
    assert first.policy == policy and first.created_at is not None
    assert (first.num_issued, first.num_uploaded, first.latest_issued_at) == (0, 0, None)
    assert stored_ids(db) == [1, 2] and stored_ids(db, OTHER_ORG) == [1]


async def test_a_chosen_id_is_kept_and_the_next_series_follows_it(uow: FakeUnitOfWork) -> None:
    chosen = await create_series(uow, ORG, 123456, SeriesPolicy(description="Chosen"))
    following = await create_series(uow, ORG, None, SeriesPolicy())

    assert (chosen.id, following.id) == (123456, 123457)
    assert (await get_series(uow, ORG, 123456)).policy.description == "Chosen"


async def test_a_taken_series_id_is_already_exists_and_keeps_the_first(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    await create_series(uow, ORG, 42, SeriesPolicy(description="first"))

    with pytest.raises(AlreadyExists) as refused:
        await create_series(uow, ORG, 42, SeriesPolicy(description="again"))

    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_INPUT, "id")
    assert refused.value.message == "a series with this id already exists"
    assert db.tables.series[ORG, 42].policy.description == "first"
    assert (await create_series(uow, OTHER_ORG, 42, SeriesPolicy())).id == 42


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        pytest.param({"random_code_length": 4}, "randomCodeLength", id="4-digits-unlimited"),
        pytest.param({"random_code_length": 33}, "randomCodeLength", id="too-long"),
        pytest.param({"code_source": CodeSource.GENERIC}, "genericCode", id="generic-no-code"),
        pytest.param(
            {"coupon_validity": CouponValidity.FIXED_DATE}, "fixedExpiryDate", id="no-fixed-date"
        ),
        pytest.param({"discount_value": -1}, "discountValue", id="negative-discount"),
        pytest.param({"max_create": -1}, "maxCreate", id="negative-max-create"),
        pytest.param({"code_prefix": "P" * 17}, "codePrefix", id="long-prefix"),
        pytest.param({"description": "d" * 501}, "description", id="long-description"),
        pytest.param({"max_redemptions": 5}, "maxRedemptions", id="limit-of-generic-only"),
    ],
)
async def test_a_policy_that_could_not_keep_its_promise_is_refused_before_any_transaction(
    db: FakeDatabase, uow: FakeUnitOfWork, fields: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidRequest) as refused:
        await create_series(uow, ORG, None, SeriesPolicy(**fields))  # type: ignore[arg-type]

    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_INPUT, field)
    assert db.commits == db.rollbacks == 0 and stored_ids(db) == []


@pytest.mark.parametrize("series_id", [MAX_CHOSEN_ID + 1, -5])
async def test_a_chosen_id_out_of_range_is_refused(
    db: FakeDatabase, uow: FakeUnitOfWork, series_id: int
) -> None:
    with pytest.raises(InvalidRequest) as refused:
        await create_series(uow, ORG, series_id, SeriesPolicy())

    assert refused.value.field == "id"
    assert stored_ids(db) == []


async def test_a_generic_series_with_its_code_and_limits_is_accepted(uow: FakeUnitOfWork) -> None:
    policy = SeriesPolicy(
        code_source=CodeSource.GENERIC, generic_code="SUMMER10", max_redemptions=100
    )

    created = await create_series(uow, ORG, None, policy)

    assert created.policy.generic_code == "SUMMER10"


# --- read and list ----------------------------------------------------------------------------


async def test_get_series_shows_the_live_counters(db: FakeDatabase, uow: FakeUnitOfWork) -> None:
    series = await create_series(uow, ORG, None, SeriesPolicy(multiple_per_user_allowed=True))
    customer = db.add_customer(ORG)
    request = IssueRequest([series.id], 3, CustomerRef(IdentifierType.ID, str(customer.id)))
    await issue_multiple(uow, ORG, request, now=ISSUED)

    found = await get_series(uow, ORG, series.id)

    assert (found.num_issued, found.latest_issued_at) == (3, ISSUED)
    assert dataclasses.replace(found, num_issued=0, latest_issued_at=None) == series


@pytest.mark.parametrize(
    ("org_id", "series_id"),
    [(ORG, 999), (OTHER_ORG, 1)],
    ids=["unknown", "another-orgs"],
)
async def test_get_series_of_an_unknown_or_another_orgs_series_is_707(
    uow: FakeUnitOfWork, org_id: int, series_id: int
) -> None:
    await create_series(uow, ORG, 1, SeriesPolicy())

    with pytest.raises(NotFound) as missing:
        await get_series(uow, org_id, series_id)

    assert missing.value.code is ErrorCode.SERIES_INVALID
    assert missing.value.metadata == {"seriesId": str(series_id)}


@pytest.mark.parametrize("series_id", [0, -1])
async def test_get_series_of_an_impossible_id_is_707_without_a_transaction(
    db: FakeDatabase, uow: FakeUnitOfWork, series_id: int
) -> None:
    with pytest.raises(NotFound):
        await get_series(uow, ORG, series_id)

    assert db.commits == db.rollbacks == 0


async def test_list_series_walks_the_orgs_series_page_by_page_in_id_order(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    for series_id in (30, 10, 20, 50, 40):
        await create_series(uow, ORG, series_id, SeriesPolicy())
    await create_series(uow, OTHER_ORG, 15, SeriesPolicy())

    walked, token, pages = [], "", 0
    while True:
        page = await list_series(uow, ORG, 2, token)
        walked += [series.id for series in page.items]
        token, pages = page.next_page_token, pages + 1
        if not token:
            break

    assert (walked, pages) == ([10, 20, 30, 40, 50], 3)
    everything = await list_series(uow, ORG, 0, "")
    assert [s.id for s in everything.items] == walked and everything.next_page_token == ""


async def test_list_series_without_a_page_size_gives_the_default(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    for _ in range(DEFAULT_PAGE_SIZE + 1):
        db.add_series(ORG)

    first = await list_series(uow, ORG, 0, "")
    rest = await list_series(uow, ORG, 0, first.next_page_token)

    assert len(first.items) == DEFAULT_PAGE_SIZE and first.next_page_token
    assert len(rest.items) == 1 and rest.next_page_token == ""


@pytest.mark.parametrize(
    ("page_size", "page_token", "field"),
    [(1001, "", "pageSize"), (-1, "", "pageSize"), (0, "not-a-token", "pageToken")],
)
async def test_list_series_bad_paging_is_629(
    uow: FakeUnitOfWork, page_size: int, page_token: str, field: str
) -> None:
    with pytest.raises(InvalidRequest) as refused:
        await list_series(uow, ORG, page_size, page_token)

    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_INPUT, field)


# --- upload codes -----------------------------------------------------------------------------


async def test_an_upload_adds_new_codes_and_names_the_duplicates(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    held_elsewhere = await create_series(uow, ORG, None, POOL)
    await upload_codes(uow, ORG, held_elsewhere.id, ["DEMO0001"])
    pool = await create_series(uow, ORG, None, POOL)
    other_org_pool = await create_series(uow, OTHER_ORG, None, POOL)
    await upload_codes(uow, OTHER_ORG, other_org_pool.id, ["UP-1"])

    uploaded = await upload_codes(uow, ORG, pool.id, ["UP-1", "UP-2", "UP-2", "DEMO0001"])

    assert uploaded.uploaded_count == 2
    # The org's own codes are duplicates wherever they are; another org's are not.
    assert uploaded.duplicate_codes == ["DEMO0001", "UP-2"]
    assert (uploaded.series.num_uploaded, uploaded.series.num_uploaded_non_issued) == (2, 2)
    assert sorted(db.free_pool(ORG, pool.id)) == ["UP-1", "UP-2"]
    assert db.free_pool(ORG, held_elsewhere.id) == ["DEMO0001"]


async def test_uploaded_codes_are_what_the_series_then_issues(
    db: FakeDatabase, uow: FakeUnitOfWork
) -> None:
    pool = await create_series(uow, ORG, None, POOL)
    await upload_codes(uow, ORG, pool.id, ["A-1", "A-2"])
    customer = db.add_customer(ORG)
    request = IssueRequest([pool.id], 3, CustomerRef(IdentifierType.ID, str(customer.id)))

    result = await issue_multiple(uow, ORG, request, now=ISSUED)
    again = await upload_codes(uow, ORG, pool.id, ["A-1", "A-3"])

    assert sorted(c.code for c in result.outcomes[0].coupons) == ["A-1", "A-2"]
    assert (again.uploaded_count, again.duplicate_codes) == (1, ["A-1"])
    assert (again.series.num_uploaded, again.series.num_issued) == (3, 2)
    assert again.series.num_uploaded_non_issued == 1


@pytest.mark.parametrize(
    ("policy", "codes", "field"),
    [
        pytest.param(SeriesPolicy(), ["GEN-1"], "seriesId", id="generated-series"),
        pytest.param(
            SeriesPolicy(code_source=CodeSource.GENERIC, generic_code="G"),
            ["GEN-1"],
            "seriesId",
            id="generic-series",
        ),
        pytest.param(POOL, [], "codes", id="no-codes"),
        pytest.param(POOL, [f"C{n}" for n in range(MAX_CODES_PER_UPLOAD + 1)], "codes", id="10001"),
        pytest.param(POOL, ["GOOD", "has space"], "codes", id="bad-character"),
        pytest.param(POOL, ["X" * 65], "codes", id="65-characters"),
    ],
)
async def test_an_upload_that_cannot_go_to_the_pool_is_refused_and_adds_nothing(
    db: FakeDatabase, uow: FakeUnitOfWork, policy: SeriesPolicy, codes: list[str], field: str
) -> None:
    series = await create_series(uow, ORG, None, policy)

    with pytest.raises(InvalidRequest) as refused:
        await upload_codes(uow, ORG, series.id, codes)

    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_INPUT, field)
    assert db.coupons(ORG) == []
    assert (await get_series(uow, ORG, series.id)).num_uploaded == 0


@pytest.mark.parametrize("series_id", [0, -1, 999_999])
async def test_an_upload_to_an_unknown_series_is_707(
    db: FakeDatabase, uow: FakeUnitOfWork, series_id: int
) -> None:
    pool = await create_series(uow, OTHER_ORG, 999_999, POOL)

    with pytest.raises(NotFound) as missing:
        await upload_codes(uow, ORG, series_id, ["A"])

    assert missing.value.code is ErrorCode.SERIES_INVALID
    assert missing.value.metadata == {"seriesId": str(series_id)}
    assert db.free_pool(OTHER_ORG, pool.id) == []
