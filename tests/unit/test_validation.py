"""Request checks that need no data: count, series ids, customer, metadata, request id."""

from __future__ import annotations

import dataclasses

import pytest

from coupon_service.domain.errors import ErrorCode, ErrorKind, InvalidRequest
from coupon_service.domain.model import (
    ISSUANCE_FIELDS,
    CustomerRef,
    IdentifierType,
    IssuanceMetadata,
)
from coupon_service.domain.validation import (
    check_customer,
    check_metadata,
    check_request_id,
    check_series_ids,
    resolve_count,
)


def assert_invalid(error: InvalidRequest, code: int, field: str, message: str | None) -> None:
    assert error.code == code
    assert error.kind is ErrorKind.INVALID_ARGUMENT
    assert error.field == field
    if message is not None:
        assert error.message == message
        assert str(error) == message


# --- resolve_count -----------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "expected"), [(None, 1), (1, 1), (2, 2), (499, 499), (500, 500)])
def test_resolve_count_accepts_1_to_500_and_defaults_to_1(count: int | None, expected: int) -> None:
    assert resolve_count(count) == expected


@pytest.mark.parametrize("count", [0, -1, -500, -(2**31)])
def test_resolve_count_not_positive_is_756(count: int) -> None:
    with pytest.raises(InvalidRequest) as caught:
        resolve_count(count)
    assert_invalid(caught.value, 756, "count", "count should be greater than 0")
    assert caught.value.code is ErrorCode.MANDATORY_FIELD


@pytest.mark.parametrize("count", [501, 1000, 2**31 - 1])
def test_resolve_count_over_500_is_677(count: int) -> None:
    with pytest.raises(InvalidRequest) as caught:
        resolve_count(count)
    assert_invalid(caught.value, 677, "count", "Invalid coupon count. Minimum 1 and Maximum 500.")
    assert caught.value.code is ErrorCode.INVALID_COUNT


# --- check_series_ids --------------------------------------------------------------------------


@pytest.mark.parametrize("series_ids", [[1], [415446, 535521], list(range(1, 101))])
def test_check_series_ids_accepts_1_to_100_positive_ids(series_ids: list[int]) -> None:
    assert check_series_ids(series_ids, "seriesIds") is None


@pytest.mark.parametrize("field", ["seriesId", "seriesIds"])
def test_check_series_ids_empty_is_756(field: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        check_series_ids([], field)
    assert_invalid(caught.value, 756, field, "seriesId is mandatory to set")


def test_check_series_ids_over_100_is_629() -> None:
    with pytest.raises(InvalidRequest) as caught:
        check_series_ids(list(range(1, 102)), "seriesIds")
    assert_invalid(caught.value, 629, "seriesIds", None)
    assert "100" in caught.value.message


@pytest.mark.parametrize("series_ids", [[0], [-1], [5, 0], [7, 8, -3]])
def test_check_series_ids_non_positive_is_756(series_ids: list[int]) -> None:
    with pytest.raises(InvalidRequest) as caught:
        check_series_ids(series_ids, "seriesId")
    assert_invalid(caught.value, 756, "seriesId", "seriesId is mandatory to set")


# --- check_customer ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "customer",
    [
        None,
        CustomerRef(IdentifierType.MOBILE, ""),
        CustomerRef(IdentifierType.EMAIL, "   "),
        CustomerRef(IdentifierType.EXTERNAL_ID, "\u3000"),
    ],
)
def test_check_customer_missing_or_blank_is_756(customer: CustomerRef | None) -> None:
    with pytest.raises(InvalidRequest) as caught:
        check_customer(customer)
    assert_invalid(caught.value, 756, "customer", None)
    assert caught.value.code is ErrorCode.MANDATORY_FIELD


@pytest.mark.parametrize("value", ["\t\n", "\x1c\x1d\x1e\x1f", "\x7f", "\x85", " \r ", "ab\x01"])
def test_check_customer_with_control_characters_is_629_not_756(value: str) -> None:
    """Stripping would leave most of these empty; they were given, so they are invalid input."""
    with pytest.raises(InvalidRequest) as caught:
        check_customer(CustomerRef(IdentifierType.EXTERNAL_ID, value))
    assert_invalid(
        caught.value,
        629,
        "customer.externalId",
        "Invalid input: customer.externalId must not contain control characters",
    )


@pytest.mark.parametrize(
    "customer",
    [
        CustomerRef(IdentifierType.MOBILE, "919999999999"),
        CustomerRef(IdentifierType.EMAIL, "a@example.com"),
        CustomerRef(IdentifierType.EXTERNAL_ID, "ext-1"),
        CustomerRef(IdentifierType.ID, "42"),
    ],
)
def test_check_customer_returns_a_named_customer(customer: CustomerRef) -> None:
    assert check_customer(customer) is customer


# --- check_metadata ----------------------------------------------------------------------------

METADATA_FIELDS = [
    ("source_type", "sourceType", 50),
    ("source_id", "sourceId", 50),
    ("source_activity", "sourceActivity", 50),
    ("notes", "notes", 250),
    ("reason", "reason", 250),
]


def test_the_domain_names_the_documented_fields_in_issuance_metadatas_order() -> None:
    assert [tuple(field) for field in ISSUANCE_FIELDS] == METADATA_FIELDS
    attributes = [field.name for field in dataclasses.fields(IssuanceMetadata)]
    assert [field.attribute for field in ISSUANCE_FIELDS] == attributes


def test_check_metadata_accepts_empty_and_every_field_at_its_limit() -> None:
    check_metadata(IssuanceMetadata())
    at_limit = IssuanceMetadata(
        **{attribute: "x" * limit for attribute, _, limit in METADATA_FIELDS}
    )
    assert check_metadata(at_limit) is None


@pytest.mark.parametrize(("attribute", "json_name", "limit"), METADATA_FIELDS)
def test_check_metadata_field_at_limit_passes(attribute: str, json_name: str, limit: int) -> None:
    metadata = dataclasses.replace(IssuanceMetadata(), **{attribute: "é" * limit})
    assert check_metadata(metadata) is None


@pytest.mark.parametrize(("attribute", "json_name", "limit"), METADATA_FIELDS)
def test_check_metadata_field_one_over_is_629_naming_the_field(
    attribute: str, json_name: str, limit: int
) -> None:
    metadata = dataclasses.replace(IssuanceMetadata(), **{attribute: "x" * (limit + 1)})

    with pytest.raises(InvalidRequest) as caught:
        check_metadata(metadata)

    assert_invalid(
        caught.value,
        629,
        f"metadata.{json_name}",
        f"Invalid input: metadata.{json_name} is longer than {limit} characters",
    )


def test_check_metadata_names_the_source_type_field() -> None:
    with pytest.raises(InvalidRequest) as caught:
        check_metadata(IssuanceMetadata(source_type="s" * 51, notes="n" * 10))
    assert caught.value.field == "metadata.sourceType"
    assert "metadata.sourceType" in caught.value.message
    assert caught.value.code == ErrorCode.INVALID_INPUT


# --- check_request_id --------------------------------------------------------------------------


@pytest.mark.parametrize("request_id", [None, "", "r", "k" * 127, "k" * 128])
def test_check_request_id_up_to_128_passes(request_id: str | None) -> None:
    assert check_request_id(request_id) is None


@pytest.mark.parametrize("length", [129, 1000])
def test_check_request_id_over_128_is_629(length: int) -> None:
    with pytest.raises(InvalidRequest) as caught:
        check_request_id("k" * length)
    assert_invalid(caught.value, 629, "requestId", "requestId must be at most 128 characters")


@pytest.mark.parametrize(
    "identifier", [IdentifierType.MOBILE, IdentifierType.EMAIL, IdentifierType.EXTERNAL_ID]
)
def test_check_customer_refuses_nul_characters(identifier: IdentifierType) -> None:
    with pytest.raises(InvalidRequest) as raised:
        check_customer(CustomerRef(identifier, "a\x00b"))
    assert raised.value.code == ErrorCode.INVALID_INPUT
    assert raised.value.field == f"customer.{identifier.value}"


def test_a_series_id_past_int64_is_refused_before_it_reaches_a_batch() -> None:
    with pytest.raises(InvalidRequest) as raised:
        check_series_ids([1, 2**63], "seriesId")
    assert raised.value.code == ErrorCode.INVALID_INPUT


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        (CustomerRef(IdentifierType.ID, "42"), 42),
        (CustomerRef(IdentifierType.ID, str(2**63 - 1)), 2**63 - 1),
        (CustomerRef(IdentifierType.ID, str(2**63)), None),
        (CustomerRef(IdentifierType.ID, "4x2"), None),
        (CustomerRef(IdentifierType.MOBILE, "0123"), "0123"),
    ],
)
def test_a_customer_ref_looks_up_by_a_number_only_for_an_id_a_customer_can_have(
    ref: CustomerRef, expected: int | str | None
) -> None:
    assert ref.lookup_value() == expected
