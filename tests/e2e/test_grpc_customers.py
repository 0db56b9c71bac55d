"""CustomerService over a real channel: creating, finding, updating customers, and listing a
customer's coupons page by page."""

from __future__ import annotations

import grpc
import pytest

from coupon.v1 import customer_service_pb2
from tests.e2e.helpers.demo import DEMO_MOBILE
from tests.e2e.helpers.grpc_calls import assert_failure, issue, rich_failure
from tests.e2e.helpers.management import coupons_of, lookup, new_customer

# --- customers --------------------------------------------------------------------------------


async def test_created_customer_is_found_by_each_identifier_and_can_be_issued(customers, coupons):
    created = await customers.CreateCustomer(
        new_customer(
            first_name="Ada",
            last_name="Lovelace",
            mobile="447700900123",
            email="ada@example.com",
            external_id="crm-1",
        )
    )

    assert created.id > 0
    assert (created.first_name, created.last_name) == ("Ada", "Lovelace")
    assert (created.mobile, created.email, created.external_id) == (
        "447700900123",
        "ada@example.com",
        "crm-1",
    )
    assert created.HasField("create_time") and created.HasField("update_time")
    for ref in (
        {"id": created.id},
        {"mobile": "447700900123"},
        {"email": "ada@example.com"},
        {"externalId": "crm-1"},
    ):
        assert await customers.GetCustomer(lookup(**ref)) == created

    response = await coupons.IssueMultiple(issue(415446, 1, externalId="crm-1"))

    assert response.customer.id == created.id
    assert response.customer.profiles[0].firstName == "Ada"


async def test_customer_with_a_chosen_id(customers):
    created = await customers.CreateCustomer(new_customer(id=777, mobile="447700900777"))

    assert created.id == 777
    assert (await customers.GetCustomer(lookup(id=777))).mobile == "447700900777"


@pytest.mark.parametrize(
    "taken",
    [
        pytest.param({"mobile": DEMO_MOBILE}, id="mobile"),
        pytest.param({"email": "abijith.gupta@example.com"}, id="email"),
        pytest.param({"external_id": "3873472"}, id="externalId"),
        pytest.param({"id": 555567088, "mobile": "447700900999"}, id="id"),
    ],
)
async def test_identifier_already_taken_is_already_exists(customers, taken):
    failure = await rich_failure(customers.CreateCustomer(new_customer(**taken)))

    assert_failure(failure, grpc.StatusCode.ALREADY_EXISTS, 629, "INVALID_INPUT")
    named = "externalId" if "external_id" in taken else "id" if "id" in taken else next(iter(taken))
    assert named in failure.message


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        pytest.param({"first_name": "No identifier"}, "customer", id="no-identifier"),
        pytest.param({"mobile": "12ab"}, "mobile", id="bad-mobile"),
        pytest.param({"email": "not-an-email"}, "email", id="bad-email"),
        pytest.param({"external_id": "has space"}, "externalId", id="bad-external-id"),
        pytest.param({"mobile": "447700900555", "first_name": "x" * 101}, "firstName", id="long"),
        pytest.param({"mobile": "447700900556", "id": -3}, "id", id="negative-id"),
    ],
)
async def test_invalid_customer_is_refused(customers, fields, field):
    failure = await rich_failure(customers.CreateCustomer(new_customer(**fields)))

    assert_failure(failure, grpc.StatusCode.INVALID_ARGUMENT, 629, "INVALID_INPUT", field=field)


async def test_update_changes_only_what_is_set_and_clears_an_identifier(customers):
    created = await customers.CreateCustomer(
        new_customer(first_name="Ada", mobile="447700900124", email="ada2@example.com")
    )

    updated = await customers.UpdateCustomer(
        customer_service_pb2.UpdateCustomerRequest(
            customer_id=created.id, first_name="Augusta", email=""
        )
    )

    assert (updated.first_name, updated.mobile, updated.email) == ("Augusta", "447700900124", "")
    assert updated.update_time.ToDatetime() >= created.update_time.ToDatetime()
    assert await customers.GetCustomer(lookup(mobile="447700900124")) == updated
    failure = await rich_failure(customers.GetCustomer(lookup(email="ada2@example.com")))
    assert_failure(failure, grpc.StatusCode.NOT_FOUND, 701, "CUSTOMER_NOT_FOUND")

    # The cleared email is free for another customer now.
    other = await customers.CreateCustomer(new_customer(email="ada2@example.com"))
    assert other.id != created.id


async def test_update_refuses_to_clear_the_last_identifier(customers):
    created = await customers.CreateCustomer(new_customer(mobile="447700900125"))

    failure = await rich_failure(
        customers.UpdateCustomer(
            customer_service_pb2.UpdateCustomerRequest(customer_id=created.id, mobile="")
        )
    )

    assert_failure(
        failure, grpc.StatusCode.INVALID_ARGUMENT, 629, "INVALID_INPUT", field="customer"
    )
    assert (await customers.GetCustomer(lookup(id=created.id))).mobile == "447700900125"


async def test_update_to_a_taken_mobile_is_already_exists(customers):
    created = await customers.CreateCustomer(new_customer(mobile="447700900126"))

    failure = await rich_failure(
        customers.UpdateCustomer(
            customer_service_pb2.UpdateCustomerRequest(customer_id=created.id, mobile=DEMO_MOBILE)
        )
    )

    assert_failure(failure, grpc.StatusCode.ALREADY_EXISTS, 629, "INVALID_INPUT")
    assert (await customers.GetCustomer(lookup(id=created.id))).mobile == "447700900126"


@pytest.mark.parametrize("customer_id", [0, -1, 999])
async def test_update_unknown_customer_is_701(customers, customer_id):
    failure = await rich_failure(
        customers.UpdateCustomer(
            customer_service_pb2.UpdateCustomerRequest(customer_id=customer_id, first_name="X")
        )
    )

    assert_failure(failure, grpc.StatusCode.NOT_FOUND, 701, "CUSTOMER_NOT_FOUND")


async def test_get_customer_without_an_identifier_is_756(customers):
    failure = await rich_failure(customers.GetCustomer(customer_service_pb2.GetCustomerRequest()))

    assert_failure(
        failure, grpc.StatusCode.INVALID_ARGUMENT, 756, "MANDATORY_FIELD", field="customer"
    )


# --- ListCustomerCoupons ----------------------------------------------------------------------


async def test_list_customer_coupons_pages_and_filters(customers, coupons):
    first = await coupons.IssueMultiple(issue(415446, 3, mobile=DEMO_MOBILE))
    second = await coupons.IssueMultiple(issue(535521, 2, mobile=DEMO_MOBILE))
    await coupons.IssueMultiple(issue(415446, 1, mobile="919900000001"))
    issued = [c.couponId for c in first.coupons] + [c.couponId for c in second.coupons]

    walked, token = [], ""
    while True:
        request = coupons_of(mobile=DEMO_MOBILE)
        request.page_size, request.page_token = 2, token
        page = await customers.ListCustomerCoupons(request)
        assert len(page.coupons) <= 2
        walked += list(page.coupons)
        token = page.next_page_token
        if not token:
            break

    assert [c.id for c in walked] == issued
    assert {c.customer_id for c in walked} == {555567088}
    codes = {c.couponId: c.code for c in [*first.coupons, *second.coupons]}
    assert {c.id: c.code for c in walked} == codes
    assert all(c.HasField("issued_at") and c.redemption_count == 0 for c in walked)

    filtered = coupons_of(externalId="3873472")
    filtered.series_id = 535521
    only_second = await customers.ListCustomerCoupons(filtered)
    assert [c.id for c in only_second.coupons] == [c.couponId for c in second.coupons]


async def test_list_coupons_of_unknown_customer_is_701(customers):
    failure = await rich_failure(customers.ListCustomerCoupons(coupons_of(mobile="19999999999")))

    assert_failure(failure, grpc.StatusCode.NOT_FOUND, 701, "CUSTOMER_NOT_FOUND")


async def test_customer_without_coupons_lists_none(customers):
    listed = await customers.ListCustomerCoupons(coupons_of(mobile="919900000100"))

    assert list(listed.coupons) == []
    assert listed.next_page_token == ""
