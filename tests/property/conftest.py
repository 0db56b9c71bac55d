"""Hypothesis profiles for the property suite: `ci` (the default) and `stress`.

`ci` is derandomized, so CI runs the same examples every time and a failure reproduces
locally; `stress` draws fresh examples, many more of them. Choose with HYPOTHESIS_PROFILE.
Each test asks for a share of the profile's budget through `examples()` (scenarios.py), so
both profiles keep the tests' relative sizes.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=300,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "stress",
    deadline=None,
    max_examples=2_000,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
