"""Driver rows (sqlite3 tuples, asyncpg records) as domain objects, for the batch stores.

The conversions themselves are `_convert`'s; this only puts a driver's row into the shape
they read, with its timestamps and booleans as Python values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from ..domain.model import Coupon, Customer, Redemption, Series
from ._convert import coupon_from_row, customer_from_row, redemption_from_row, series_from_row

_SERIES_TIMES = (
    "valid_till",
    "fixed_expiry_date",
    "latest_issued_at",
    "created_at",
    "latest_redeemed_at",
)
_SERIES_FLAGS = (
    "alpha_numeric",
    "multiple_per_user_allowed",
    "do_not_resend_existing",
    "externally_managed",
)
_CUSTOMER_TIMES = ("created_at", "updated_at")
_COUPON_TIMES = ("issued_at", "valid_till", "latest_redeemed_at", "revoked_at")
_REDEMPTION_TIMES = ("redeemed_at", "reversed_at")
Moment = Callable[[Any], datetime | None]


def _same(value: Any) -> datetime | None:
    return value  # type: ignore[no-any-return]


def series_from_mapping(row: Mapping[str, Any], moment: Moment = _same) -> Series:
    values = dict(row)
    for name in _SERIES_TIMES:
        values[name] = moment(values[name])
    for name in _SERIES_FLAGS:
        values[name] = bool(values[name])
    return series_from_row(SimpleNamespace(**values))  # type: ignore[arg-type]


def customer_from_mapping(row: Mapping[str, Any], moment: Moment = _same) -> Customer:
    values = dict(row)
    for name in _CUSTOMER_TIMES:
        values[name] = moment(values[name])
    return customer_from_row(SimpleNamespace(**values))  # type: ignore[arg-type]


def coupon_from_mapping(row: Mapping[str, Any], moment: Moment = _same) -> Coupon:
    """A coupon row with its series' redemption limits, as coupon_repository reads it."""
    values = dict(row)
    for name in _COUPON_TIMES:
        values[name] = moment(values[name])
    return coupon_from_row(SimpleNamespace(**values))  # type: ignore[arg-type]


def redemption_from_mapping(row: Mapping[str, Any], moment: Moment = _same) -> Redemption:
    values = dict(row)
    for name in _REDEMPTION_TIMES:
        values[name] = moment(values[name])
    return redemption_from_row(SimpleNamespace(**values))  # type: ignore[arg-type]
