"""Access on the gRPC door of the real service, bearer tokens: a valid HS256 or RS256 token
issues for its org with its scope; forged, expired and misdirected ones are UNAUTHENTICATED and
never logged."""

from __future__ import annotations

import logging
import pathlib
from collections.abc import AsyncIterator

import grpc
import pytest

from coupon_service.app import RunningService
from tests.e2e.helpers.auth import EVERY_RPC, bare_stubs
from tests.e2e.helpers.bearer_tokens import forged_tokens, hs256_token, jwt_service, rs256_token
from tests.e2e.helpers.demo import DEMO_AUTHORIZATION, DEMO_CUSTOMER_ID
from tests.e2e.helpers.grpc_calls import rich_failure

# --- bearer tokens ----------------------------------------------------------------------------


@pytest.fixture
async def token_service(
    tmp_path: pathlib.Path, demo_database: pathlib.Path
) -> AsyncIterator[RunningService]:
    async with jwt_service(tmp_path, demo_database) as running:
        yield running


async def test_a_valid_bearer_token_issues_for_its_org_with_its_scope(
    token_service: RunningService,
) -> None:
    async with bare_stubs(token_service) as stubs:
        for token in (hs256_token(), rs256_token()):
            bearer = f"Bearer {token}"
            issued = await stubs.call("IssueMultiple", EVERY_RPC["IssueMultiple"], bearer)
            refused = await rich_failure(
                stubs.call("CreateSeries", EVERY_RPC["CreateSeries"], bearer)
            )
            assert issued.successCount == 1 and issued.customer.id == DEMO_CUSTOMER_ID
            assert refused.status is grpc.StatusCode.PERMISSION_DENIED
        manage = f"Bearer {hs256_token(scope='coupons:issue coupons:manage')}"
        assert (await stubs.call("CreateSeries", EVERY_RPC["CreateSeries"], manage)).id > 0
        # Basic keys keep working beside tokens.
        assert (await stubs.call("ListSeries", EVERY_RPC["ListSeries"], DEMO_AUTHORIZATION)).series


async def test_forged_expired_and_misdirected_tokens_are_unauthenticated(
    token_service: RunningService, caplog: pytest.LogCaptureFixture
) -> None:
    tokens = forged_tokens()
    async with bare_stubs(token_service) as stubs:
        with caplog.at_level(logging.INFO):
            refusals = {
                case: await rich_failure(
                    stubs.call("IssueMultiple", EVERY_RPC["IssueMultiple"], f"Bearer {token}")
                )
                for case, token in tokens.items()
            }
        unscoped = await rich_failure(
            stubs.call(
                "IssueMultiple", EVERY_RPC["IssueMultiple"], f"Bearer {hs256_token(scope='openid')}"
            )
        )

    assert {case: r.status for case, r in refusals.items()} == dict.fromkeys(
        tokens, grpc.StatusCode.UNAUTHENTICATED
    )
    assert {r.info.reason for r in refusals.values()} == {"UNAUTHENTICATED"}
    assert unscoped.status is grpc.StatusCode.PERMISSION_DENIED
    for token in tokens.values():
        assert token not in caplog.text
        assert all(len(part) < 8 or part not in caplog.text for part in token.split("."))
