"""Proto responses -> the documented JSON; every byte the shim sends is shaped here.

Proto3 JSON writes int64 as strings and leaves out fields with default values; the documents do
neither. `message_json` prints every field (an unset message or Timestamp as null), int64 as
JSON numbers, Timestamps as ISO 8601 ("2029-05-09T00:00:00Z"), keys in proto field order
(the documented order). The `*_json` functions then keep only what the documents show, so a
legacy caller never meets a field it does not know:

- IssuedCoupon's `validTill` and `issuedAt` (gRPC callers have them) are dropped; its `seriesId`
  and the response's `couponConfigs` are kept only in the several-series answer.
- An `errors` entry carries `seriesId` only in the answer to a several-series request: gRPC
  names the series of every entry, but the documents show none in the one-series answer, the
  bulk answer (whose `entityId` names it) or the error envelope.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from coupon.v1 import common_pb2, coupon_service_pb2

_INT64_TYPES = frozenset({FieldDescriptor.CPPTYPE_INT64, FieldDescriptor.CPPTYPE_UINT64})
_WELL_KNOWN_PREFIX = "google.protobuf."
_COUPON_FIELDS = ("code", "couponId")
_COUPON_FIELDS_SEVERAL_SERIES = ("code", "couponId", "seriesId")

JsonObject = dict[str, Any]


def message_json(message: Message) -> JsonObject:
    """`message` as JSON with every field present and int64 fields as numbers."""
    printed = json_format.MessageToDict(message, always_print_fields_with_no_presence=True)
    # The stubs type DESCRIPTOR as Descriptor | upb's Descriptor, but upb's is a Descriptor too
    # (isinstance holds), so the union is the stubs' artefact.
    return _object(message.DESCRIPTOR, printed)  # type: ignore[arg-type]


def issue_multiple_json(
    response: coupon_service_pb2.IssueMultipleResponse, *, several_series: bool
) -> JsonObject:
    """The documented /v2/coupon/issue/multiple response, in the several-series shape or the
    one-series shape (`converters.several_series` decides which, for both doors)."""
    rendered = message_json(response)
    kept = _COUPON_FIELDS_SEVERAL_SERIES if several_series else _COUPON_FIELDS
    rendered["coupons"] = [_only(coupon, kept) for coupon in rendered["coupons"]]
    rendered["errors"] = [_error_json(e, name_series=several_series) for e in rendered["errors"]]
    if not several_series:
        del rendered["couponConfigs"]
    return rendered


def bulk_issue_json(response: coupon_service_pb2.BulkIssueResponse) -> JsonObject:
    """The documented /v2/coupon/bulk/issue response; a series that issued nothing has
    `"result": null` and its reason in `errors`."""
    rendered = message_json(response)
    for entry in rendered["response"]:
        entry["errors"] = [_error_json(error, name_series=False) for error in entry["errors"]]
    return rendered


def error_envelope(*errors: common_pb2.IssueError) -> JsonObject:
    """The documented error body: `{"errors": [{"status": false, "code": 701, "message": …}]}`."""
    return {"errors": [_error_json(message_json(error), name_series=False) for error in errors]}


def _error_json(error: Mapping[str, Any], name_series: bool) -> JsonObject:
    return {key: value for key, value in error.items() if key != "seriesId" or name_series}


def _only(rendered: Mapping[str, Any], keys: tuple[str, ...]) -> JsonObject:
    return {key: rendered[key] for key in keys}


def _object(descriptor: Descriptor, printed: Mapping[str, Any]) -> JsonObject:
    return {
        field.json_name: _field(field, printed[field.json_name])
        if field.json_name in printed
        else None
        for field in descriptor.fields
    }


def _field(field: FieldDescriptor, value: Any) -> Any:
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        value_field = field.message_type.fields_by_name["value"]
        return {key: _single(value_field, item) for key, item in value.items()}
    if field.is_repeated:
        return [_single(field, item) for item in value]
    return _single(field, value)


def _single(field: FieldDescriptor, value: Any) -> Any:
    if field.cpp_type in _INT64_TYPES:
        return int(value)
    message_type = field.message_type
    if message_type is not None and not message_type.full_name.startswith(_WELL_KNOWN_PREFIX):
        return _object(message_type, value)
    return value
