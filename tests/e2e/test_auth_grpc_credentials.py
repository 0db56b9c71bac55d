"""Access on the gRPC door of the real service: who may call, with which scope. No credentials,
bad ones and a revoked key are UNAUTHENTICATED alike; an issue key may not manage; health and
reflection answer without credentials."""

from __future__ import annotations

import json
import logging

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from coupon.v1 import coupon_service_pb2, customer_service_pb2
from coupon_service.app import RunningService
from coupon_service.domain.credentials import BAD_KEY, MISSING_CREDENTIALS, Scope
from coupon_service.service.auth import revoke_key
from tests.e2e.helpers.auth import (
    BAD_CREDENTIALS,
    EVERY_RPC,
    Stubs,
    assert_not_revealed,
    b64,
    new_key,
    observed,
)
from tests.e2e.helpers.demo import DEMO_AUTHORIZATION, DEMO_CUSTOMER_ID, POOL_SERIES
from tests.e2e.helpers.grpc_calls import rich_failure
from tests.e2e.helpers.grpcurl import SERVICES, grpcurl
from tests.revocation import seconds_until_refused

ISSUE_SCOPE_RPCS = {
    "IssueMultiple",
    "BulkIssue",
    "GetSeries",
    "ListSeries",
    "GetCustomer",
    "ListCustomerCoupons",
}
MANAGE_ONLY_RPCS = set(EVERY_RPC) - ISSUE_SCOPE_RPCS


async def assert_nothing_managed(stubs: Stubs) -> None:
    """None of EVERY_RPC's management calls took effect in the demo org."""
    pool = await stubs.call("GetSeries", EVERY_RPC["GetSeries"], DEMO_AUTHORIZATION)
    assert pool.num_uploaded_total == 100
    demo = await stubs.call(
        "GetCustomer",
        customer_service_pb2.GetCustomerRequest(customer={"id": DEMO_CUSTOMER_ID}),
        DEMO_AUTHORIZATION,
    )
    assert demo.first_name == "Abijith"
    created = await rich_failure(
        stubs.call(
            "GetCustomer",
            customer_service_pb2.GetCustomerRequest(customer={"mobile": "447700900123"}),
            DEMO_AUTHORIZATION,
        )
    )
    assert created.status is grpc.StatusCode.NOT_FOUND
    listed = await stubs.call("ListSeries", EVERY_RPC["ListSeries"], DEMO_AUTHORIZATION)
    assert "created by an auth test" not in {series.description for series in listed.series}


# --- who may call -----------------------------------------------------------------------------


@pytest.mark.parametrize("rpc", list(EVERY_RPC))
async def test_every_rpc_without_credentials_is_unauthenticated(stubs: Stubs, rpc: str) -> None:
    refused = await rich_failure(stubs.call(rpc, EVERY_RPC[rpc]))

    assert refused.status is grpc.StatusCode.UNAUTHENTICATED
    assert refused.message == MISSING_CREDENTIALS
    assert (refused.info.reason, refused.info.domain) == ("UNAUTHENTICATED", "coupon.v1")
    assert refused.detail is None  # No documented coupon error code exists for it.
    await assert_nothing_managed(stubs)


async def test_a_bad_request_without_credentials_is_unauthenticated_not_invalid(
    stubs: Stubs,
) -> None:
    refused = await rich_failure(
        stubs.call("IssueMultiple", coupon_service_pb2.IssueMultipleRequest(count=-5))
    )

    assert refused.status is grpc.StatusCode.UNAUTHENTICATED


async def test_health_answers_without_credentials(service: RunningService) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.grpc_port}") as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for name in ("", *SERVICES):
            answer = await health.Check(health_pb2.HealthCheckRequest(service=name), timeout=5)
            assert answer.status == health_pb2.HealthCheckResponse.SERVING, name
        watch = health.Watch(health_pb2.HealthCheckRequest(service=""))
        first = await watch.read()
        watch.cancel()
    assert first.status == health_pb2.HealthCheckResponse.SERVING


async def test_grpcurl_lists_describes_and_checks_health_without_credentials(
    service: RunningService,
) -> None:
    target = f"127.0.0.1:{service.grpc_port}"

    listed = await grpcurl("-plaintext", target, "list")
    described = await grpcurl("-plaintext", target, "describe", "coupon.v1.SeriesService")
    health = await grpcurl("-plaintext", target, "grpc.health.v1.Health/Check")
    refused = await grpcurl(
        "-plaintext", "-d", '{"seriesId": 415446}', target, "coupon.v1.CouponService/IssueMultiple"
    )

    assert listed[0] == 0, listed[2]
    assert {*SERVICES, "grpc.health.v1.Health"} <= set(listed[1].split())
    assert described[0] == 0 and "rpc CreateSeries" in described[1], described[2]
    assert health[0] == 0 and json.loads(health[1]) == {"status": "SERVING"}, health[2]
    assert refused[0] == 64 + grpc.StatusCode.UNAUTHENTICATED.value[0], refused
    assert "Code: Unauthenticated" in refused[2] and MISSING_CREDENTIALS in refused[2]


async def test_grpcurl_with_the_demo_key_issues(service: RunningService) -> None:
    # The README's command: grpcurl -plaintext -H "authorization: Basic $(printf demo:demo-secret
    # | base64)" -d '{...}' 127.0.0.1:50051 coupon.v1.CouponService/IssueMultiple
    header = "authorization: Basic " + b64("demo:demo-secret")
    body = '{"seriesId": 415446, "count": 2, "customer": {"mobile": "11223569865"}}'

    returncode, out, err = await grpcurl(
        "-plaintext",
        "-H",
        header,
        "-d",
        body,
        f"127.0.0.1:{service.grpc_port}",
        "coupon.v1.CouponService/IssueMultiple",
    )

    assert returncode == 0, err
    assert json.loads(out)["successCount"] == 2


@pytest.mark.parametrize("case", list(BAD_CREDENTIALS))
async def test_bad_credentials_are_unauthenticated(
    stubs: Stubs, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        refused = await rich_failure(
            stubs.call("ListSeries", EVERY_RPC["ListSeries"], *BAD_CREDENTIALS[case])
        )

    assert refused.status is grpc.StatusCode.UNAUTHENTICATED
    assert refused.info.reason == "UNAUTHENTICATED" and refused.detail is None
    assert_not_revealed(BAD_CREDENTIALS[case], refused.message, caplog.text)


async def test_wrong_secret_unknown_key_and_revoked_key_get_the_same_answer(
    service: RunningService, stubs: Stubs
) -> None:
    revoked = await new_key(service, Scope.MANAGE)
    await revoke_key(service.uow, revoked.key.key_id)
    request = EVERY_RPC["GetSeries"]

    answers = [
        await rich_failure(stubs.call("GetSeries", request, value))
        for value in (
            BAD_CREDENTIALS["wrong-secret"][0],
            BAD_CREDENTIALS["unknown-key"][0],
            revoked.authorization,
        )
    ]

    assert {(a.status, a.message, a.info.reason) for a in answers} == {
        (grpc.StatusCode.UNAUTHENTICATED, BAD_KEY, "UNAUTHENTICATED")
    }


async def test_the_scheme_name_is_case_insensitive(stubs: Stubs) -> None:
    answer = await stubs.call(
        "GetSeries", EVERY_RPC["GetSeries"], "basic " + b64("demo:demo-secret")
    )

    assert answer.id == POOL_SERIES


async def test_an_issue_key_issues_and_reads_but_may_not_manage(
    service: RunningService, stubs: Stubs
) -> None:
    key = await new_key(service, Scope.ISSUE)

    for rpc in ISSUE_SCOPE_RPCS:
        outcome = await observed(stubs.call(rpc, EVERY_RPC[rpc], key.authorization))
        assert outcome.startswith("OK "), (rpc, outcome)
    for rpc in MANAGE_ONLY_RPCS:
        refused = await rich_failure(stubs.call(rpc, EVERY_RPC[rpc], key.authorization))
        assert refused.status is grpc.StatusCode.PERMISSION_DENIED, rpc
        assert refused.info.reason == "PERMISSION_DENIED" and refused.detail is None
        assert dict(refused.info.metadata) == {"requiredScope": "manage"}
    await assert_nothing_managed(stubs)
    # The same calls with a manage key all go through.
    manage = await new_key(service, Scope.MANAGE)
    for rpc in MANAGE_ONLY_RPCS:
        assert (await observed(stubs.call(rpc, EVERY_RPC[rpc], manage.authorization))).startswith(
            "OK "
        ), rpc


async def test_a_key_acts_from_its_first_call_and_is_refused_within_a_second_of_revoking(
    service: RunningService, stubs: Stubs
) -> None:
    key = await new_key(service, Scope.ISSUE)
    issue = EVERY_RPC["IssueMultiple"]
    assert (await stubs.call("IssueMultiple", issue, key.authorization)).successCount == 1

    await revoke_key(service.uow, key.key.key_id)

    async def is_refused() -> bool:
        outcome = await observed(stubs.call("IssueMultiple", issue, key.authorization))
        assert outcome.startswith(("OK ", "UNAUTHENTICATED ")), outcome
        return outcome.startswith("UNAUTHENTICATED ")

    await seconds_until_refused(is_refused)
    refused = await rich_failure(stubs.call("IssueMultiple", issue, key.authorization))
    assert (refused.status, refused.message) == (grpc.StatusCode.UNAUTHENTICATED, BAD_KEY)
    # Other keys of the org are untouched.
    assert (await stubs.call("IssueMultiple", issue, DEMO_AUTHORIZATION)).successCount == 1
