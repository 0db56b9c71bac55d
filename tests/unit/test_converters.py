"""The converters package: each enum's one table read both ways, every policy and metadata field
both ways, the one rule of the two series spellings on both doors, the one decision of the
answer's shape, and the REST caller resolver."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import cast

import pytest
from starlette.requests import Request

from coupon.v1 import common_pb2, coupon_service_pb2, series_service_pb2
from coupon_service.domain.credentials import Caller
from coupon_service.domain.errors import InvalidRequest
from coupon_service.domain.issuing import SeriesOutcome, Shortfall
from coupon_service.domain.model import (
    CodeSource,
    CouponValidity,
    Customer,
    DiscountType,
    IssuanceMetadata,
    IssuedCoupon,
    Series,
    SeriesPolicy,
)
from coupon_service.domain.redemption import CouponState
from coupon_service.entrypoints import converters
from coupon_service.entrypoints.converters import _wire, lifecycle
from coupon_service.entrypoints.rest import caller_org_resolver, messages
from coupon_service.entrypoints.rest.rendering import issue_multiple_json
from coupon_service.service.auth import Authenticator
from coupon_service.service.issuing import IssueMultipleResult
from tests.factories import EVERY_FIELD_CHOSEN

NOW = datetime(2026, 1, 1, tzinfo=UTC)
BOTH_NAMED = "set seriesId or seriesIds, not both"
CUSTOMER = Customer(7, "Ada", "L", "919900000001", None, None, NOW, NOW)


@pytest.mark.parametrize(
    ("policy", "field", "wire"),
    [
        (SeriesPolicy(discount_type=DiscountType.PERC), "discount_type", "DISCOUNT_TYPE_PERC"),
        (SeriesPolicy(discount_type=DiscountType.ABS), "discount_type", "DISCOUNT_TYPE_ABS"),
        (SeriesPolicy(code_source=CodeSource.UPLOADED), "code_source", "CODE_SOURCE_UPLOADED"),
        (
            SeriesPolicy(code_source=CodeSource.GENERIC, generic_code="SAVE"),
            "code_source",
            "CODE_SOURCE_GENERIC",
        ),
        (SeriesPolicy(), "code_source", "CODE_SOURCE_GENERATED"),
        (
            SeriesPolicy(coupon_validity=CouponValidity.FIXED_DATE, fixed_expiry_date=NOW),
            "coupon_validity",
            "COUPON_VALIDITY_FIXED_DATE",
        ),
        (
            SeriesPolicy(coupon_validity=CouponValidity.DAYS_AFTER_ISSUE),
            "coupon_validity",
            "COUPON_VALIDITY_DAYS_AFTER_ISSUE",
        ),
        (SeriesPolicy(), "coupon_validity", "COUPON_VALIDITY_SERIES_EXPIRY"),
    ],
)
def test_each_series_enum_goes_out_and_comes_back_through_one_table(
    policy: SeriesPolicy, field: str, wire: str
) -> None:
    message = converters.series_message(Series(1, policy))
    assert getattr(message, field) == getattr(series_service_pb2, wire)
    back = converters.series_policy(message)
    assert getattr(back, field) == getattr(policy, field)


def test_an_unspecified_or_unknown_series_enum_reads_as_the_default() -> None:
    for number in (0, 99):
        policy = converters.series_policy(
            series_service_pb2.Series(
                discount_type=number,  # type: ignore[arg-type]
                code_source=number,  # type: ignore[arg-type]
                coupon_validity=number,  # type: ignore[arg-type]
            )
        )
        assert policy.discount_type is DiscountType.ABS
        assert policy.code_source is CodeSource.GENERATED
        assert policy.coupon_validity is CouponValidity.SERIES_EXPIRY


def test_a_coupon_state_filter_reads_back_what_a_coupon_message_says() -> None:
    for state in CouponState:
        wire = lifecycle._STATES[state]
        query = converters.series_coupons_query(
            series_service_pb2.ListSeriesCouponsRequest(series_id=1, state=wire)
        )
        assert query.state is state
    with pytest.raises(InvalidRequest, match="state is not a coupon state"):
        converters.series_coupons_query(
            series_service_pb2.ListSeriesCouponsRequest(series_id=1, state=99)  # type: ignore[arg-type]
        )


def test_an_enum_table_that_is_not_one_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="one to one"):
        _wire.inverted({DiscountType.ABS: 1, DiscountType.PERC: 1})


def test_every_customer_identifier_reads_back_as_its_kind() -> None:
    for field, value in (("id", 5), ("mobile", "9199"), ("email", "a@b.c"), ("externalId", "x")):
        ref = converters.customer_ref(common_pb2.CustomerRef(**{field: value}))  # type: ignore[arg-type]
        assert ref is not None and ref.value == str(value)
        assert _wire._IDENTIFIER_FIELDS[ref.type] == field
    assert converters.customer_ref(common_pb2.CustomerRef()) is None


def test_both_series_spellings_are_refused_alike_on_both_doors_before_any_other_check() -> None:
    # count 0 would be the use case's 756: the spelling's 629 comes first on both doors.
    over_grpc = coupon_service_pb2.IssueMultipleRequest(seriesId=1, seriesIds=[2], count=0)
    with pytest.raises(InvalidRequest) as grpc_refusal:
        converters.issue_request(over_grpc)
    body = {"seriesId": 1, "seriesIds": [2], "count": 0, "customer": {"mobile": "9199"}}
    with pytest.raises(InvalidRequest) as rest_refusal:
        messages.issue_multiple_request(body, None)
    for refused in (grpc_refusal.value, rest_refusal.value):
        assert int(refused.code) == 629 and refused.message == BOTH_NAMED
        assert refused.field == "seriesIds"


def test_one_spelling_alone_names_the_series() -> None:
    assert converters.issue_request(
        coupon_service_pb2.IssueMultipleRequest(seriesIds=[2, 3])
    ).series_ids == [2, 3]
    assert converters.issue_request(
        coupon_service_pb2.IssueMultipleRequest(seriesId=4)
    ).series_ids == [4]
    message = messages.issue_multiple_request({"seriesIds": [2], "seriesId": None}, None)
    assert list(message.seriesIds) == [2] and message.seriesId == 0


def _result(*series_ids: int) -> IssueMultipleResult:
    outcomes = tuple(
        SeriesOutcome(
            Series(series_id, SeriesPolicy()),
            requested=2,
            coupons=(IssuedCoupon(series_id * 10, f"C{series_id}", series_id, NOW, None),),
            shortfalls=((Shortfall.OTHER, 1),),
        )
        for series_id in series_ids
    )
    return IssueMultipleResult(CUSTOMER, outcomes)


@pytest.mark.parametrize(("series_ids", "several"), [((5,), False), ((5, 6), True)])
def test_the_answers_shape_is_decided_once_for_both_doors(
    series_ids: Sequence[int], several: bool
) -> None:
    result = _result(*series_ids)
    assert converters.several_series(result) is several
    response = converters.issue_multiple_response(result)
    assert [config.id for config in response.couponConfigs] == (list(series_ids) if several else [])
    # gRPC names the series of every coupon and error; REST only in the several-series shape.
    assert [coupon.seriesId for coupon in response.coupons] == list(series_ids)
    rendered = issue_multiple_json(response, several_series=converters.several_series(result))
    assert ("couponConfigs" in rendered) is several
    assert all(("seriesId" in coupon) is several for coupon in rendered["coupons"])
    assert all(("seriesId" in error) is several for error in rendered["errors"])


class _Authenticator:
    def __init__(self) -> None:
        self.asked: list[tuple[list[object], str]] = []

    async def authorize_headers(self, values: Sequence[object], operation: str) -> Caller:
        self.asked.append((list(values), operation))
        return Caller(org_id=42, org_name="acme", scopes=frozenset(), subject="k")


async def test_the_rest_resolver_checks_every_authorization_header_for_the_operation() -> None:
    authenticator = _Authenticator()
    resolve = caller_org_resolver(cast(Authenticator, authenticator))
    headers = [(b"authorization", b"Basic one"), (b"authorization", b"Bearer two")]
    request = Request({"type": "http", "method": "POST", "path": "/", "headers": headers})

    assert await resolve(request, "BulkIssue") == 42
    assert authenticator.asked == [(["Basic one", "Bearer two"], "BulkIssue")]


def test_every_policy_field_goes_out_and_comes_back_under_its_wire_name() -> None:
    unchosen = SeriesPolicy()
    assert all(
        getattr(EVERY_FIELD_CHOSEN, field.name) != getattr(unchosen, field.name)
        for field in dataclasses.fields(SeriesPolicy)
    )
    message = converters.series_message(Series(1, EVERY_FIELD_CHOSEN))
    assert message.do_not_resend_existing_voucher is True
    assert message.is_multiple_vouchers_per_user_allowed is True
    assert dict(message.custom_property_map) == {"channel": "POS"}
    assert converters.series_policy(message) == EVERY_FIELD_CHOSEN


def test_a_policy_field_left_out_of_a_request_is_the_default() -> None:
    assert converters.series_policy(series_service_pb2.Series()) == SeriesPolicy()
    chosen_zero = converters.series_policy(series_service_pb2.Series(max_create=0))
    assert chosen_zero.max_create == 0


def test_issuance_metadata_goes_out_and_comes_back_under_its_wire_names() -> None:
    meta = IssuanceMetadata("POS", "store-7", "checkout", "a note", "a reason")
    message = converters.issuance_message(meta)
    assert (message.sourceType, message.sourceId, message.sourceActivity) == (
        "POS",
        "store-7",
        "checkout",
    )
    assert (message.notes, message.reason) == ("a note", "a reason")
    assert converters.metadata(message) == meta
    body = {
        "seriesId": 1,
        "metadata": {
            "sourceType": "POS",
            "sourceId": "store-7",
            "sourceActivity": "checkout",
            "notes": "a note",
            "reason": "a reason",
            "other": "ignored",
        },
    }
    assert converters.metadata(messages.issue_multiple_request(body, None).metadata) == meta
