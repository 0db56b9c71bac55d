"""Issuing calls that keep going through faults: every first answer is recorded, and a call
told UNAVAILABLE is retried with the same request id, as the documents tell callers to."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import uuid

import grpc
import httpx
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from coupon.v1 import (
    coupon_service_pb2,
    coupon_service_pb2_grpc,
    series_service_pb2,
    series_service_pb2_grpc,
)
from coupon_service.demo import DEMO_KEY_ID, DEMO_KEY_SECRET, LOAD_CUSTOMER_MOBILES

AUTHORIZATION = "Basic " + base64.b64encode(f"{DEMO_KEY_ID}:{DEMO_KEY_SECRET}".encode()).decode()
SERIES = 415446  # Generated codes, many per customer: every call can issue.
RETRIES = 40


@dataclasses.dataclass
class Tally:
    """What the callers saw: every answer's status, and the codes of the calls that issued."""

    statuses: list[str] = dataclasses.field(default_factory=list)
    codes_by_request: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    retry_infos: int = 0

    @property
    def codes(self) -> list[str]:
        return [code for codes in self.codes_by_request.values() for code in codes]


async def issue_over_grpc(target: str, tally: Tally, calls: int, worker: int) -> None:
    async with grpc.aio.insecure_channel(target) as channel:
        stub = coupon_service_pb2_grpc.CouponServiceStub(channel)
        for number in range(calls):
            request_id = f"grpc-{worker}-{number}-{uuid.uuid4().hex[:8]}"
            mobile = LOAD_CUSTOMER_MOBILES[(worker * calls + number) % len(LOAD_CUSTOMER_MOBILES)]
            request = coupon_service_pb2.IssueMultipleRequest(
                seriesId=SERIES, count=1, customer={"mobile": mobile}, requestId=request_id
            )
            for _ in range(RETRIES):
                try:
                    reply = await stub.IssueMultiple(
                        request, timeout=10, metadata=(("authorization", AUTHORIZATION),)
                    )
                except grpc.aio.AioRpcError as error:
                    tally.statuses.append(error.code().name)
                    if error.code() is not grpc.StatusCode.UNAVAILABLE:
                        break
                    tally.retry_infos += _has_retry_info(error)
                    await asyncio.sleep(0.05)
                    continue
                tally.statuses.append("OK")
                tally.codes_by_request[request_id] = [c.code for c in reply.coupons]
                break


async def read_over_grpc(target: str, tally: Tally, calls: int) -> None:
    """Management calls, each a transaction of its own: ListSeries, with no retries."""
    async with grpc.aio.insecure_channel(target) as channel:
        stub = series_service_pb2_grpc.SeriesServiceStub(channel)
        for _ in range(calls):
            try:
                await stub.ListSeries(
                    series_service_pb2.ListSeriesRequest(page_size=50),
                    timeout=10,
                    metadata=(("authorization", AUTHORIZATION),),
                )
            except grpc.aio.AioRpcError as error:
                tally.statuses.append(error.code().name)
                tally.retry_infos += _has_retry_info(error)
            else:
                tally.statuses.append("OK")


async def issue_over_rest(base_url: str, tally: Tally, calls: int, worker: int) -> None:
    headers = {"Authorization": AUTHORIZATION, "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=10) as http:
        for number in range(calls):
            request_id = f"rest-{worker}-{number}-{uuid.uuid4().hex[:8]}"
            mobile = LOAD_CUSTOMER_MOBILES[(worker * calls + number) % len(LOAD_CUSTOMER_MOBILES)]
            body = {"seriesId": SERIES, "count": 1, "customer": {"mobile": mobile}}
            for _ in range(RETRIES):
                response = await http.post(
                    "/v2/coupon/issue/multiple", json=body, headers={"Idempotency-Key": request_id}
                )
                tally.statuses.append(str(response.status_code))
                if response.status_code == 503:
                    tally.retry_infos += "Retry-After" in response.headers
                    await asyncio.sleep(0.05)
                    continue
                if response.status_code == 200:
                    coupons = response.json()["coupons"]
                    tally.codes_by_request[request_id] = [c["code"] for c in coupons]
                break


def _has_retry_info(error: grpc.aio.AioRpcError) -> bool:
    status = rpc_status.from_call(error)
    if status is None:
        return False
    return any(detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR) for detail in status.details)
