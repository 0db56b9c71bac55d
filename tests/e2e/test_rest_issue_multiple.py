"""POST /v2/coupon/issue/multiple over real HTTP: every request body of the document sent
verbatim, the answers compared with the documented examples key by key and type by type."""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from typing import Any

import grpc
import httpx

from coupon.v1 import coupon_service_pb2, coupon_service_pb2_grpc
from tests.e2e.helpers.issue_document import (
    DOCUMENTED_BY_EMAIL,
    DOCUMENTED_BY_MOBILE,
    DOCUMENTED_ERRORS,
    DOCUMENTED_GENERIC,
    DOCUMENTED_RESPONSE,
    DOCUMENTED_SERIES_IDS,
    DOCUMENTED_SEVERAL_SERIES,
)
from tests.e2e.helpers.rest import assert_same_shape

PATH = "/v2/coupon/issue/multiple"
JSON_HEADERS = {"Content-Type": "application/json"}

# Fields where the document shows a placeholder and this service fills in the real value.
FILLED_IN = {"id", "numTotal", "latestIssualTime", "randomCodeLength"}
ISO_8601 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")


def assert_like_documented_issue(body: dict[str, Any], documented: dict[str, Any]) -> None:
    assert_same_shape(body, documented)
    config, expected = body["couponConfig"], documented["couponConfig"]
    for key in expected.keys() - FILLED_IN:
        assert config[key] == expected[key], key
    profile, expected_profile = body["customer"]["profiles"][0], documented["customer"]["profiles"]
    for key in ("firstName", "lastName", "fields", "allFields", "commChannels", "accountId"):
        assert profile[key] == expected_profile[0][key], key
    assert body["customer"]["id"] == profile["userId"] == documented["customer"]["id"]
    assert ISO_8601.match(profile["autoUpdateTime"])
    assert datetime.fromisoformat(profile["autoUpdateTime"]).tzinfo is not None
    identifiers = {item["type"]: item["value"] for item in profile["identifiers"]}
    assert identifiers == {
        "email": "abijith.gupta@example.com",
        "mobile": "11223569865",
        "externalId": "3873472",
    }
    assert profile["identifiersAll"] == profile["identifiers"]
    assert len({coupon["couponId"] for coupon in body["coupons"]}) == len(body["coupons"])


async def post(http: httpx.AsyncClient, body: str, **headers: str) -> httpx.Response:
    return await http.post(PATH, content=body.encode(), headers={**JSON_HEADERS, **headers})


async def test_documented_example_by_mobile_answers_as_documented(http: httpx.AsyncClient) -> None:
    response = await post(http, DOCUMENTED_BY_MOBILE)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    documented = json.loads(DOCUMENTED_RESPONSE)
    assert list(body) == list(documented)
    assert_like_documented_issue(body, documented)
    assert (body["totalCount"], body["failureCount"], body["successCount"]) == (2, 0, 2)
    assert all(re.fullmatch(r"\d{10}", coupon["code"]) for coupon in body["coupons"])
    assert body["couponConfig"]["id"] == 415446
    assert body["couponConfig"]["numTotal"] == 2
    assert body["couponConfig"]["randomCodeLength"] == 10
    assert body["errors"] == [] and body["warnings"] == []


async def test_documented_example_by_email(http: httpx.AsyncClient) -> None:
    # Verbatim, the hidden address names no customer: the documented 701.
    response = await post(http, DOCUMENTED_BY_EMAIL)
    assert response.status_code == 404
    assert response.json() == DOCUMENTED_ERRORS[701]
    # With the demo customer's real address it answers as documented.
    by_email = DOCUMENTED_BY_EMAIL.replace("[email protected]", "abijith.gupta@example.com")
    response = await post(http, by_email)
    assert response.status_code == 200
    assert_like_documented_issue(response.json(), json.loads(DOCUMENTED_RESPONSE))


async def test_documented_generic_example_issues_the_shared_code_once(
    http: httpx.AsyncClient,
) -> None:
    response = await post(http, DOCUMENTED_GENERIC)
    assert response.status_code == 200
    body = response.json()
    documented = json.loads(DOCUMENTED_RESPONSE)
    assert_same_shape(body, documented | {"errors": [{"status": False, "code": 1, "message": ""}]})
    assert [coupon["code"] for coupon in body["coupons"]] == ["DECATH10"]
    assert isinstance(body["coupons"][0]["couponId"], int)
    config = body["couponConfig"]
    assert (config["description"], config["info"]) == (
        "10% off Decathlon Products",
        "10% off Decathlon Prodcuts",
    )
    assert (config["discountValue"], config["randomCodeLength"], config["id"]) == (100, 0, 18426)
    # Two asked, one given: a partial success, with the documented GENERIC reason (5004).
    assert (body["totalCount"], body["failureCount"], body["successCount"]) == (2, 1, 1)
    assert body["errors"] == [
        {
            "status": False,
            "code": 5004,
            "message": "Cannot issue more than one GENERIC coupon code.",
        }
    ]


async def test_documented_several_series_example(http: httpx.AsyncClient) -> None:
    response = await post(http, DOCUMENTED_SEVERAL_SERIES)
    assert response.status_code == 200
    body = response.json()
    assert [coupon["seriesId"] for coupon in body["coupons"]] == [415446, 415446, 535521, 535521]
    assert all(set(coupon) == {"code", "couponId", "seriesId"} for coupon in body["coupons"])
    assert body["couponConfig"]["id"] == 415446
    assert [config["id"] for config in body["couponConfigs"]] == [415446, 535521]
    assert (body["totalCount"], body["failureCount"], body["successCount"]) == (4, 0, 4)
    assert_same_shape(body["couponConfigs"][1], json.loads(DOCUMENTED_RESPONSE)["couponConfig"])


async def test_series_ids_as_the_request_table_names_it_answers_like_the_list_form(
    http: httpx.AsyncClient,
) -> None:
    by_list = await post(http, DOCUMENTED_SEVERAL_SERIES)
    by_table_name = await post(http, DOCUMENTED_SERIES_IDS)
    assert (by_list.status_code, by_table_name.status_code) == (200, 200)
    listed, named = by_list.json(), by_table_name.json()
    assert_same_shape(named, listed)
    assert list(named) == list(listed)
    assert [coupon["seriesId"] for coupon in named["coupons"]] == [415446, 415446, 535521, 535521]
    assert [config["id"] for config in named["couponConfigs"]] == [415446, 535521]
    assert (named["totalCount"], named["failureCount"], named["successCount"]) == (4, 0, 4)
    without_counts = FILLED_IN - {"id", "randomCodeLength"}
    for mine, theirs in zip(named["couponConfigs"], listed["couponConfigs"], strict=True):
        assert {k: v for k, v in mine.items() if k not in without_counts} == {
            k: v for k, v in theirs.items() if k not in without_counts
        }
    assert named["customer"] == listed["customer"]


async def test_series_ids_with_one_id_answers_like_series_id(http: httpx.AsyncClient) -> None:
    for spelled in ('"seriesIds": [415446]', '"seriesIds": 415446'):
        response = await post(http, DOCUMENTED_BY_MOBILE.replace('"seriesId": 415446', spelled))
        assert response.status_code == 200, spelled
        body = response.json()
        documented = json.loads(DOCUMENTED_RESPONSE)
        assert list(body) == list(documented)
        assert_like_documented_issue(body, documented)
        assert body["couponConfig"]["id"] == 415446


async def test_series_id_and_series_ids_at_once_are_629_and_issue_nothing(
    http: httpx.AsyncClient,
) -> None:
    both = [
        '{"seriesId": 415446, "seriesIds": [535521], "customer": {"mobile": "11223569865"}}',
        '{"seriesId": [415446], "seriesIds": [415446], "customer": {"mobile": "11223569865"}}',
    ]
    for request in both:
        response = await post(http, request)
        assert response.status_code == 400
        assert response.json() == {
            "errors": [
                {"status": False, "code": 629, "message": "set seriesId or seriesIds, not both"}
            ]
        }
    after = (await post(http, DOCUMENTED_BY_MOBILE)).json()
    assert after["couponConfig"]["numTotal"] == 2  # Only this call's coupons were issued.


async def test_series_ids_of_the_wrong_type_name_the_field(http: httpx.AsyncClient) -> None:
    response = await post(http, '{"seriesIds": ["415446"], "customer": {"mobile": "1"}}')
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"status": False, "code": 629, "message": "Invalid input: seriesIds must be an integer"}
    ]


async def test_an_error_entry_names_its_series_only_in_a_several_series_answer(
    http: httpx.AsyncClient, channel: grpc.aio.Channel
) -> None:
    several = '{"seriesIds": [415446, 18426], "count": 2, "customer": {"mobile": "11223569865"}}'
    body = (await post(http, several)).json()
    generic = "Cannot issue more than one GENERIC coupon code."
    assert body["errors"] == [
        {"status": False, "code": 5004, "message": generic, "seriesId": 18426}
    ]
    # gRPC names the series of every entry; the documented one-series answer names none.
    stub = coupon_service_pb2_grpc.CouponServiceStub(channel)
    request = coupon_service_pb2.IssueMultipleRequest(
        seriesId=18426, count=2, customer={"mobile": "919900000004"}
    )
    over_grpc = await stub.IssueMultiple(request, timeout=10)
    assert [(e.code, e.seriesId) for e in over_grpc.errors] == [(5004, 18426)]
    one = DOCUMENTED_GENERIC.replace('"externalId": "3873472"', '"mobile": "919900000005"')
    over_rest = (await post(http, one)).json()
    assert over_rest["errors"] == [{"status": False, "code": 5004, "message": generic}]


async def test_series_id_as_a_one_item_list_answers_like_a_number(http: httpx.AsyncClient) -> None:
    response = await post(http, DOCUMENTED_BY_MOBILE.replace("415446", "[415446]"))
    assert response.status_code == 200
    body = response.json()
    assert "couponConfigs" not in body
    assert all(set(coupon) == {"code", "couponId"} for coupon in body["coupons"])


async def test_documented_one_per_customer_example_then_709(http: httpx.AsyncClient) -> None:
    request = '{"seriesId": 96004, "count": 2, "customer": {"mobile": "11223569865"}}'
    response = await post(http, request)
    assert response.status_code == 200
    body = response.json()
    (coupon,) = body["coupons"]
    assert re.fullmatch(r"[A-Z0-9]{28}", coupon["code"])
    assert (body["totalCount"], body["failureCount"], body["successCount"]) == (2, 1, 1)
    assert body["errors"] == [
        {
            "status": False,
            "code": 5004,
            "message": "Issue only one coupon. Since isAllowMultipleVouchersPerUser=false.",
        }
    ]
    again = await post(http, request)
    assert again.status_code == 409
    assert again.json() == DOCUMENTED_ERRORS[709]


async def test_documented_errors_with_their_http_statuses(http: httpx.AsyncClient) -> None:
    cases = [
        ('{"seriesId": 123, "customer": {"mobile": "11223569865"}}', 404, 707),
        ('{"seriesId": 415446, "count": 501, "customer": {"mobile": "11223569865"}}', 400, 677),
        ('{"seriesId": 415446, "customer": {"mobile": "19999999999"}}', 404, 701),
        ('{"seriesId": 700003, "customer": {"mobile": "11223569865"}}', 400, 713),
    ]
    for request, status, code in cases:
        response = await post(http, request)
        assert (response.status_code, response.json()) == (status, DOCUMENTED_ERRORS[code])
    seriesless = await post(http, '{"count": 2, "customer": {"mobile": "11223569865"}}')
    assert seriesless.status_code == 400
    assert seriesless.json() == {
        "errors": [{"status": False, "code": 756, "message": "seriesId is mandatory to set"}]
    }
    zero = await post(http, DOCUMENTED_BY_MOBILE.replace('"count": 2', '"count": 0'))
    assert zero.status_code == 400
    assert zero.json() == {
        "errors": [{"status": False, "code": 756, "message": "count should be greater than 0"}]
    }


async def test_per_customer_limit_partial_then_none_issued(http: httpx.AsyncClient) -> None:
    request = '{"seriesId": 700002, "count": 7, "customer": {"mobile": "11223569865"}}'
    response = await post(http, request)
    assert response.status_code == 200
    body = response.json()
    assert (body["totalCount"], body["failureCount"], body["successCount"]) == (7, 2, 5)
    assert body["errors"] == [
        {"status": False, "code": 5002, "message": "max coupon per user exceeded"}
    ]
    again = await post(http, request)
    assert again.status_code == 400  # Nothing issued: 621, and not a 429.
    assert again.json() == {
        "errors": [{"status": False, "code": 621, "message": "max coupon per user exceeded"}]
    }


async def test_metadata_is_accepted_and_checked(http: httpx.AsyncClient) -> None:
    metadata = {"sourceType": "Journeys", "sourceId": "block-42", "notes": "migration batch"}
    body = {"seriesId": 415446, "customer": {"mobile": "11223569865"}, "metadata": metadata}
    assert (await http.post(PATH, json=body)).status_code == 200
    too_long = {**body, "metadata": {"sourceType": "x" * 51}}
    response = await http.post(PATH, json=too_long)
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["code"] == 629 and "metadata.sourceType" in error["message"]


async def test_rest_and_grpc_give_the_same_coupons(
    http: httpx.AsyncClient, channel: grpc.aio.Channel
) -> None:
    key = f"rest-grpc-{uuid.uuid4().hex}"
    response = await post(http, DOCUMENTED_BY_MOBILE, **{"Idempotency-Key": key})
    assert response.status_code == 200
    rest = response.json()

    stub = coupon_service_pb2_grpc.CouponServiceStub(channel)
    request = coupon_service_pb2.IssueMultipleRequest(
        seriesId=415446, count=2, customer={"mobile": "11223569865"}, requestId=key
    )
    replayed = await stub.IssueMultiple(request, timeout=10)
    assert [(c.code, c.couponId) for c in replayed.coupons] == [
        (c["code"], c["couponId"]) for c in rest["coupons"]
    ]
    assert replayed.couponConfig.description == rest["couponConfig"]["description"]
    assert replayed.customer.id == rest["customer"]["id"]

    retried = await post(http, DOCUMENTED_BY_MOBILE, **{"Idempotency-Key": key})
    assert retried.json()["coupons"] == rest["coupons"]
    changed = await post(http, DOCUMENTED_GENERIC, **{"Idempotency-Key": key})
    assert changed.status_code == 400
    # Each door names the key as its caller sent it: the header here, the field over gRPC.
    assert changed.json() == {
        "errors": [
            {
                "status": False,
                "code": 629,
                "message": "Idempotency-Key was already used for a different request",
            }
        ]
    }
    request.count = 1
    try:
        await stub.IssueMultiple(request, timeout=10)
    except grpc.aio.AioRpcError as refused:
        assert refused.details() == "requestId was already used for a different request"
    else:
        raise AssertionError("a changed request with a used requestId was issued")


async def test_generic_code_is_the_same_over_rest_and_grpc(
    http: httpx.AsyncClient, channel: grpc.aio.Channel
) -> None:
    stub = coupon_service_pb2_grpc.CouponServiceStub(channel)
    over_grpc = await stub.IssueMultiple(
        coupon_service_pb2.IssueMultipleRequest(
            seriesId=18426, customer={"mobile": "919900000001"}
        ),
        timeout=10,
    )
    over_rest = (await post(http, DOCUMENTED_GENERIC)).json()
    assert [c.code for c in over_grpc.coupons] == [c["code"] for c in over_rest["coupons"]]
    assert over_grpc.coupons[0].couponId != over_rest["coupons"][0]["couponId"]
