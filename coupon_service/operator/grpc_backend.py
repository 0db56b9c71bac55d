"""The operator commands over gRPC, through the asynchronous typed client; the event feed is
followed only this way.

Customers are imported with GetCustomer, CreateCustomer and UpdateCustomer, many records at
once; records that reach the same customer are applied one after another, in file order, so
the outcome is the one the database path (import_or_update_customers) gives.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncGenerator, Awaitable, Sequence
from typing import TypeVar, cast

from coupon_client import (
    AlreadyExists,
    ClientTls,
    CouponClient,
    CouponEvent,
    CustomerNotFound,
    InvalidRequest,
    Unavailable,
    basic,
    customer_ref,
)
from coupon_client import CustomerChanges as ClientCustomerChanges
from coupon_client import CustomerRef as CustomerRefMessage

from coupon.v1 import customer_service_pb2, series_service_pb2

from ..domain import errors as domain_errors
from ..domain.model import Customer, CustomerRef, IdentifierType
from ..entrypoints import converters
from ..service.customer_import import (
    CustomerRecord,
    ImportAction,
    ImportOutcome,
    find_for_import,
    import_changes,
    match_for_import,
)
from .backends import RECORDS_IN_FLIGHT, Uploaded
from .target import Server

_PAGE = 1000
_T = TypeVar("_T")
_REF_ARGUMENT = {
    IdentifierType.ID: "id",
    IdentifierType.MOBILE: "mobile",
    IdentifierType.EMAIL: "email",
    IdentifierType.EXTERNAL_ID: "external_id",
}


def _ref_message(ref: CustomerRef) -> CustomerRefMessage:
    value: int | str = int(ref.value) if ref.type is IdentifierType.ID else ref.value
    return customer_ref(**{_REF_ARGUMENT[ref.type]: value})  # type: ignore[arg-type]


class GrpcBackend:
    def __init__(self, client: CouponClient, server: Server) -> None:
        self._client = client
        self._server = server
        self._in_flight = asyncio.Semaphore(RECORDS_IN_FLIGHT)

    @classmethod
    def connect(cls, server: Server) -> GrpcBackend:
        tls = None
        if server.tls:
            tls = ClientTls.from_files(server.tls_ca, server.tls_cert, server.tls_key)
        authorization = basic(server.key_id, server.secret)
        client = CouponClient(
            server.address, authorization=authorization, tls=tls, timeout=server.timeout
        )
        return cls(client, server)

    async def create_series(self, series: series_service_pb2.Series) -> series_service_pb2.Series:
        return await self._client.create_series(series)

    async def get_series(self, series_id: int) -> series_service_pb2.Series:
        return await self._client.get_series(series_id)

    async def list_series(self) -> list[series_service_pb2.Series]:
        found: list[series_service_pb2.Series] = []
        token = ""
        while True:
            page = await self._client.list_series(page_size=_PAGE, page_token=token)
            found += page.series
            if not (token := page.next_page_token):
                return found

    async def upload_codes(self, series_id: int, codes: list[str]) -> Uploaded:
        answer = await self._client.upload_codes(series_id, codes)
        return Uploaded(answer.uploaded_count, len(answer.duplicate_codes))

    async def customer_coupons(
        self, customer: CustomerRef, series_id: int
    ) -> list[customer_service_pb2.Coupon]:
        found: list[customer_service_pb2.Coupon] = []
        token, ref = "", _ref_message(customer)
        while True:
            page = await self._client.list_customer_coupons(
                ref, series_id=series_id, page_size=_PAGE, page_token=token
            )
            found += page.coupons
            if not (token := page.next_page_token):
                return found

    async def watch_events(
        self, after: str, *, from_now: bool
    ) -> AsyncGenerator[CouponEvent, None]:
        """The organisation's events (see CouponClient.watch_events), once the server was
        reached within --timeout: the client itself would wait for it however long, which
        suits a consumer but leaves an operator who mistyped the address with no answer."""
        try:
            await asyncio.wait_for(self._client.channel.channel_ready(), self._server.timeout)
        except TimeoutError:
            raise Unavailable(
                f"could not reach {self._server.address} within {self._server.timeout:g} s"
            ) from None
        events = self._client.watch_events(after, from_now=from_now)
        async with contextlib.aclosing(events):  # Cancels the call as soon as we stop.
            async for event in events:
                yield event

    async def import_customers(self, records: Sequence[CustomerRecord]) -> list[ImportOutcome]:
        """Looks every record's customer up at once, then applies the records at once, except
        that records reaching the same customer go one after another."""
        found = await asyncio.gather(
            *(self._limited(find_for_import(record, self._find)) for record in records)
        )
        outcomes = [ImportOutcome(ImportAction.REJECTED)] * len(records)
        # A group per existing customer (its id), and one per record creating a new one.
        groups: dict[int, list[int]] = {}
        bases: dict[int, Customer | None] = {}
        for index, (record, named) in enumerate(zip(records, found, strict=True)):
            try:
                existing = match_for_import(record, named)
            except domain_errors.InvalidRequest as refused:
                outcomes[index] = ImportOutcome(ImportAction.REJECTED, reason=refused.message)
                continue
            group = -1 - index if existing is None else existing.id
            groups.setdefault(group, []).append(index)
            bases.setdefault(group, existing)

        async def apply(indices: list[int], current: Customer | None) -> None:
            for index in indices:
                outcomes[index], current = await self._apply(records[index], current)

        await asyncio.gather(*(self._limited(apply(groups[g], bases[g])) for g in groups))
        return outcomes

    async def _find(self, ref: CustomerRef) -> Customer | None:
        try:
            return converters.new_customer(await self._client.get_customer(_ref_message(ref)))
        except CustomerNotFound:
            return None

    async def _apply(
        self, record: CustomerRecord, current: Customer | None
    ) -> tuple[ImportOutcome, Customer | None]:
        """Creates the record's customer, or updates `current` with it; what it did, and the
        customer as it is now."""
        try:
            if current is None:
                created = await self._client.create_customer(_new_customer(record))
                return ImportOutcome(ImportAction.CREATED, created.id), None
            changes = import_changes(record, current)
            if changes is None:
                return ImportOutcome(ImportAction.UNCHANGED, current.id), current
            # CustomerChanges' fields are the client's keyword arguments, by the same names.
            given = {k: v for k, v in dataclasses.asdict(changes).items() if v is not None}
            updated = await self._client.update_customer(
                current.id, **cast(ClientCustomerChanges, given)
            )
            now = converters.new_customer(updated)
            return ImportOutcome(ImportAction.UPDATED, current.id), now
        except (InvalidRequest, AlreadyExists) as refused:
            return ImportOutcome(ImportAction.REJECTED, reason=refused.message), current

    async def _limited(self, work: Awaitable[_T]) -> _T:
        async with self._in_flight:
            return await work

    async def close(self) -> None:
        await self._client.close()


def _new_customer(record: CustomerRecord) -> customer_service_pb2.Customer:
    return customer_service_pb2.Customer(
        first_name=record.first_name or "",
        last_name=record.last_name or "",
        mobile=record.mobile or "",
        email=record.email or "",
        external_id=record.external_id or "",
    )
