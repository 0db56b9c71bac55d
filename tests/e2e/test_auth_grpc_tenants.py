"""Access on the gRPC door of the real service, the tenant matrix: org A cannot tell org B's ids
from ids that exist nowhere, lists only its own series, and may use B's ids as its own."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from google.protobuf.message import Message

from coupon.v1 import coupon_service_pb2, customer_service_pb2, series_service_pb2
from coupon_service.app import RunningService
from tests.e2e.helpers.auth import EVERY_RPC, Stubs, observed
from tests.e2e.helpers.demo import DEMO_AUTHORIZATION, DEMO_CUSTOMER_ID, DEMO_MOBILE
from tests.e2e.helpers.org_b import (
    B_CUSTOMER,
    B_DESCRIPTION,
    B_SERIES,
    IDENTIFIERS,
    NOWHERE_CUSTOMER,
    NOWHERE_SERIES,
    OrgB,
    create_org_b,
    identifier,
    org_b_state,
    same_when_ids_are_hidden,
)


@pytest.fixture
async def org_b(service: RunningService) -> OrgB:
    return await create_org_b(service)


# --- the tenant matrix ------------------------------------------------------------------------


def _series_cases() -> dict[str, tuple[str, Callable[[int], Message]]]:
    demo = {"mobile": DEMO_MOBILE}
    return {
        "GetSeries": ("GetSeries", lambda sid: series_service_pb2.GetSeriesRequest(series_id=sid)),
        "UploadCodes": (
            "UploadCodes",
            lambda sid: series_service_pb2.UploadCodesRequest(series_id=sid, codes=["A-ONLY-1"]),
        ),
        "IssueMultiple seriesId": (
            "IssueMultiple",
            lambda sid: coupon_service_pb2.IssueMultipleRequest(
                seriesId=sid, count=1, customer=demo
            ),
        ),
        "IssueMultiple seriesIds": (
            "IssueMultiple",
            lambda sid: coupon_service_pb2.IssueMultipleRequest(
                seriesIds=[sid], count=1, customer=demo
            ),
        ),
        "BulkIssue": (
            "BulkIssue",
            lambda sid: coupon_service_pb2.BulkIssueRequest(seriesIds=[sid], customer=demo),
        ),
        "ListCustomerCoupons series filter": (
            "ListCustomerCoupons",
            lambda sid: customer_service_pb2.ListCustomerCouponsRequest(
                customer=demo, series_id=sid
            ),
        ),
    }


def _customer_cases() -> dict[str, tuple[str, Callable[[customer_service_pb2.Customer], Message]]]:
    cases: dict[str, tuple[str, Callable[[customer_service_pb2.Customer], Message]]] = {
        "UpdateCustomer": (
            "UpdateCustomer",
            lambda c: customer_service_pb2.UpdateCustomerRequest(
                customer_id=c.id, first_name="Mallory"
            ),
        ),
    }
    for kind in IDENTIFIERS:
        cases[f"IssueMultiple customer {kind}"] = (
            "IssueMultiple",
            lambda c, kind=kind: coupon_service_pb2.IssueMultipleRequest(
                seriesId=415446, count=1, customer=identifier(c, kind)
            ),
        )
        cases[f"BulkIssue customer {kind}"] = (
            "BulkIssue",
            lambda c, kind=kind: coupon_service_pb2.BulkIssueRequest(
                seriesIds=[415446], customer=identifier(c, kind)
            ),
        )
        cases[f"GetCustomer {kind}"] = (
            "GetCustomer",
            lambda c, kind=kind: customer_service_pb2.GetCustomerRequest(
                customer=identifier(c, kind)
            ),
        )
        cases[f"ListCustomerCoupons {kind}"] = (
            "ListCustomerCoupons",
            lambda c, kind=kind: customer_service_pb2.ListCustomerCouponsRequest(
                customer=identifier(c, kind)
            ),
        )
    return cases


async def test_org_a_cannot_tell_org_b_ids_from_ids_that_exist_nowhere(
    service: RunningService, stubs: Stubs, org_b: OrgB
) -> None:
    before = await org_b_state(service, org_b)
    answers: dict[str, tuple[str, str]] = {}
    for name, (rpc, series_request) in _series_cases().items():
        answers[name] = (
            await observed(stubs.call(rpc, series_request(B_SERIES), DEMO_AUTHORIZATION)),
            await observed(stubs.call(rpc, series_request(NOWHERE_SERIES), DEMO_AUTHORIZATION)),
        )
    for name, (rpc, customer_request) in _customer_cases().items():
        answers[name] = (
            await observed(stubs.call(rpc, customer_request(B_CUSTOMER), DEMO_AUTHORIZATION)),
            await observed(stubs.call(rpc, customer_request(NOWHERE_CUSTOMER), DEMO_AUTHORIZATION)),
        )

    different = {
        name: pair
        for name, pair in answers.items()
        if same_when_ids_are_hidden(pair[0]) != same_when_ids_are_hidden(pair[1])
    }
    assert different == {}
    # The answers themselves: not found, or (BulkIssue, a filter) a per-series error or nothing.
    for name, (with_b_id, _) in answers.items():
        if name in ("BulkIssue", "ListCustomerCoupons series filter"):
            assert with_b_id.startswith("OK ") and "ORG-B" not in with_b_id, name
        else:
            assert with_b_id.startswith("NOT_FOUND "), (name, with_b_id)
    assert '"code": 707' in answers["BulkIssue"][0]
    assert await org_b_state(service, org_b) == before


async def test_org_a_lists_only_its_own_series_and_may_use_org_b_ids_as_its_own(
    service: RunningService, stubs: Stubs, org_b: OrgB
) -> None:
    before = await org_b_state(service, org_b)
    listed = await stubs.call(
        "ListSeries", series_service_pb2.ListSeriesRequest(page_size=100), DEMO_AUTHORIZATION
    )
    assert listed.next_page_token == ""
    assert B_SERIES not in {series.id for series in listed.series}
    assert B_DESCRIPTION not in {series.description for series in listed.series}

    for series_id in (B_SERIES, NOWHERE_SERIES):
        request = series_service_pb2.CreateSeriesRequest(
            series=series_service_pb2.Series(id=series_id, description="org A's own")
        )
        created = await stubs.call("CreateSeries", request, DEMO_AUTHORIZATION)
        assert (created.id, created.description) == (series_id, "org A's own")
        assert (created.num_issued, created.num_uploaded_total) == (0, 0)
    a_customer = customer_service_pb2.Customer(id=B_CUSTOMER.id, mobile=B_CUSTOMER.mobile)
    made = await stubs.call(
        "CreateCustomer",
        customer_service_pb2.CreateCustomerRequest(customer=a_customer),
        DEMO_AUTHORIZATION,
    )

    assert (made.id, made.first_name) == (B_CUSTOMER.id, "")
    mine = await stubs.call(
        "GetSeries", series_service_pb2.GetSeriesRequest(series_id=B_SERIES), DEMO_AUTHORIZATION
    )
    assert mine.description == "org A's own"
    # B's request id is as fresh for A as one nobody used: no replay of B's answer, no 629.
    for request_id in ("org-b-1", "org-b-1", "nowhere-1"):
        issue = coupon_service_pb2.IssueMultipleRequest(
            seriesId=415446, count=1, customer={"mobile": DEMO_MOBILE}, requestId=request_id
        )
        answer = await stubs.call("IssueMultiple", issue, DEMO_AUTHORIZATION)
        assert answer.successCount == 1 and answer.customer.id == DEMO_CUSTOMER_ID
        assert answer.coupons[0].code.isdigit() and answer.couponConfig.id == 415446
    coupons = await stubs.call(
        "ListCustomerCoupons", EVERY_RPC["ListCustomerCoupons"], DEMO_AUTHORIZATION
    )
    assert sorted(coupon.request_id for coupon in coupons.coupons) == ["nowhere-1", "org-b-1"]
    assert await org_b_state(service, org_b) == before
