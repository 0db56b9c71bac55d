"""The real grpcurl and coupon-service binaries of this environment, and the services of coupon.v1
that grpcurl lists."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

BIN = Path(sys.executable).parent
GRPCURL = str(BIN / "grpcurl")
COUPON_SERVICE = str(BIN / "coupon-service")
SERVICES = ("coupon.v1.CouponService", "coupon.v1.SeriesService", "coupon.v1.CustomerService")


async def grpcurl(*args: str) -> tuple[int, str, str]:
    """Runs the real grpcurl without blocking the event loop the server runs on."""
    process = await asyncio.create_subprocess_exec(
        GRPCURL, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()
