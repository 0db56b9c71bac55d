"""The demo data's key, customer and series as the e2e tests name them."""

from __future__ import annotations

import base64

DEMO_AUTHORIZATION = "Basic " + base64.b64encode(b"demo:demo-secret").decode()
DEMO_MOBILE = "11223569865"
DEMO_CUSTOMER_ID = 555567088
POOL_SERIES = 700001  # The demo's uploaded pool: 100 codes.
