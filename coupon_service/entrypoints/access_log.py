"""The access line both front doors write, one per call, on the `coupon_service.access` logger.

Its fields are the record's extras (the log formatter turns them into JSON keys): `method`
(gRPC) or `route` (REST), `org`, `outcome`, `code`, `duration_ms`, `batch_size` and
`request_id`. Nothing of a request's body goes in, so no mobile, email, token or secret can.
"""

from __future__ import annotations

import logging

from ..service.telemetry import CallRecord

ACCESS_LOG = logging.getLogger("coupon_service.access")


def log_access(
    logger: logging.Logger,
    where: tuple[str, str],
    outcome: str | int,
    record: CallRecord,
    seconds: float,
) -> None:
    """`where` is ("method", the gRPC full method) or ("route", "POST /v2/...")."""
    duration_ms = round(seconds * 1000, 1)
    logger.info(
        "%s %s %.1f ms",
        where[1],
        outcome,
        duration_ms,
        extra={
            where[0]: where[1],
            "org": record.org,
            "outcome": outcome,
            "code": record.code,
            "duration_ms": duration_ms,
            "batch_size": record.batch_size,
            "request_id": record.request_id,
        },
    )
