"""The documented JSON object -> the proto request that gRPC callers send; `converters` then
takes it the rest of the way, exactly as for gRPC.

Only JSON types are checked here; every rule about values (count 1 to 500, seriesId present,
metadata lengths, the customer existing) belongs to the use case, so gRPC and REST answer alike.
Fields the documents do not name are ignored; `null` means "not given" where a field is optional.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from google.protobuf import json_format
from google.protobuf.message import Message

from coupon.v1 import coupon_service_pb2

from ...domain import validation
from ...domain.errors import invalid_input
from ...domain.model import ISSUANCE_FIELDS

_INT64_LIMIT = 2**63
_INT32_LIMIT = 2**31
_IDENTIFIERS = ("id", "mobile", "email", "externalId")
_SERIES_FIELDS = ("seriesId", "seriesIds")
_Message = TypeVar("_Message", bound=Message)


def issue_multiple_request(
    body: Mapping[str, Any], idempotency_key: str | None
) -> coupon_service_pb2.IssueMultipleRequest:
    """`seriesId` may be one id or a list of ids (the documents' examples show both); the
    document's request table names the field `seriesIds`, so that spelling means the same."""
    shaped = _customer_and_metadata(body, idempotency_key)
    given = [name for name in _SERIES_FIELDS if body.get(name) is not None]
    validation.check_series_named_once("seriesId" in given, "seriesIds" in given)
    for name in given:
        series = body[name]
        if isinstance(series, list):
            shaped["seriesIds"] = [_integer(item, name, _INT64_LIMIT) for item in series]
        else:
            expected = "an integer or a list of integers"
            shaped["seriesId"] = _integer(series, name, _INT64_LIMIT, expected)
    if body.get("count") is not None:
        shaped["count"] = _integer(body["count"], "count", _INT32_LIMIT)
    return _parsed(shaped, coupon_service_pb2.IssueMultipleRequest())


def bulk_issue_request(
    body: Mapping[str, Any], idempotency_key: str | None
) -> coupon_service_pb2.BulkIssueRequest:
    shaped = _customer_and_metadata(body, idempotency_key)
    series = body.get("seriesIds")
    if series is not None:
        if not isinstance(series, list):
            raise invalid_input("seriesIds", "Invalid input: seriesIds must be a list of integers")
        shaped["seriesIds"] = [_integer(item, "seriesIds", _INT64_LIMIT) for item in series]
    return _parsed(shaped, coupon_service_pb2.BulkIssueRequest())


def _customer_and_metadata(body: Mapping[str, Any], idempotency_key: str | None) -> dict[str, Any]:
    shaped: dict[str, Any] = {"requestId": idempotency_key} if idempotency_key else {}
    customer = body.get("customer")
    if customer is not None:
        shaped["customer"] = _customer(customer)
    metadata = body.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, dict):
            raise invalid_input("metadata", "Invalid input: metadata must be an object")
        shaped["metadata"] = {
            field.wire: _string(metadata[field.wire], f"metadata.{field.wire}")
            for field in ISSUANCE_FIELDS
            if metadata.get(field.wire) is not None
        }
    return shaped


def _customer(customer: object) -> dict[str, Any]:
    one_of = "one of id, mobile, email, externalId"
    if not isinstance(customer, dict):
        raise invalid_input("customer", f"Invalid input: customer must be an object with {one_of}")
    given = [name for name in _IDENTIFIERS if name in customer]
    if len(given) > 1:
        raise invalid_input("customer", f"Invalid input: customer must name exactly {one_of}")
    return {
        name: _integer(customer[name], "customer.id", _INT64_LIMIT)
        if name == "id"
        else _string(customer[name], f"customer.{name}")
        for name in given
    }


def _integer(value: object, field: str, limit: int, expected: str = "an integer") -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON has one number type: 2.0 is the integer 2.
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid_input(field, f"Invalid input: {field} must be {expected}")
    if not -limit <= value < limit:
        raise invalid_input(field, f"Invalid input: {field} is out of range")
    return value


def _string(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise invalid_input(field, f"Invalid input: {field} must be a string")
    return value


def _parsed(shaped: dict[str, Any], message: _Message) -> _Message:
    try:
        json_format.ParseDict(shaped, message)
    except json_format.ParseError as error:  # A safety net: the checks above leave none.
        raise invalid_input("body", f"Invalid input: {error}") from None
    return message
