"""Issue 4 on the gRPC door of the real service: who may call, with which scope, for which org.

Also the helpers the REST and CLI auth suites share: credentials, bearer tokens, a service that
accepts them, and org B, whose ids org A must not be able to tell from ids that exist nowhere.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import logging
import pathlib
import shutil
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import grpc
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.protobuf import json_format
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status
from jwt.algorithms import RSAAlgorithm

from coupon.v1 import (
    common_pb2,
    coupon_service_pb2,
    coupon_service_pb2_grpc,
    customer_service_pb2,
    customer_service_pb2_grpc,
    series_service_pb2,
    series_service_pb2_grpc,
)
from coupon_service.app import RunningService, start
from coupon_service.config import Settings
from coupon_service.domain.credentials import BAD_KEY, MISSING_CREDENTIALS, Scope
from coupon_service.service.auth import NewKey, create_key, create_org, revoke_key
from tests.e2e.conftest import DEMO_AUTHORIZATION
from tests.e2e.test_grpc_issue_multiple import rich_failure
from tests.e2e.test_grpc_operations import SERVICES, grpcurl
from tests.revocation import seconds_until_refused

DEMO_SECRET = "demo-secret"
DEMO_MOBILE = "11223569865"
DEMO_CUSTOMER_ID = 555567088
POOL_SERIES = 700001  # The demo's uploaded pool: 100 codes.


# --- credentials ------------------------------------------------------------------------------


def basic(key_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key_id}:{secret}".encode()).decode()


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# Every one must be refused, the same way, on both doors. The secret "demo-secret" (or the wrong
# one) appears in several of them and must never come back in an answer or a log line.
BAD_CREDENTIALS: dict[str, list[str]] = {
    "wrong-secret": [basic("demo", "not-the-demo-secret")],
    "unknown-key": [basic("ck_nobody_at_all", DEMO_SECRET)],
    "malformed-no-colon": ["Basic " + b64("demo" + DEMO_SECRET)],
    "malformed-empty-secret": ["Basic " + b64("demo:")],
    "malformed-not-base64": ["Basic demo:" + DEMO_SECRET],
    "malformed-not-utf8": ["Basic " + base64.b64encode(b"demo:\xff\xfe").decode()],
    "basic-without-credentials": ["Basic"],
    "two-authorization-values": [DEMO_AUTHORIZATION, DEMO_AUTHORIZATION],
    "bearer-garbage": ["Bearer garbage"],
    "other-scheme": ["Digest username=demo"],
    "secret-without-scheme": [b64("demo:" + DEMO_SECRET)],
}
SECRETS_IN_BAD_CREDENTIALS = (DEMO_SECRET, "not-the-demo-secret")


def assert_not_revealed(values: list[str], *texts: str) -> None:
    """Neither a secret nor the credentials part of a header value is in any of `texts`."""
    credentials = [value.split()[-1] for value in values if len(value.split()[-1]) >= 8]
    for text in texts:
        for revealing in (*SECRETS_IN_BAD_CREDENTIALS, *credentials):
            assert revealing not in text


def metadata(*values: str) -> tuple[tuple[str, str], ...]:
    return tuple(("authorization", value) for value in values)


@dataclasses.dataclass
class Stubs:
    coupons: coupon_service_pb2_grpc.CouponServiceStub
    series: series_service_pb2_grpc.SeriesServiceStub
    customers: customer_service_pb2_grpc.CustomerServiceStub

    @classmethod
    def on(cls, channel: grpc.aio.Channel) -> Stubs:
        return cls(
            coupon_service_pb2_grpc.CouponServiceStub(channel),
            series_service_pb2_grpc.SeriesServiceStub(channel),
            customer_service_pb2_grpc.CustomerServiceStub(channel),
        )

    def call(self, rpc: str, request: Message, *authorization: str) -> Awaitable[Any]:
        """Calls `rpc` of whichever service has it, with exactly these authorization values."""
        for stub in (self.coupons, self.series, self.customers):
            if hasattr(stub, rpc):
                method = getattr(stub, rpc)
                return method(request, metadata=metadata(*authorization), timeout=10)
        raise AssertionError(f"no stub has {rpc}")


@asynccontextmanager
async def bare_stubs(service: RunningService) -> AsyncIterator[Stubs]:
    """Stubs on a channel that sends no credentials of its own."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.grpc_port}") as channel:
        yield Stubs.on(channel)


@pytest.fixture
async def stubs(service: RunningService) -> AsyncIterator[Stubs]:
    async with bare_stubs(service) as opened:
        yield opened


async def new_key(service: RunningService, scope: Scope, org: str = "demo") -> NewKey:
    return await create_key(service.uow, org, [scope])


# Every RPC of the three services, with a request that succeeds for the demo key.
EVERY_RPC: dict[str, Message] = {
    "IssueMultiple": coupon_service_pb2.IssueMultipleRequest(
        seriesId=415446, count=1, customer={"mobile": DEMO_MOBILE}
    ),
    "BulkIssue": coupon_service_pb2.BulkIssueRequest(
        seriesIds=[415446, 535521], customer={"mobile": DEMO_MOBILE}
    ),
    "GetSeries": series_service_pb2.GetSeriesRequest(series_id=POOL_SERIES),
    "ListSeries": series_service_pb2.ListSeriesRequest(),
    "GetCustomer": customer_service_pb2.GetCustomerRequest(customer={"mobile": DEMO_MOBILE}),
    "ListCustomerCoupons": customer_service_pb2.ListCustomerCouponsRequest(
        customer={"mobile": DEMO_MOBILE}
    ),
    "CreateSeries": series_service_pb2.CreateSeriesRequest(
        series=series_service_pb2.Series(description="created by an auth test")
    ),
    "UploadCodes": series_service_pb2.UploadCodesRequest(
        series_id=POOL_SERIES, codes=["AUTH-TEST-1", "AUTH-TEST-2"]
    ),
    "CreateCustomer": customer_service_pb2.CreateCustomerRequest(
        customer=customer_service_pb2.Customer(mobile="447700900123")
    ),
    "UpdateCustomer": customer_service_pb2.UpdateCustomerRequest(
        customer_id=DEMO_CUSTOMER_ID, first_name="Mallory"
    ),
}
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


# --- bearer tokens ----------------------------------------------------------------------------

JWT_ISSUER = "https://idp.example.test"
JWT_AUDIENCE = "coupon-service"
JWT_SECRET = "e2e-hs256-shared-secret-of-at-least-32-bytes"
RSA_KID = "e2e-rsa-1"
_RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
RSA_PUBLIC_PEM = _RSA_KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)


def claims(**overrides: object) -> dict[str, object]:
    """Valid claims for org demo with the issue scope; an override of None drops the claim."""
    now = int(time.time())
    base: dict[str, object] = {
        "iss": JWT_ISSUER,
        "aud": JWT_AUDIENCE,
        "sub": "checkout-service",
        "org": "demo",
        "scope": "coupons:issue",
        "iat": now,
        "exp": now + 600,
    }
    base.update(overrides)
    return {name: value for name, value in base.items() if value is not None}


def hs256_token(secret: str = JWT_SECRET, **overrides: object) -> str:
    return jwt.encode(claims(**overrides), secret, algorithm="HS256")


def rs256_token(**overrides: object) -> str:
    return jwt.encode(claims(**overrides), _RSA_KEY, algorithm="RS256", headers={"kid": RSA_KID})


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unsigned_token(header: dict[str, object], signature: Callable[[bytes], bytes]) -> str:
    """A token built by hand, as a forger would: any header, any signature."""
    signing_input = (
        f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims()).encode())}"
    )
    return f"{signing_input}.{_b64url(signature(signing_input.encode()))}"


def alg_none_token() -> str:
    return unsigned_token({"alg": "none", "typ": "JWT"}, lambda _: b"")


def hs256_signed_with_rsa_public_key() -> str:
    header = {"alg": "HS256", "typ": "JWT", "kid": RSA_KID}
    return unsigned_token(
        header, lambda data: hmac.new(RSA_PUBLIC_PEM, data, hashlib.sha256).digest()
    )


def forged_tokens() -> dict[str, str]:
    """Tokens that must be refused as UNAUTHENTICATED / 401; made when a test runs (`exp`)."""
    now = int(time.time())
    return {
        "expired": hs256_token(exp=now - 3600, iat=now - 7200),
        "not-yet-valid": hs256_token(nbf=now + 3600),
        "wrong-audience": hs256_token(aud="another-service"),
        "wrong-issuer": hs256_token(iss="https://evil.example.test"),
        "without-exp": hs256_token(exp=None),
        "alg-none": alg_none_token(),
        "wrong-hs256-secret": hs256_token(secret="another-shared-secret-of-32-bytes-or-more"),
        "hs256-signed-with-the-rsa-public-key": hs256_signed_with_rsa_public_key(),
        "unknown-org": hs256_token(org="no-such-org"),
        "garbage": "garbage",
    }


def write_jwks(path: pathlib.Path) -> pathlib.Path:
    jwk = RSAAlgorithm.to_jwk(_RSA_KEY.public_key(), as_dict=True)
    path.write_text(json.dumps({"keys": [{**jwk, "kid": RSA_KID, "alg": "RS256", "use": "sig"}]}))
    return path


@asynccontextmanager
async def jwt_service(
    tmp_path: pathlib.Path, demo_database: pathlib.Path
) -> AsyncIterator[RunningService]:
    """What the `service` fixture starts, accepting HS256 tokens and RS256 ones from a JWKS."""
    database = tmp_path / "jwt.db"
    shutil.copyfile(demo_database, database)
    settings = Settings(
        db_url=f"sqlite+aiosqlite:///{database}",
        grpc_port=0,
        http_port=0,
        metrics_port=0,
        jwt_issuer=JWT_ISSUER,
        jwt_audience=JWT_AUDIENCE,
        jwt_hs256_secret=JWT_SECRET,
        jwt_jwks=str(write_jwks(tmp_path / "jwks.json")),
    )
    running = await start(settings)
    try:
        yield running
    finally:
        await running.stop(0)


# --- org B: the other tenant --------------------------------------------------------------

# Org B's ids, and ids of the same kinds that exist in no org. The demo org (org A) uses none.
B_SERIES, NOWHERE_SERIES = 880013, 990027
B_CUSTOMER = customer_service_pb2.Customer(
    id=8813000013,
    first_name="Bea",
    mobile="447700900813",
    email="bea@org-b.example",
    external_id="org-b-ext-13",
)
NOWHERE_CUSTOMER = customer_service_pb2.Customer(
    id=9927000027,
    mobile="447700900927",
    email="nobody@nowhere.example",
    external_id="nowhere-ext-27",
)
IDENTIFIERS = ("id", "mobile", "email", "externalId")
B_DESCRIPTION = "org B only: never shown to org A"


def identifier(customer: customer_service_pb2.Customer, kind: str) -> dict[str, object]:
    value = {
        "id": customer.id,
        "mobile": customer.mobile,
        "email": customer.email,
        "externalId": customer.external_id,
    }[kind]
    return {kind: value}


def same_when_ids_are_hidden(text: str) -> str:
    """`text` with B's and the nowhere ids replaced: two answers about them then compare."""
    fields = ("id", "mobile", "email", "external_id")
    pairs = [(B_SERIES, NOWHERE_SERIES)]
    pairs += [(getattr(B_CUSTOMER, f), getattr(NOWHERE_CUSTOMER, f)) for f in fields]
    for b_value, nowhere in pairs:
        text = text.replace(str(b_value), "<ID>").replace(str(nowhere), "<ID>")
    return text


@dataclasses.dataclass(frozen=True)
class OrgB:
    key: NewKey


async def create_org_b(service: RunningService) -> OrgB:
    """Org B with a manage key, a pool series with codes, and a customer holding one coupon of
    it: made through the gRPC door with B's own key."""
    await create_org(service.uow, "org-b")
    key = await create_key(service.uow, "org-b", [Scope.MANAGE])
    async with bare_stubs(service) as stubs:
        series = series_service_pb2.Series(
            id=B_SERIES,
            description=B_DESCRIPTION,
            code_source=series_service_pb2.CODE_SOURCE_UPLOADED,
            is_multiple_vouchers_per_user_allowed=True,
        )
        create = series_service_pb2.CreateSeriesRequest(series=series)
        assert (await stubs.call("CreateSeries", create, key.authorization)).id == B_SERIES
        codes = [f"ORG-B-{number}" for number in range(5)]
        upload = series_service_pb2.UploadCodesRequest(series_id=B_SERIES, codes=codes)
        assert (await stubs.call("UploadCodes", upload, key.authorization)).uploaded_count == 5
        new_customer = customer_service_pb2.CreateCustomerRequest(customer=B_CUSTOMER)
        created = await stubs.call("CreateCustomer", new_customer, key.authorization)
        assert created.id == B_CUSTOMER.id
        issue = coupon_service_pb2.IssueMultipleRequest(
            seriesId=B_SERIES, count=1, customer={"id": B_CUSTOMER.id}, requestId="org-b-1"
        )
        assert (await stubs.call("IssueMultiple", issue, key.authorization)).successCount == 1
    return OrgB(key)


async def org_b_state(service: RunningService, org_b: OrgB) -> dict[str, str]:
    """Everything org B can see of its series and customer, as B sees it."""
    async with bare_stubs(service) as stubs:
        customer = common_pb2.CustomerRef(id=B_CUSTOMER.id)
        calls: dict[str, tuple[str, Message]] = {
            "series": ("GetSeries", series_service_pb2.GetSeriesRequest(series_id=B_SERIES)),
            "list": ("ListSeries", series_service_pb2.ListSeriesRequest()),
            "customer": ("GetCustomer", customer_service_pb2.GetCustomerRequest(customer=customer)),
            "coupons": (
                "ListCustomerCoupons",
                customer_service_pb2.ListCustomerCouponsRequest(customer=customer),
            ),
        }
        state = {
            name: json_format.MessageToJson(
                await stubs.call(rpc, request, org_b.key.authorization), sort_keys=True
            )
            for name, (rpc, request) in calls.items()
        }
    series = json.loads(state["series"])
    assert (series["numIssued"], series["numUploadedTotal"], series["numUploadedNonIssued"]) == (
        "1",
        "5",
        "4",
    )
    assert len(json.loads(state["coupons"])["coupons"]) == 1
    return state


@pytest.fixture
async def org_b(service: RunningService) -> OrgB:
    return await create_org_b(service)


async def observed(call: Awaitable[Message]) -> str:
    """What a caller can see of a call's outcome, as text: the answer, or the status with every
    detail it carries."""
    try:
        return "OK " + json_format.MessageToJson(await call, sort_keys=True)
    except grpc.aio.AioRpcError as error:
        status = rpc_status.from_call(error)  # type: ignore[arg-type]
        rich = "" if status is None else json_format.MessageToJson(status, sort_keys=True)
        return f"{error.code().name} {error.details()} {rich}"


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
