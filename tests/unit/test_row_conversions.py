"""The store's row conversions: a series policy kept in its columns and read back whole."""

from __future__ import annotations

from coupon_service.adapters._convert import policy_values
from coupon_service.adapters._rows import series_from_mapping
from coupon_service.adapters.tables import series
from coupon_service.domain.model import Series
from tests.factories import EVERY_FIELD_CHOSEN

COUNTERS = {
    "id": 9,
    "num_issued": 0,
    "num_uploaded": 0,
    "latest_issued_at": None,
    "created_at": None,
    "num_redeemed": 0,
    "latest_redeemed_at": None,
}


def test_every_policy_field_is_kept_in_its_column_and_read_back() -> None:
    values = policy_values(EVERY_FIELD_CHOSEN)
    assert set(values) <= set(series.c.keys())
    assert values["do_not_resend_existing"] is True
    assert series_from_mapping(values | COUNTERS) == Series(9, EVERY_FIELD_CHOSEN)
