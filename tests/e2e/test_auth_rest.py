"""Access on the REST door of the real service: 401 with a challenge, 403, the documented
envelope, revocation, bearer tokens, and org B's ids looking like ids that exist nowhere."""

from __future__ import annotations

import json
import logging
import pathlib
from collections.abc import AsyncIterator
from typing import Any

import grpc
import httpx
import pytest

from coupon.v1 import common_pb2, customer_service_pb2, customer_service_pb2_grpc
from coupon_service.app import RunningService
from coupon_service.domain.credentials import BAD_KEY, MISSING_CREDENTIALS, Scope
from coupon_service.service.auth import revoke_key
from tests.e2e.helpers.auth import BAD_CREDENTIALS, assert_not_revealed, new_key
from tests.e2e.helpers.bearer_tokens import forged_tokens, hs256_token, jwt_service, rs256_token
from tests.e2e.helpers.demo import DEMO_AUTHORIZATION, DEMO_MOBILE
from tests.e2e.helpers.org_b import (
    B_CUSTOMER,
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
from tests.e2e.helpers.rest import assert_envelope, curl
from tests.revocation import seconds_until_refused

ISSUE = "/v2/coupon/issue/multiple"
BULK = "/v2/coupon/bulk/issue"
GOOD = {
    ISSUE: {"seriesId": 415446, "count": 1, "customer": {"mobile": DEMO_MOBILE}},
    BULK: {"seriesIds": [415446, 535521], "customer": {"mobile": DEMO_MOBILE}},
}


@pytest.fixture
async def anonymous(service: RunningService) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client that sends no credentials of its own."""
    base_url = f"http://127.0.0.1:{service.http_port}"
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        yield client


async def post(
    client: httpx.AsyncClient, path: str, body: object, *authorization: str
) -> httpx.Response:
    headers = [("Content-Type", "application/json")]
    headers += [("Authorization", value) for value in authorization]
    return await client.post(path, content=json.dumps(body), headers=headers)


def assert_refused(response: httpx.Response, status: int) -> dict[str, Any]:
    """The documented envelope with the HTTP status as its code; a challenge on every 401."""
    error = assert_envelope(response, status, status)
    if status == 401:
        challenge = response.headers["www-authenticate"]
        assert 'Basic realm="coupon-service"' in challenge and "Bearer" in challenge
    return error


async def demo_coupons(service: RunningService) -> int:
    """How many coupons the demo customer holds, asked over gRPC with the demo key."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.grpc_port}") as channel:
        listed = await customer_service_pb2_grpc.CustomerServiceStub(channel).ListCustomerCoupons(
            customer_service_pb2.ListCustomerCouponsRequest(
                customer=common_pb2.CustomerRef(mobile=DEMO_MOBILE), page_size=100
            ),
            metadata=(("authorization", DEMO_AUTHORIZATION),),
            timeout=10,
        )
    return len(listed.coupons)


# --- who may call -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", [ISSUE, BULK])
async def test_both_routes_without_credentials_are_401_with_a_challenge(
    service: RunningService, anonymous: httpx.AsyncClient, path: str
) -> None:
    good = await post(anonymous, path, GOOD[path])
    # Credentials are checked first: a body that is wrong in every way is still a 401.
    bad = await anonymous.post(path, content=b"{", headers={"Content-Type": "text/plain"})

    error = assert_refused(good, 401)
    assert error["message"] == MISSING_CREDENTIALS
    assert assert_refused(bad, 401) == error
    assert await demo_coupons(service) == 0


async def test_openapi_answers_without_credentials(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/openapi.json")

    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.1")


@pytest.mark.parametrize("case", list(BAD_CREDENTIALS))
async def test_bad_credentials_are_401(
    anonymous: httpx.AsyncClient, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        response = await post(anonymous, ISSUE, GOOD[ISSUE], *BAD_CREDENTIALS[case])

    assert_refused(response, 401)
    assert_not_revealed(BAD_CREDENTIALS[case], response.text, caplog.text)


async def test_wrong_secret_unknown_key_and_revoked_key_get_the_same_answer(
    service: RunningService, anonymous: httpx.AsyncClient
) -> None:
    revoked = await new_key(service, Scope.ISSUE)
    await revoke_key(service.uow, revoked.key.key_id)
    values = [
        *BAD_CREDENTIALS["wrong-secret"],
        *BAD_CREDENTIALS["unknown-key"],
        revoked.authorization,
    ]

    answers = [await post(anonymous, ISSUE, GOOD[ISSUE], value) for value in values]

    assert {(a.status_code, a.text, a.headers["www-authenticate"]) for a in answers} == {
        (401, answers[0].text, answers[0].headers["www-authenticate"])
    }
    assert assert_refused(answers[0], 401)["message"] == BAD_KEY


async def test_an_issue_key_issues_on_both_routes_until_its_revocation_arrives(
    service: RunningService, anonymous: httpx.AsyncClient
) -> None:
    key = await new_key(service, Scope.ISSUE)

    issued = await post(anonymous, ISSUE, GOOD[ISSUE], key.authorization)
    bulk = await post(anonymous, BULK, GOOD[BULK], key.authorization)
    await revoke_key(service.uow, key.key.key_id)
    issued_meanwhile = 0  # Within the second the revocation may take, calls still issue.

    async def is_refused() -> bool:
        nonlocal issued_meanwhile
        response = await post(anonymous, ISSUE, GOOD[ISSUE], key.authorization)
        assert response.status_code in (200, 401), response.text
        issued_meanwhile += response.status_code == 200
        return response.status_code == 401

    await seconds_until_refused(is_refused)
    refused = [await post(anonymous, path, GOOD[path], key.authorization) for path in GOOD]

    assert issued.status_code == 200 and issued.json()["successCount"] == 1
    assert bulk.status_code == 200 and bulk.json()["failureCount"] == 0
    for response in refused:
        assert assert_refused(response, 401)["message"] == BAD_KEY
    # A refused call issued nothing.
    assert await demo_coupons(service) == 3 + issued_meanwhile


async def test_curl_with_the_demo_key(service: RunningService) -> None:
    # The README's commands: curl -u demo:demo-secret -H 'Content-Type: application/json' -d ...
    url = f"http://127.0.0.1:{service.http_port}{ISSUE}"
    body = json.dumps(GOOD[ISSUE])
    json_type = "Content-Type: application/json"

    status, answer = await curl("-u", "demo:demo-secret", "-H", json_type, "-d", body, url)
    wrong, refused = await curl("-u", "demo:wrong", "-H", json_type, "-d", body, url)
    without, missing = await curl("-H", json_type, "-d", body, url)

    assert status == 200 and answer["successCount"] == 1
    assert (wrong, refused["errors"][0]["message"]) == (401, BAD_KEY)
    assert (without, missing["errors"][0]["message"]) == (401, MISSING_CREDENTIALS)


# --- the tenant matrix ------------------------------------------------------------------------


def _bodies() -> dict[str, tuple[str, Any]]:
    """Per case: the route, and the body naming B's id or the nowhere one."""
    demo = {"mobile": DEMO_MOBILE}
    cases: dict[str, tuple[str, Any]] = {
        "issue seriesId": (ISSUE, lambda ids: {"seriesId": ids[0], "count": 1, "customer": demo}),
        "issue seriesId list": (ISSUE, lambda ids: {"seriesId": [ids[0]], "customer": demo}),
        "bulk seriesIds": (BULK, lambda ids: {"seriesIds": [ids[0]], "customer": demo}),
    }
    for kind in IDENTIFIERS:
        cases[f"issue customer {kind}"] = (
            ISSUE,
            lambda ids, kind=kind: {"seriesId": 415446, "customer": identifier(ids[1], kind)},
        )
        cases[f"bulk customer {kind}"] = (
            BULK,
            lambda ids, kind=kind: {"seriesIds": [415446], "customer": identifier(ids[1], kind)},
        )
    return cases


async def test_org_a_cannot_tell_org_b_ids_from_ids_that_exist_nowhere(
    service: RunningService, http: httpx.AsyncClient
) -> None:
    org_b: OrgB = await create_org_b(service)
    before = await org_b_state(service, org_b)

    answers: dict[str, tuple[httpx.Response, httpx.Response]] = {}
    for name, (path, body) in _bodies().items():
        answers[name] = (
            await http.post(path, json=body((B_SERIES, B_CUSTOMER))),
            await http.post(path, json=body((NOWHERE_SERIES, NOWHERE_CUSTOMER))),
        )

    def seen(response: httpx.Response) -> tuple[int, str, str]:
        content_type = response.headers["content-type"]
        return response.status_code, content_type, same_when_ids_are_hidden(response.text)

    different = {
        name: (seen(with_b), seen(nowhere))
        for name, (with_b, nowhere) in answers.items()
        if seen(with_b) != seen(nowhere)
    }
    assert different == {}
    for name, (with_b, _) in answers.items():
        if name == "bulk seriesIds":
            assert with_b.status_code == 200 and with_b.json()["failureCount"] == 1
            assert with_b.json()["response"][0]["errors"][0]["code"] == 707
        else:
            expected = 707 if "series" in name else 701
            assert_envelope(with_b, 404, expected)
    assert await org_b_state(service, org_b) == before
    assert await demo_coupons(service) == 0


# --- bearer tokens ----------------------------------------------------------------------------


@pytest.fixture
async def token_http(
    tmp_path: pathlib.Path, demo_database: pathlib.Path
) -> AsyncIterator[httpx.AsyncClient]:
    """A client without credentials, for a service that also accepts bearer tokens."""
    async with jwt_service(tmp_path, demo_database) as running:
        base_url = f"http://127.0.0.1:{running.http_port}"
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
            yield client


async def test_a_valid_bearer_token_issues_on_both_routes(token_http: httpx.AsyncClient) -> None:
    for token in (hs256_token(), rs256_token()):
        for path, body in GOOD.items():
            response = await post(token_http, path, body, f"Bearer {token}")
            assert response.status_code == 200, response.text
            assert response.json()["failureCount"] == 0


async def test_forged_expired_and_misdirected_tokens_are_401(
    token_http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    tokens = forged_tokens()

    with caplog.at_level(logging.INFO):
        answers = {
            case: await post(token_http, ISSUE, GOOD[ISSUE], f"Bearer {token}")
            for case, token in tokens.items()
        }

    assert {case: r.status_code for case, r in answers.items()} == dict.fromkeys(tokens, 401)
    for response in answers.values():
        assert_refused(response, 401)
    for token in tokens.values():
        assert token not in caplog.text
        assert all(len(part) < 8 or part not in caplog.text for part in token.split("."))


async def test_a_token_without_the_coupons_scope_is_403(token_http: httpx.AsyncClient) -> None:
    token = hs256_token(scope="openid profile")

    answers = [await post(token_http, path, GOOD[path], f"Bearer {token}") for path in GOOD]

    for response in answers:
        error = assert_refused(response, 403)
        assert "issue" in error["message"]
