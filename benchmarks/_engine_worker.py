"""The engine under measurement, in a fresh process of its own (`_harness.run_engine`):

    python benchmarks/_engine_worker.py CONFIG [--once]

syncs once (measured), then, without `--once`, again with no change, and prints one JSON
object. Credentials come from the environment (the variables the config names). This module
imports only the engine: never FastAPI, an emulator or the benchmark's data, so that what it
measures is what a user's `balance-gateway sync` loads.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a plain script from a source tree
    sys.path.insert(0, str(ROOT))


class CountingTransport(httpx.AsyncBaseTransport):
    """Counts every request an adapter sends (each attempt), by "METHOD STATUS"."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.counts: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await self.inner.handle_async_request(request)
        except httpx.TransportError:
            self.counts[f"{request.method} error"] += 1
            raise
        self.counts[f"{request.method} {response.status_code}"] += 1
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss_bytes() -> int:
    """This process's peak RSS (VmHWM). Not `ru_maxrss`: a child starts with its forking
    parent's, so a worker forked from a big benchmark process would report the parent's."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024  # kB


async def _one_sync(config_path: Path) -> dict[str, Any]:
    from balance_gateway.gateway.config import load_config
    from balance_gateway.gateway.pool import network_transport
    from balance_gateway.gateway.runner import run_sync

    config = load_config(config_path, env=os.environ)
    # What the engine sends through anyway (`gateway.systems`), counted.
    transports = {name: CountingTransport(network_transport()) for name in config.file.systems}
    cpu, wall = time.process_time(), time.perf_counter()
    report = await run_sync(config, transports=transports)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    results = report.results
    return {
        "wall": wall,
        "cpu": cpu,
        "exit_code": report.exit_code,
        "summary": report.summary,
        "balances": sum(1 for r in results if r.row.source_value is not None),
        "applied": sum(1 for r in results if r.status.value == "applied"),
        "verified": sum(1 for r in results if r.verified is True),
        "errors": [p.error for p in report.plans if p.error],
        "requests": {name: dict(t.counts) for name, t in transports.items()},
    }


def engine_worker(config_path: str, *, second: bool = True) -> None:
    """Sync once (measured), then (`second`) again with no change; print JSON."""
    path = Path(config_path)
    import balance_gateway.gateway.runner  # noqa: F401  (imports are not part of the measured sync)

    before = rss_bytes()
    first = asyncio.run(_one_sync(path))
    first["rss_before"] = before
    first["peak_rss"] = peak_rss_bytes()
    again = asyncio.run(_one_sync(path)) if second else None
    print(json.dumps({"first": first, "second": again}))


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if not arguments or arguments[0].startswith("-"):
        sys.exit(f"usage: {sys.argv[0]} CONFIG [--once]")
    engine_worker(arguments[0], second="--once" not in arguments)
