"""Demo data that makes the documents' own request examples work verbatim; loads idempotently."""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime

from .domain.credentials import Scope
from .domain.errors import AlreadyExists, NotFound
from .domain.model import (
    CodeSource,
    Customer,
    SeriesPolicy,
)
from .service.auth import create_key
from .service.customer_import import import_customers
from .service.orgs import ensure_org
from .service.series import create_series, get_series, upload_codes
from .service.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)

DEMO_ORG = "demo"
# Published in the README so its grpcurl and curl examples work: never load it in production.
DEMO_KEY_ID = "demo"
DEMO_KEY_SECRET = "demo-secret"
_FAR_2029 = datetime(2029, 5, 9, tzinfo=UTC)
_EPOCH = datetime.fromtimestamp(0, UTC)
_GENERATED = SeriesPolicy(code_source=CodeSource.GENERATED, random_code_length=10)

DEMO_SERIES: dict[int, SeriesPolicy] = {
    415446: dataclasses.replace(
        _GENERATED,
        description="IKEA - 500KW Voucher ",
        info="IKEA - 500KW Voucher ",
        discount_value=500,
        multiple_per_user_allowed=True,
    ),
    535521: dataclasses.replace(
        _GENERATED,
        description="IKEA - second demo voucher",
        info="IKEA - second demo voucher",
        discount_value=250,
        multiple_per_user_allowed=True,
    ),
    18426: SeriesPolicy(
        description="10% off Decathlon Products",
        info="10% off Decathlon Prodcuts",  # Spelled as in the documented response.
        discount_value=100,
        code_source=CodeSource.GENERIC,
        generic_code="DECATH10",
        multiple_per_user_allowed=True,
    ),
    544770: dataclasses.replace(
        _GENERATED,
        description="Festival coupon",
        discount_code="erg123",
        info="Evil coupon",
        discount_value=500,
        valid_till=_FAR_2029,
        alpha_numeric=True,
    ),
    553379: dataclasses.replace(
        _GENERATED,
        description="DIWALI 100% OFF",
        discount_code="XYZ123",
        info="Evil coupon",
        discount_value=500,
        valid_till=_FAR_2029,
        alpha_numeric=True,
    ),
    96004: dataclasses.replace(
        _GENERATED,
        description="Only 1 issual",
        info="Only 1 issual",
        discount_value=1,
        alpha_numeric=True,
        random_code_length=28,
        multiple_per_user_allowed=False,
        do_not_resend_existing=True,
    ),
    96005: dataclasses.replace(
        _GENERATED,
        description="Only 1 issual, resent on repeat",
        info="Only 1 issual, resent on repeat",
        discount_value=1,
        multiple_per_user_allowed=False,
    ),
    700001: SeriesPolicy(
        description="Demo pool",
        info="Demo pool",
        discount_value=50,
        code_source=CodeSource.UPLOADED,
        multiple_per_user_allowed=True,
    ),
    700002: dataclasses.replace(
        _GENERATED,
        description="Demo limited",
        info="Demo limited",
        discount_value=20,
        max_create=50,
        multiple_per_user_allowed=True,
        max_vouchers_per_user=5,
    ),
    700003: dataclasses.replace(
        _GENERATED,
        description="Demo expired",
        info="Demo expired",
        discount_value=10,
        valid_till=datetime(2024, 1, 1, tzinfo=UTC),
        multiple_per_user_allowed=True,
    ),
    # For the README's lifecycle examples: a coupon that takes three redemptions, and a shared
    # code each customer may redeem twice, a thousand times in all.
    700004: dataclasses.replace(
        _GENERATED,
        description="Demo three uses",
        info="Demo three uses",
        discount_value=30,
        multiple_per_user_allowed=True,
        max_redemptions_per_coupon=3,
    ),
    700005: SeriesPolicy(
        description="Demo welcome code",
        info="Demo welcome code",
        discount_value=5,
        code_source=CodeSource.GENERIC,
        generic_code="WELCOME5",
        max_redemptions_per_customer=2,
        max_redemptions=1000,
    ),
}
DEMO_POOL_CODES = [f"DEMO{number:04d}" for number in range(1, 101)]
DEMO_CUSTOMER = Customer(
    id=555567088,
    first_name="Abijith",
    last_name="Gupta",
    mobile="11223569865",
    email="abijith.gupta@example.com",
    external_id="3873472",
    created_at=_EPOCH,
    updated_at=_EPOCH,
)
LOAD_CUSTOMER_MOBILES = [f"9199000{number:05d}" for number in range(1, 101)]


async def load_demo_data(uow: UnitOfWork) -> int:
    """Creates the demo org with its series and customers where missing; returns the org id."""
    org_id = await ensure_org(uow, DEMO_ORG)
    created_series = 0
    for series_id, policy in DEMO_SERIES.items():
        try:
            await get_series(uow, org_id, series_id)
        except NotFound:
            await create_series(uow, org_id, series_id, policy)
            created_series += 1
            if policy.code_source is CodeSource.UPLOADED:
                await upload_codes(uow, org_id, series_id, DEMO_POOL_CODES)
    customers = [DEMO_CUSTOMER] + [
        dataclasses.replace(
            DEMO_CUSTOMER,
            id=0,
            first_name="Load",
            last_name=f"Tester {number}",
            mobile=mobile,
            email=None,
            external_id=None,
        )
        for number, mobile in enumerate(LOAD_CUSTOMER_MOBILES, start=1)
    ]
    created_customers = await import_customers(uow, org_id, customers)
    await _ensure_demo_key(uow)
    if created_series or created_customers:
        logger.warning(
            "demo data loaded into org %r (%d series, %d customers): for trying the service, "
            "not for production",
            DEMO_ORG,
            created_series,
            created_customers,
        )
    else:
        logger.warning("demo data already present in org %r: nothing loaded", DEMO_ORG)
    return org_id


async def _ensure_demo_key(uow: UnitOfWork) -> None:
    try:
        await create_key(uow, DEMO_ORG, [Scope.MANAGE], key_id=DEMO_KEY_ID, secret=DEMO_KEY_SECRET)
    except AlreadyExists:
        pass  # Created by an earlier start, or revoked on purpose: left as it is.
    logger.warning(
        "DEMO CREDENTIALS: API key %r with the secret published in the README may manage org "
        "%r. Anyone can use it: never start with --demo where real data lives",
        DEMO_KEY_ID,
        DEMO_ORG,
    )
