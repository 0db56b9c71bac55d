"""IssueMultiple of several series in one call over a real channel: `count` coupons from each,
one config per series, errors naming their series, and all or nothing for an unknown one."""

from __future__ import annotations

import grpc

from tests.e2e.helpers.demo import DEMO_MOBILE
from tests.e2e.helpers.grpc_calls import (
    assert_failure,
    error_entries,
    issue,
    num_issued,
    parse_issue,
    rich_failure,
)

# --- several series in one call ---------------------------------------------------------------


async def test_list_form_issues_count_from_each_series(coupons):
    body = '{"seriesIds": [415446, 535521], "count": 2, "customer": {"mobile": "11223569865"}}'

    response = await coupons.IssueMultiple(parse_issue(body))

    assert [coupon.seriesId for coupon in response.coupons] == [415446, 415446, 535521, 535521]
    assert len({coupon.code for coupon in response.coupons}) == 4
    assert [config.id for config in response.couponConfigs] == [415446, 535521]
    assert response.couponConfig == response.couponConfigs[0]
    assert response.couponConfigs[1].discountValue == 250
    assert (response.totalCount, response.successCount, response.failureCount) == (4, 4, 0)


async def test_list_form_partial_names_the_series_in_each_error(coupons):
    response = await coupons.IssueMultiple(issue([415446, 18426], 2, mobile=DEMO_MOBILE))

    assert [c.seriesId for c in response.coupons] == [415446, 415446, 18426]
    assert (response.totalCount, response.successCount, response.failureCount) == (4, 3, 1)
    assert error_entries(response) == [
        (False, 5004, "Cannot issue more than one GENERIC coupon code.", 18426)
    ]


async def test_list_form_with_an_unknown_series_issues_nothing(coupons, series):
    failure = await rich_failure(
        coupons.IssueMultiple(issue([415446, 999999], 2, mobile=DEMO_MOBILE))
    )

    assert_failure(
        failure, grpc.StatusCode.NOT_FOUND, 707, "SERIES_INVALID", metadata={"seriesId": "999999"}
    )
    assert await num_issued(series, 415446) == 0


async def test_series_id_and_series_ids_together_are_refused(coupons):
    request = issue([415446], 1, mobile=DEMO_MOBILE)
    request.seriesId = 535521

    failure = await rich_failure(coupons.IssueMultiple(request))

    assert_failure(
        failure, grpc.StatusCode.INVALID_ARGUMENT, 629, "INVALID_INPUT", field="seriesIds"
    )
