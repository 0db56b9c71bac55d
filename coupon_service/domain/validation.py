"""Checks on an issue request that need no data: mandatory fields, count range, metadata lengths."""

from __future__ import annotations

from .errors import (
    INVALID_COUNT_MESSAGE,
    ErrorCode,
    InvalidRequest,
    invalid_input,
    mandatory,
)
from .issuing import MAX_COUNT
from .model import MAX_ID, CustomerRef, IssuanceMetadata

MAX_SERIES_PER_CALL = 100
MAX_REQUEST_ID_LENGTH = 128
_METADATA_LIMITS = {
    "sourceType": ("source_type", 50),
    "sourceId": ("source_id", 50),
    "sourceActivity": ("source_activity", 50),
    "notes": ("notes", 250),
    "reason": ("reason", 250),
}


def check_text(field: str, value: str) -> None:
    """Refuses characters no database can store (PostgreSQL rejects NUL in text)."""
    if "\x00" in value:
        raise invalid_input(field, f"{field} must not contain NUL characters")


def check_series_ids(series_ids: list[int], field: str) -> None:
    if not series_ids:
        raise mandatory(field, "seriesId is mandatory to set")
    if len(series_ids) > MAX_SERIES_PER_CALL:
        raise invalid_input(field, f"at most {MAX_SERIES_PER_CALL} series ids per call")
    if any(series_id <= 0 for series_id in series_ids):
        raise mandatory(field, "seriesId is mandatory to set")
    if any(series_id > MAX_ID for series_id in series_ids):
        # Not an id any series can have; a database would refuse it mid-batch.
        raise invalid_input(field, f"a series id is at most {MAX_ID}")


def resolve_count(count: int | None) -> int:
    """The number of coupons per series: 1 when omitted, else 1 to 500."""
    if count is None:
        return 1
    if count <= 0:
        raise mandatory("count", "count should be greater than 0")
    if count > MAX_COUNT:
        raise InvalidRequest(ErrorCode.INVALID_COUNT, INVALID_COUNT_MESSAGE, field="count")
    return count


def check_customer(customer: CustomerRef | None) -> CustomerRef:
    if customer is None or not customer.value.strip():
        raise mandatory(
            "customer", "customer is mandatory to set: give mobile, email or externalId"
        )
    check_text(f"customer.{customer.type.value}", customer.value)
    return customer


def check_metadata(metadata: IssuanceMetadata) -> None:
    for json_name, (attribute, limit) in _METADATA_LIMITS.items():
        check_text(f"metadata.{json_name}", getattr(metadata, attribute))
        if len(getattr(metadata, attribute)) > limit:
            raise invalid_input(
                f"metadata.{json_name}",
                f"Invalid input: metadata.{json_name} is longer than {limit} characters",
            )


def check_request_id(request_id: str | None) -> None:
    if request_id is not None:
        check_text("requestId", request_id)
    if request_id is not None and len(request_id) > MAX_REQUEST_ID_LENGTH:
        raise invalid_input(
            "requestId", f"requestId must be at most {MAX_REQUEST_ID_LENGTH} characters"
        )
