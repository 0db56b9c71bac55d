"""The server under test, started as `make run` starts it, plus the benchmark's empty RPC.

    python -m benchmarks.server_process --db-url URL [--grace S] [--max-seconds S]

Builds `coupon_service.config.Settings` (demo data on, gRPC and REST on free ports of
127.0.0.1) and calls `coupon_service.app.start` with one extra generic handler,
`/coupon.bench.Echo/Empty`: raw bytes in, b"" out, no (de)serializers. It is served by the same
grpc.aio server, behind the same interceptors (authentication included), on the same event
loop and in the same process, which makes it the ceiling a real call is compared with.

Once both doors listen it prints one JSON line on stdout, `{"grpc_port": …, "http_port": …,
"pid": …}`, then points stdout at stderr (the log) so nothing can fill an unread pipe. It serves
until SIGTERM or SIGINT, then stops gracefully. It also stops by itself when the process that
started it dies (the harness was killed) or after `--max-seconds`, so no server outlives a run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from typing import Any

import grpc

from coupon_service import config
from coupon_service.app import start
from coupon_service.config import Settings
from coupon_service.logs import configure_logging

ECHO_SERVICE = "coupon.bench.Echo"
ECHO_METHOD = f"/{ECHO_SERVICE}/Empty"
logger = logging.getLogger("benchmarks.server_process")


async def _empty(_request: bytes, _context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
    return b""


def echo_handler() -> grpc.GenericRpcHandler:
    """The empty unary RPC: no deserializer, no serializer, so it moves raw bytes."""
    return grpc.method_handlers_generic_handler(
        ECHO_SERVICE, {"Empty": grpc.unary_unary_rpc_method_handler(_empty)}
    )


async def _watch_parent(parent: int, stopping: asyncio.Event) -> None:
    while not stopping.is_set():
        if os.getppid() != parent:
            logger.warning("the benchmark harness is gone: stopping")
            stopping.set()
        await asyncio.sleep(0.5)


async def serve(settings: Settings, max_seconds: float) -> None:
    parent = os.getppid()
    service = await start(settings, extra_handlers=[echo_handler()])
    ports = {"grpc_port": service.grpc_port, "http_port": service.http_port, "pid": os.getpid()}
    sys.stdout.write(json.dumps(ports) + "\n")
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    logger.info("serving gRPC on %s:%d (benchmark launcher)", settings.host, service.grpc_port)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    watcher = asyncio.create_task(_watch_parent(parent, stopping))
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), max_seconds)
    watcher.cancel()
    logger.info("shutting down")
    await service.stop()
    logger.info("stopped")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="coupon-service with the benchmark echo RPC")
    parser.add_argument("--db-url", required=True)
    parser.add_argument("--grace", type=float, default=2.0)
    parser.add_argument("--max-seconds", type=float, default=1800.0)
    args = parser.parse_args(argv)
    # As `make run` does: the environment's settings and logging, the flags below on top.
    settings = config.load(
        {
            "db_url": args.db_url,
            "host": "127.0.0.1",
            "grpc_port": 0,
            "http_port": 0,
            "metrics_port": 0,
            "demo": True,
            "grace_seconds": args.grace,
        }
    )
    configure_logging(settings.log_level, settings.log_format)
    try:
        asyncio.run(serve(settings, args.max_seconds))
    except (OSError, ValueError) as error:
        sys.exit(f"benchmarks.server_process: {error}")


if __name__ == "__main__":
    main()
