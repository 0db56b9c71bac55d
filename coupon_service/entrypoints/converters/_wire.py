"""What every service's messages share: moments, customer references, issuance metadata, and
the one-table-per-enum shape of every enum translation."""

from __future__ import annotations

import functools
from collections.abc import Hashable, Mapping
from datetime import UTC, datetime
from typing import TypeVar

from google.protobuf.timestamp_pb2 import Timestamp

from coupon.v1 import common_pb2

from ...domain.errors import invalid_input
from ...domain.model import ISSUANCE_FIELDS, CustomerRef, IdentifierType, IssuanceMetadata

_Domain = TypeVar("_Domain", bound=Hashable)
_Wire = TypeVar("_Wire", bound=Hashable)

# The CustomerRef `identifier` oneof: the field each kind of identifier travels in.
_IDENTIFIER_FIELDS = {
    IdentifierType.ID: "id",
    IdentifierType.MOBILE: "mobile",
    IdentifierType.EMAIL: "email",
    IdentifierType.EXTERNAL_ID: "externalId",
}


def inverted(table: Mapping[_Domain, _Wire]) -> dict[_Wire, _Domain]:
    """The other direction of a domain -> wire enum table, so each enum is written once."""
    inverse = {wire: domain for domain, wire in table.items()}
    if len(inverse) != len(table):
        raise ValueError("an enum table must be one to one")
    return inverse


_IDENTIFIER_OF = inverted(_IDENTIFIER_FIELDS)


# A batch's coupons share a few moments, so each is converted once. Message constructors copy
# a Timestamp they are given, so the cached ones are never changed.
@functools.lru_cache(maxsize=1024)
def to_timestamp(moment: datetime | None) -> Timestamp | None:
    """To the second: issuedAt, validTill and every other time of both doors."""
    if moment is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(moment.astimezone(UTC).replace(microsecond=0))
    return stamp


def moment(stamp: Timestamp, present: bool, field: str) -> datetime | None:
    """The moment a request's Timestamp names; one outside years 1 to 9999, or with nanos
    outside a second, is no moment at all (and would fail the conversion)."""
    if not present:
        return None
    try:
        return stamp.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError):
        raise invalid_input(field, f"Invalid input: {field} is not a valid timestamp") from None


def millis(moment: datetime | None) -> int:
    return 0 if moment is None else int(moment.timestamp() * 1000)


@functools.lru_cache(maxsize=4096)
def server_local_iso(moment: datetime) -> str:
    """ISO 8601 in the server's time zone, with Z for UTC, as the documents show it."""
    text = moment.astimezone().isoformat(timespec="seconds")
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


def customer_ref(message: common_pb2.CustomerRef) -> CustomerRef | None:
    which = message.WhichOneof("identifier")
    if which is None:
        return None
    return CustomerRef(_IDENTIFIER_OF[which], str(getattr(message, which)))


def metadata(message: common_pb2.IssuanceMetadata) -> IssuanceMetadata:
    return IssuanceMetadata(
        **{field.attribute: getattr(message, field.wire) for field in ISSUANCE_FIELDS}
    )


def issuance_message(meta: IssuanceMetadata) -> common_pb2.IssuanceMetadata:
    return common_pb2.IssuanceMetadata(
        **{field.wire: getattr(meta, field.attribute) for field in ISSUANCE_FIELDS}
    )
