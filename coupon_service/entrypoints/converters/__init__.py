"""Proto <-> domain translation, in one place for every entry point (gRPC, the REST shim and
the operator commands): one module per service, and `_wire` for what their messages share."""

from __future__ import annotations

from ._wire import customer_ref, issuance_message, metadata, server_local_iso, to_timestamp
from .customers import customer_changes, customer_message, new_customer
from .issuing import (
    NO_VALUE,
    bulk_issue_request,
    bulk_issue_response,
    coupon_config,
    customer_view,
    error_entry,
    issue_multiple_response,
    issue_request,
    issued_coupon,
    several_series,
)
from .lifecycle import (
    coupon_lookup,
    coupon_message,
    event_message,
    redeem_request,
    redeem_response,
    redemption_message,
    reverse_response,
    series_coupons_query,
    validate_response,
)
from .series import series_message, series_policy

__all__ = [
    "NO_VALUE",
    "bulk_issue_request",
    "bulk_issue_response",
    "coupon_config",
    "coupon_lookup",
    "coupon_message",
    "customer_changes",
    "customer_message",
    "customer_ref",
    "customer_view",
    "error_entry",
    "event_message",
    "issuance_message",
    "issue_multiple_response",
    "issue_request",
    "issued_coupon",
    "metadata",
    "new_customer",
    "redeem_request",
    "redeem_response",
    "redemption_message",
    "reverse_response",
    "series_coupons_query",
    "series_message",
    "series_policy",
    "server_local_iso",
    "several_series",
    "to_timestamp",
    "validate_response",
]
