"""ListSeriesCoupons on real SQLite and PostgreSQL: every filter agrees with the domain's state,
pages cover the series exactly once in issue order, and each filter's query walks an index in
the order it answers (no sort of the series, whatever its size)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from coupon_service.adapters.coupon_repository import _series_page
from coupon_service.adapters.unit_of_work import SqlUnitOfWork
from coupon_service.domain.errors import ErrorCode, InvalidRequest, NotFound
from coupon_service.domain.model import CouponValidity, IssuanceMetadata
from coupon_service.domain.redemption import CouponState, state_of
from coupon_service.service.coupons import (
    CouponLookup,
    CouponView,
    SeriesCouponsQuery,
    list_series_coupons,
)
from coupon_service.service.issuing import IssueRequest, issue_multiple
from coupon_service.service.redemption import RedeemRequest, redeem_coupon, revoke_coupon
from coupon_service.service.unit_of_work import CouponFilter
from tests.factories import a_customer, a_series, by_mobile

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
JOURNEY = IssuanceMetadata("Journeys", "block-7", "Tier upgrade")
POS = IssuanceMetadata("POS", "store-1", "Purchase")


async def _all(uow: SqlUnitOfWork, org_id: int, query: SeriesCouponsQuery) -> list[CouponView]:
    """Every page of the query, two coupons per page."""
    found: list[CouponView] = []
    token = ""
    while True:
        page = await list_series_coupons(
            uow, org_id, dataclasses.replace(query, page_size=2, page_token=token), now=NOW
        )
        found.extend(page.items)
        token = page.next_page_token
        if not token:
            return found


async def test_filters_and_pages_agree_with_the_coupons_state(
    uow: SqlUnitOfWork, org_id: int
) -> None:
    series = await a_series(
        uow, org_id, coupon_validity=CouponValidity.DAYS_AFTER_ISSUE, valid_days_after_issue=2
    )
    customer = await a_customer(uow, org_id)
    for days_ago, metadata, count in ((3, POS, 2), (1, JOURNEY, 3), (0, POS, 2)):
        request = IssueRequest([series.id], count, by_mobile(customer), metadata)
        await issue_multiple(uow, org_id, request, now=NOW - timedelta(days=days_ago))
    every = await _all(uow, org_id, SeriesCouponsQuery(series.id))
    await redeem_coupon(
        uow, org_id, RedeemRequest(every[2].coupon.code, by_mobile(customer)), now=NOW
    )
    await revoke_coupon(uow, org_id, CouponLookup(coupon_id=every[3].coupon.id), "fraud", now=NOW)
    every = await _all(uow, org_id, SeriesCouponsQuery(series.id))

    assert len(every) == 7
    positions = [(view.coupon.issued_at, view.coupon.id) for view in every]
    assert positions == sorted(positions)
    assert [view.state for view in every] == [
        CouponState.EXPIRED,
        CouponState.EXPIRED,
        CouponState.REDEEMED,
        CouponState.REVOKED,
        CouponState.ISSUED,
        CouponState.ISSUED,
        CouponState.ISSUED,
    ]
    for state in CouponState:
        listed = await _all(uow, org_id, SeriesCouponsQuery(series.id, state=state))
        assert [v.coupon.id for v in listed] == [
            v.coupon.id for v in every if state_of(v.coupon, NOW) is state
        ]
    journeys = await _all(uow, org_id, SeriesCouponsQuery(series.id, source_type="Journeys"))
    by_block = await _all(uow, org_id, SeriesCouponsQuery(series.id, source_id="block-7"))
    purchases = await _all(uow, org_id, SeriesCouponsQuery(series.id, source_activity="Purchase"))
    recent = await _all(
        uow,
        org_id,
        SeriesCouponsQuery(
            series.id, issued_after=NOW - timedelta(days=2), issued_before=NOW, source_type="POS"
        ),
    )
    assert [v.coupon.id for v in journeys] == [v.coupon.id for v in by_block]
    assert [v.coupon.id for v in journeys] == [v.coupon.id for v in every[2:5]]
    assert [v.coupon.id for v in purchases] == [v.coupon.id for v in every[:2] + every[5:]]
    assert recent == []
    assert {v.coupon.metadata for v in journeys} == {JOURNEY}


async def test_a_page_token_or_series_from_elsewhere_is_refused(
    uow: SqlUnitOfWork, org_id: int
) -> None:
    with pytest.raises(NotFound) as unknown:
        await list_series_coupons(uow, org_id, SeriesCouponsQuery(2**63 - 1))
    with pytest.raises(InvalidRequest) as bad_token:
        await list_series_coupons(uow, org_id, SeriesCouponsQuery(1, page_token="YWZ0ZXI6MQ=="))
    with pytest.raises(InvalidRequest) as long_source:
        await list_series_coupons(uow, org_id, SeriesCouponsQuery(1, source_id="x" * 51))
    assert unknown.value.code is ErrorCode.SERIES_INVALID
    assert (bad_token.value.field, long_source.value.field) == ("pageToken", "sourceId")


_FILTERS = {
    "none": CouponFilter(at=NOW, uses_allowed=1),
    "time range": CouponFilter(
        at=NOW, uses_allowed=1, issued_after=NOW - timedelta(days=9), issued_before=NOW
    ),
    "sourceId": CouponFilter(at=NOW, uses_allowed=1, source_id="block-7", source_type="Journeys"),
    "revoked": CouponFilter(at=NOW, uses_allowed=1, state=CouponState.REVOKED),
    "issued": CouponFilter(at=NOW, uses_allowed=1, state=CouponState.ISSUED),
}

# The sourceId index holds only coupons issued with a sourceId (a partial index).
_EXPECTED_INDEX = {"sourceId": "ix_coupons_org_id_series_id_source_id_issued_at_id_sourced"}


@pytest.mark.parametrize("name", list(_FILTERS))
async def test_each_filter_reads_an_index_in_page_order(uow: SqlUnitOfWork, name: str) -> None:
    query = _series_page(1, 2, _FILTERS[name], (NOW - timedelta(days=1), 5), 101)
    sql = str(query.compile(uow.engine, compile_kwargs={"literal_binds": True}))
    async with uow.engine.begin() as connection:
        if uow.engine.dialect.name == "sqlite":
            rows = await connection.execute(text(f"EXPLAIN QUERY PLAN {sql}"))
            plan = " / ".join(str(row[-1]) for row in rows)
            assert "TEMP B-TREE" not in plan, plan
            assert _EXPECTED_INDEX.get(name, "ix_coupons_org_id_series_id") in plan, plan
        else:
            # On a test database's few rows a scan is cheapest; what matters is that an index
            # can answer in page order, as it must on millions.
            await connection.execute(text("SET LOCAL enable_seqscan = off"))
            rows = await connection.execute(text(f"EXPLAIN {sql}"))
            plan = " / ".join(str(row[0]) for row in rows)
            assert "Sort" not in plan, plan
            assert _EXPECTED_INDEX.get(name, "ix_coupons_org_id_series_id") in plan, plan
