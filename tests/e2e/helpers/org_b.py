"""Org B, the other tenant: its series, customer and coupon, made through the gRPC door with its
own key, and ids of the same kinds that exist in no org, which org A must not tell apart."""

from __future__ import annotations

import dataclasses
import json

from google.protobuf import json_format
from google.protobuf.message import Message

from coupon.v1 import (
    common_pb2,
    coupon_service_pb2,
    customer_service_pb2,
    series_service_pb2,
)
from coupon_service.app import RunningService
from coupon_service.domain.credentials import Scope
from coupon_service.service.auth import NewKey, create_key, create_org
from tests.e2e.helpers.auth import bare_stubs

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
