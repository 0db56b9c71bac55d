"""Redemption limits across two server replicas on one database, under concurrent callers over
real channels: exactly as many uses as allowed, one redemption per request id, counts exact when
reversals race redemptions, and never a use of a revoked or expired coupon. Every outcome is
counted in the database, not only in the answers.

On SQLite the two replicas are two engines, each with its own connection to one file: they take
turns at the file's write lock as two processes would.
"""

from __future__ import annotations

import asyncio
import dataclasses
import pathlib
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from sqlalchemy.ext.asyncio import AsyncEngine

from coupon.v1 import common_pb2, coupon_service_pb2, coupon_service_pb2_grpc
from coupon_service.adapters.database import create_engine
from coupon_service.adapters.migrate import migrate
from coupon_service.adapters.unit_of_work import SqlUnitOfWork
from coupon_service.app import start
from coupon_service.config import Settings
from coupon_service.domain.credentials import Scope
from coupon_service.domain.model import CodeSource, CouponValidity, Customer, CustomerRef
from coupon_service.domain.model import IdentifierType as Id
from coupon_service.service.auth import create_key
from coupon_service.service.clock import utcnow
from coupon_service.service.customer_import import import_customers
from coupon_service.service.issuing import IssueRequest, issue_multiple
from coupon_service.service.orgs import create_org
from tests.e2e.conftest import WithAuthorization
from tests.factories import EPOCH, a_series
from tests.redemption_audit import coupon_audit, series_audit, series_counter

OK = (grpc.StatusCode.OK, "")
USED_UP = (grpc.StatusCode.RESOURCE_EXHAUSTED, "906")
Outcome = tuple[grpc.StatusCode, str]


@dataclasses.dataclass
class Replicas:
    stubs: list[coupon_service_pb2_grpc.CouponServiceStub]
    uow: SqlUnitOfWork  # The test's own door to the database, for setting up and auditing.
    org_id: int
    org_name: str

    @property
    def engine(self) -> AsyncEngine:
        return self.uow.engine

    async def customers(self, count: int) -> list[CustomerRef]:
        prefix = f"44{uuid.uuid4().int % 10**6:06d}"
        mobiles = [f"{prefix}{number:05d}" for number in range(count)]
        people = [Customer(0, "Race", "Tester", m, None, None, EPOCH, EPOCH) for m in mobiles]
        await import_customers(self.uow, self.org_id, people)
        return [CustomerRef(Id.MOBILE, mobile) for mobile in mobiles]

    async def issue(self, series_id: int, customer: CustomerRef, **when: object) -> tuple[int, str]:
        issued = await issue_multiple(
            self.uow,
            self.org_id,
            IssueRequest([series_id], 1, customer),
            **when,  # type: ignore[arg-type]
        )
        coupon = issued.outcomes[0].coupons[0]
        return coupon.id, coupon.code

    async def redeem_at_once(
        self, requests: list[coupon_service_pb2.RedeemCouponRequest]
    ) -> list[tuple[Outcome, coupon_service_pb2.RedeemCouponResponse | None]]:
        """Every request at once, alternating between the replicas."""
        return await asyncio.gather(
            *(_call(self.stubs[n % 2].RedeemCoupon(r, timeout=60)) for n, r in enumerate(requests))
        )


async def _call(call: object) -> tuple[Outcome, object | None]:
    try:
        return OK, await call  # type: ignore[misc]
    except grpc.aio.AioRpcError as error:
        status = rpc_status.from_call(error)
        assert status is not None, f"{error.code()}: {error.details()}"
        info = error_details_pb2.ErrorInfo()
        assert status.details[0].Unpack(info)
        return (error.code(), info.metadata["code"]), None


def _tally(answers: list[tuple[Outcome, object | None]]) -> Counter[Outcome]:
    return Counter(outcome for outcome, _ in answers)


def _ref(customer: CustomerRef) -> common_pb2.CustomerRef:
    return common_pb2.CustomerRef(mobile=customer.value)


def _redeem(
    code: str, customer: CustomerRef, **fields: object
) -> coupon_service_pb2.RedeemCouponRequest:
    return coupon_service_pb2.RedeemCouponRequest(code=code, customer=_ref(customer), **fields)  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> str:
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    return f"sqlite+aiosqlite:///{tmp_path}/redemption-races.db"


@pytest.fixture
async def replicas(database_url: str) -> AsyncIterator[Replicas]:
    """Two servers, each with its own engine and pool, on one database and one new org."""
    engine = create_engine(database_url)
    await migrate(engine)
    uow = SqlUnitOfWork(engine)
    org = f"redeem-{uuid.uuid4().hex[:12]}"
    org_id = await create_org(uow, org)
    authorization = (await create_key(uow, org, [Scope.ISSUE])).authorization
    servers = [
        await start(Settings(db_url=database_url, grpc_port=0, http_port=0, metrics_port=0))
        for _ in range(2)
    ]
    channels = [
        grpc.aio.insecure_channel(
            f"127.0.0.1:{server.grpc_port}",
            interceptors=[WithAuthorization(authorization)],
        )
        for server in servers
    ]
    try:
        stubs = [coupon_service_pb2_grpc.CouponServiceStub(c) for c in channels]
        yield Replicas(stubs, uow, org_id, org)
    finally:
        for channel in channels:
            await channel.close()
        for server in servers:
            await server.stop(0)
        await engine.dispose()


@pytest.mark.parametrize("uses", [1, 3])
async def test_64_callers_take_exactly_the_coupons_uses(replicas: Replicas, uses: int) -> None:
    series = await a_series(replicas.uow, replicas.org_id, max_redemptions_per_coupon=uses)
    (customer,) = await replicas.customers(1)
    coupon_id, code = await replicas.issue(series.id, customer)

    answers = await replicas.redeem_at_once([_redeem(code, customer) for _ in range(64)])

    assert _tally(answers) == Counter({OK: uses, USED_UP: 64 - uses})
    assert await coupon_audit(replicas.engine, replicas.org_id, coupon_id) == (uses, uses, uses)


async def test_a_generic_code_allows_100_redemptions_among_300_customers(
    replicas: Replicas,
) -> None:
    code = f"RACE{uuid.uuid4().hex[:10].upper()}"
    series = await a_series(
        replicas.uow,
        replicas.org_id,
        code_source=CodeSource.GENERIC,
        generic_code=code,
        max_redemptions=100,
    )
    people = await replicas.customers(300)
    await asyncio.gather(*(replicas.issue(series.id, person) for person in people))

    answers = await replicas.redeem_at_once([_redeem(code, person) for person in people])

    limit_reached = (grpc.StatusCode.RESOURCE_EXHAUSTED, "908")
    assert _tally(answers) == Counter({OK: 100, limit_reached: 200})
    assert await series_audit(replicas.engine, replicas.org_id, series.id) == (100, 100, 100)
    assert await series_counter(replicas.engine, replicas.org_id, series.id) == 100


async def test_one_customer_redeems_a_generic_code_at_most_twice(replicas: Replicas) -> None:
    code = f"TWICE{uuid.uuid4().hex[:10].upper()}"
    series = await a_series(
        replicas.uow,
        replicas.org_id,
        code_source=CodeSource.GENERIC,
        generic_code=code,
        max_redemptions_per_customer=2,
    )
    (customer,) = await replicas.customers(1)
    coupon_id, _ = await replicas.issue(series.id, customer)

    answers = await replicas.redeem_at_once([_redeem(code, customer) for _ in range(20)])

    customer_limit = (grpc.StatusCode.RESOURCE_EXHAUSTED, "907")
    assert _tally(answers) == Counter({OK: 2, customer_limit: 18})
    assert await coupon_audit(replicas.engine, replicas.org_id, coupon_id) == (2, 2, 2)


async def test_one_request_id_sent_10_times_at_once_redeems_once(replicas: Replicas) -> None:
    series = await a_series(replicas.uow, replicas.org_id, max_redemptions_per_coupon=5)
    (customer,) = await replicas.customers(1)
    coupon_id, code = await replicas.issue(series.id, customer)
    request = _redeem(code, customer, request_id=f"pos-{uuid.uuid4().hex}", bill_number="B-9")

    answers = await replicas.redeem_at_once([request] * 10)

    assert _tally(answers) == Counter({OK: 10})
    assert len({reply.redemption.id for _, reply in answers if reply is not None}) == 1
    assert await coupon_audit(replicas.engine, replicas.org_id, coupon_id) == (1, 1, 1)


async def test_a_reversal_racing_redemptions_gives_back_exactly_one_use(
    replicas: Replicas,
) -> None:
    series = await a_series(replicas.uow, replicas.org_id, max_redemptions_per_coupon=2)
    (customer,) = await replicas.customers(1)
    coupon_id, code = await replicas.issue(series.id, customer)
    taken = [await replicas.stubs[0].RedeemCoupon(_redeem(code, customer)) for _ in range(2)]
    reverse = coupon_service_pb2.ReverseRedemptionRequest(redemption_id=taken[0].redemption.id)

    reversals, redemptions = await asyncio.gather(
        asyncio.gather(
            *(_call(replicas.stubs[n % 2].ReverseRedemption(reverse)) for n in range(5))
        ),
        replicas.redeem_at_once([_redeem(code, customer) for _ in range(20)]),
    )

    assert _tally(reversals) == Counter({OK: 5})
    assert _tally(redemptions)[OK] <= 1
    assert set(_tally(redemptions)) <= {OK, USED_UP}
    audit = await coupon_audit(replicas.engine, replicas.org_id, coupon_id)
    assert audit.counted == audit.standing == 1 + _tally(redemptions)[OK]
    assert audit.redemption_rows == 2 + _tally(redemptions)[OK]


async def test_a_revoked_coupon_is_never_redeemed_after_its_revocation(
    replicas: Replicas,
) -> None:
    series = await a_series(replicas.uow, replicas.org_id, max_redemptions_per_coupon=1000)
    (customer,) = await replicas.customers(1)
    coupon_id, code = await replicas.issue(series.id, customer)
    revoke = coupon_service_pb2.RevokeCouponRequest(
        coupon=coupon_service_pb2.CouponLookup(coupon_id=coupon_id), reason="leaked"
    )
    manage = await create_key(replicas.uow, replicas.org_name, [Scope.MANAGE])

    during, revoked = await asyncio.gather(
        replicas.redeem_at_once([_redeem(code, customer) for _ in range(40)]),
        replicas.stubs[1].RevokeCoupon(revoke, metadata=(("authorization", manage.authorization),)),
    )
    after = await replicas.redeem_at_once([_redeem(code, customer) for _ in range(10)])

    revoked_refusal = (grpc.StatusCode.FAILED_PRECONDITION, "905")
    assert revoked.coupon.state == common_pb2.COUPON_STATE_REVOKED
    assert set(_tally(during)) <= {OK, revoked_refusal}
    assert _tally(after) == Counter({revoked_refusal: 10})
    audit = await coupon_audit(replicas.engine, replicas.org_id, coupon_id)
    assert audit == (_tally(during)[OK],) * 3
    assert revoked.coupon.redemption_count == audit.counted  # None taken after it committed.


async def test_an_expired_coupon_is_never_redeemed(replicas: Replicas) -> None:
    series = await a_series(
        replicas.uow,
        replicas.org_id,
        coupon_validity=CouponValidity.DAYS_AFTER_ISSUE,
        valid_days_after_issue=1,
        max_redemptions_per_coupon=10,
    )
    (customer,) = await replicas.customers(1)
    coupon_id, code = await replicas.issue(series.id, customer, now=utcnow() - timedelta(days=2))

    answers = await replicas.redeem_at_once([_redeem(code, customer) for _ in range(20)])

    assert _tally(answers) == Counter({(grpc.StatusCode.FAILED_PRECONDITION, "904"): 20})
    assert await coupon_audit(replicas.engine, replicas.org_id, coupon_id) == (0, 0, 0)
