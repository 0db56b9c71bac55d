"""Series the scenarios need beyond the demo data, created through the public gRPC API.

The demo series that allow several coupons per customer (415446) serve the GENERATED count=1
and count=500 scenarios; everything else gets its own series here, all unlimited and with
several coupons per customer allowed, so no scenario runs into a per-customer limit.
"""

from __future__ import annotations

import grpc

from coupon.v1 import series_service_pb2, series_service_pb2_grpc

from .calls import CALL_TIMEOUT_S, METADATA

GENERATED_DEMO_SERIES = 415446


async def create_series(
    target: str,
    description: str,
    *,
    uploaded: bool = False,
    alpha_numeric: bool = False,
    code_length: int = 0,
) -> int:
    """A new unlimited series allowing several coupons per customer; returns its id."""
    source = (
        series_service_pb2.CODE_SOURCE_UPLOADED
        if uploaded
        else series_service_pb2.CODE_SOURCE_GENERATED
    )
    series = series_service_pb2.Series(
        description=description,
        code_source=source,
        alpha_numeric=alpha_numeric,
        random_code_length=code_length,
        is_multiple_vouchers_per_user_allowed=True,
    )
    async with grpc.aio.insecure_channel(target) as channel:
        stub = series_service_pb2_grpc.SeriesServiceStub(channel)
        created = await stub.CreateSeries(
            series_service_pb2.CreateSeriesRequest(series=series),
            timeout=CALL_TIMEOUT_S,
            metadata=METADATA,
        )
    return int(created.id)


async def create_bulk_series(target: str, count: int) -> tuple[int, ...]:
    return tuple(
        [await create_series(target, f"bench bulk {number}") for number in range(1, count + 1)]
    )


async def get_series(target: str, series_id: int) -> series_service_pb2.Series:
    async with grpc.aio.insecure_channel(target) as channel:
        stub = series_service_pb2_grpc.SeriesServiceStub(channel)
        series: series_service_pb2.Series = await stub.GetSeries(
            series_service_pb2.GetSeriesRequest(series_id=series_id),
            timeout=CALL_TIMEOUT_S,
            metadata=METADATA,
        )
    return series
