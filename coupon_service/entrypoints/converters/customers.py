"""CustomerService messages <-> customers and the changes asked of them."""

from __future__ import annotations

from datetime import UTC, datetime

from coupon.v1 import customer_service_pb2 as pb

from ...domain.model import Customer
from ...service.customers import CustomerChanges
from ._wire import to_timestamp

_CHANGEABLE = ("first_name", "last_name", "mobile", "email", "external_id")


def new_customer(message: pb.Customer) -> Customer:
    epoch = datetime.fromtimestamp(0, UTC)
    return Customer(
        id=message.id,
        first_name=message.first_name,
        last_name=message.last_name,
        mobile=message.mobile or None,
        email=message.email or None,
        external_id=message.external_id or None,
        created_at=epoch,
        updated_at=epoch,
    )


def customer_changes(message: pb.UpdateCustomerRequest) -> CustomerChanges:
    return CustomerChanges(
        **{name: getattr(message, name) if message.HasField(name) else None for name in _CHANGEABLE}
    )


def customer_message(customer: Customer) -> pb.Customer:
    return pb.Customer(
        id=customer.id,
        first_name=customer.first_name,
        last_name=customer.last_name,
        mobile=customer.mobile or "",
        email=customer.email or "",
        external_id=customer.external_id or "",
        create_time=to_timestamp(customer.created_at),
        update_time=to_timestamp(customer.updated_at),
    )
