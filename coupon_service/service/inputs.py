"""The inputs of the batched use cases (issuing, redeeming): the requests as the entry points
give them, and a call validated and waiting for its batch."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from ..domain.model import CustomerRef, IssuanceMetadata


@dataclasses.dataclass(frozen=True)
class IssueRequest:
    """IssueMultiple's input. `series_ids` holds one id for the single-series form."""

    series_ids: list[int]
    count: int | None
    customer: CustomerRef | None
    metadata: IssuanceMetadata = IssuanceMetadata()
    request_id: str | None = None


@dataclasses.dataclass(frozen=True)
class BulkIssueRequest:
    series_ids: list[int]
    customer: CustomerRef | None
    metadata: IssuanceMetadata = IssuanceMetadata()
    request_id: str | None = None


@dataclasses.dataclass(frozen=True)
class IssueCall:
    """One IssueMultiple or BulkIssue call, validated, waiting for its batch."""

    org_id: int
    bulk: bool  # BulkIssue: each series answers alone. IssueMultiple: the call succeeds whole.
    customer: CustomerRef
    series_ids: tuple[int, ...]
    count: int
    metadata: IssuanceMetadata
    request_id: str | None
    fingerprint: str
    issued_at: datetime

    @property
    def weight(self) -> int:
        return self.count * len(self.series_ids)


@dataclasses.dataclass(frozen=True)
class RedeemRequest:
    code: str
    customer: CustomerRef | None
    bill_number: str = ""
    bill_amount: int | None = None  # In the currency's minor unit.
    request_id: str | None = None


@dataclasses.dataclass(frozen=True)
class RedeemCall:
    """A checked RedeemCoupon request, waiting for its batch."""

    org_id: int
    request: RedeemRequest
    customer: CustomerRef
    fingerprint: str | None  # Of the request, when it has a request id.
    moment: datetime

    @property
    def request_key(self) -> tuple[int, str] | None:
        key = self.request.request_id
        return None if key is None else (self.org_id, key)

    @property
    def customer_key(self) -> tuple[int, CustomerRef]:
        return self.org_id, self.customer
