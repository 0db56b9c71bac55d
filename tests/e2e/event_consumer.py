"""A WatchEvents consumer as another service would run it, in a process of its own, for the
resume test (test_event_feed_resume.py) to kill at any moment and start again.

    python event_consumer.py HOST:PORT AUTHORIZATION FILE

It appends one line per event to FILE, `cursor type coupon_id redemption_id` (0: none), in one
write(2) each, and echoes the line on stdout for the test to follow. The line is the consumer's
persisted cursor: an event counts as processed once its line is in the file, and a restart
resumes after the last complete line, so no event is written twice and none is skipped. A
line a kill cut short (SIGKILL cannot, for one small write, but a crash of the machine could)
was not processed and is dropped.
"""

from __future__ import annotations

import asyncio
import os
import pathlib
import sys

import grpc

from coupon.v1 import coupon_service_pb2, coupon_service_pb2_grpc


def resume_cursor(path: pathlib.Path) -> str:
    """The cursor of the last complete line ("" for none), after cutting off a torn one."""
    if not path.exists():
        return ""
    text = path.read_bytes()
    complete = text[: text.rfind(b"\n") + 1]
    if len(complete) < len(text):
        os.truncate(path, len(complete))
    lines = complete.splitlines()
    return lines[-1].split()[0].decode() if lines else ""


def event_line(event: coupon_service_pb2.CouponEvent) -> bytes:
    redemption_id = event.redemption.id if event.HasField("redemption") else 0
    return f"{event.cursor} {event.type} {event.coupon_id} {redemption_id}\n".encode()


async def consume(target: str, authorization: str, path: pathlib.Path) -> None:
    after = resume_cursor(path)
    output = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        async with grpc.aio.insecure_channel(target) as channel:
            stream = coupon_service_pb2_grpc.CouponServiceStub(channel).WatchEvents(
                coupon_service_pb2.WatchEventsRequest(after=after),
                metadata=(("authorization", authorization),),
            )
            async for event in stream:
                line = event_line(event)
                os.write(output, line)  # Unbuffered: in the file the moment this returns.
                sys.stdout.buffer.write(line)
                sys.stdout.buffer.flush()
    finally:
        os.close(output)


def main() -> None:
    target, authorization, path = sys.argv[1:]
    asyncio.run(consume(target, authorization, pathlib.Path(path)))


if __name__ == "__main__":
    main()
