"""The series a scenario issues from, made through the public gRPC API with the demo key.

Generated codes are 12 alphanumeric characters, so no series' code space is ever what limits
it; each scenario gets series of its own, so the audit of one never counts another's coupons.
"""

from __future__ import annotations

from benchmarks.calls import METADATA
from coupon.v1 import series_service_pb2

from .replicas import ATTEMPT_TIMEOUT_S, Replica

UPLOAD_CHUNK = 5_000


async def create_series(
    replica: Replica,
    description: str,
    *,
    uploaded: bool = False,
    max_create: int | None = None,
    max_per_customer: int | None = None,
    one_per_customer: bool = False,
) -> int:
    """A new series; `one_per_customer` refuses a second coupon with 709 (no resending)."""
    series = series_service_pb2.Series(
        description=description,
        code_source=series_service_pb2.CODE_SOURCE_UPLOADED
        if uploaded
        else series_service_pb2.CODE_SOURCE_GENERATED,
        alpha_numeric=True,
        random_code_length=12,
        max_create=max_create,
        max_vouchers_per_user=max_per_customer,
        is_multiple_vouchers_per_user_allowed=not one_per_customer,
        do_not_resend_existing_voucher=one_per_customer,
    )
    created = await replica.series.CreateSeries(
        series_service_pb2.CreateSeriesRequest(series=series),
        timeout=ATTEMPT_TIMEOUT_S,
        metadata=METADATA,
    )
    return int(created.id)


async def upload_pool(replica: Replica, series_id: int, size: int) -> None:
    """Uploads `size` codes, named after the series so that no two pools share one."""
    codes = [f"S{series_id}N{number:06d}" for number in range(1, size + 1)]
    for start in range(0, size, UPLOAD_CHUNK):
        reply = await replica.series.UploadCodes(
            series_service_pb2.UploadCodesRequest(
                series_id=series_id, codes=codes[start : start + UPLOAD_CHUNK]
            ),
            timeout=60,
            metadata=METADATA,
        )
        if reply.duplicate_codes:
            raise RuntimeError(f"codes already uploaded: {list(reply.duplicate_codes)[:3]}")
