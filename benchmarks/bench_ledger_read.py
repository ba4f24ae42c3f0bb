"""The ledger source's bulk read at scale (or, `--target`, the absolute target's):
`read_balances` of N employees x 3 types, timed.

    python benchmarks/bench_ledger_read.py                         # N = 100,000
    python benchmarks/bench_ledger_read.py --target --employees 10000      # the absolute target
    python benchmarks/bench_ledger_read.py --employees 20000,100000
    python benchmarks/bench_ledger_read.py --employees 20000 --max-response-bytes 1000000
    python benchmarks/bench_ledger_read.py --emulator-tree /tmp/old-checkout   # its emulator

The scale mode's data (`benchmarks/_harness.py`: `generate(N, ABSOLUTE, THREE_TYPES)`, the
ledger vendor as the source) in the vendor's emulator in its own process, with the benchmark's
latency and no rate limit. Measured, one after the other against the same emulator: the
source read of every employee and type as the engine's plan asks for it (`read_balances`),
then `list_employee_ids` (the plan's unmapped check). Reported per read: wall time, requests
by path (counted by the client's transport, so a refused answer counts too), the client's and
the emulator's CPU seconds; and whether every balance read equals the emulator's own (`GET
/_emulator/balances`). `--max-response-bytes` lowers the client's answer cap (the chunked read
at a smaller N); `--emulator-tree` serves the emulator from another source tree (e.g. an
export of an earlier commit, to compare emulators), everything else from this one. `--target`
reads the pair's absolute target the same way (the plan's target read, and verification's).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a plain script from a source tree
    sys.path.insert(0, str(ROOT))

from balance_gateway.adapters._core.client import DEFAULT_MAX_RESPONSE_BYTES  # noqa: E402
from balance_gateway.adapters._core.registry import build_adapter  # noqa: E402
from balance_gateway.adapters._emulator import process  # noqa: E402
from benchmarks._harness import (  # noqa: E402  (needs ROOT on sys.path)
    ABSOLUTE,
    LATENCY_MS,
    PROFILES,
    THREE_TYPES,
    adapter_config,
    generate,
)

T = TypeVar("T")


class Counting(httpx.AsyncBaseTransport):
    """The client's transport, counting requests by method and path."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.counts: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.counts[f"{request.method} {request.url.path}"] += 1
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def measured(
    name: str,
    call: Callable[[], Awaitable[T]],
    counting: Counting,
    emulator: process.EmulatorProcess,
) -> tuple[T | None, list[str]]:
    """`call()` with its wall time, requests and CPU (client, emulator) as report lines; an
    exception is reported, not raised."""
    counting.counts.clear()
    cpu, emulator_cpu, started = time.process_time(), emulator.cpu_seconds(), time.perf_counter()
    result: T | None = None
    outcome = "ok"
    try:
        result = await call()
    except Exception as exc:  # the figure to report, e.g. ResponseTooLarge before the fix
        outcome = f"failed: {type(exc).__name__}: {str(exc)[:160]}"
    wall = time.perf_counter() - started
    lines = [
        f"{name}: {outcome}",
        f"  wall {wall:.1f} s; client CPU {time.process_time() - cpu:.1f} s; "
        f"emulator CPU {emulator.cpu_seconds() - emulator_cpu:.1f} s",
        f"  requests {sum(counting.counts.values()):,}: "
        + ", ".join(f"{k} x{v:,}" for k, v in sorted(counting.counts.items())),
    ]
    return result, lines


async def read_once(
    n: int, cap: int, emulator_tree: Path | None, folder: Path, *, target: bool = False
) -> list[str]:
    pair = ABSOLUTE
    vendor = pair.target if target else pair.source
    started = time.perf_counter()
    data = generate(n, pair, THREE_TYPES)
    state = data.state_of(vendor)
    records = len(state["transactions"] if "transactions" in state else state.get("accruals", ()))
    generated = time.perf_counter() - started
    emulator = process.EmulatorProcess(
        vendor,
        state,
        folder,
        token=PROFILES[vendor].token,
        latency_ms=LATENCY_MS,
        cwd=emulator_tree or ROOT,
    )
    lines = [
        f"N = {n:,} employees x {len(THREE_TYPES)} types ({vendor}, {records:,} "
        f"records); client max_response_bytes {cap:,}; emulator from "
        f"{emulator_tree or ROOT}; data generated and loaded in "
        f"{time.perf_counter() - started:.0f} s ({generated:.0f} s generating)",
    ]
    try:
        want = emulator.balances()
        counting = Counting()
        config = adapter_config(vendor, emulator.base_url, counting)
        adapter: Any = build_adapter(vendor, config)
        (
            adapter._client if hasattr(adapter, "_client") else adapter.client
        ).max_response_bytes = cap
        ids = [p.ids[vendor] for p in data.people]
        types = [pair.type_id(vendor, leave) for leave in THREE_TYPES]
        today = datetime.now(UTC).date()
        try:
            balances, read = await measured(
                "read_balances",
                lambda: adapter.read_balances(ids, types, today),
                counting,
                emulator,
            )
            lines += read
            if balances is not None:
                got = {(b.employee.id, b.leave_type.id): b.remaining for b in balances}
                wanted = {k: v for k, v in want.items() if k[1] in types}
                wrong = sum(1 for k, v in wanted.items() if got.get(k) != Decimal(v))
                lines.append(
                    f"  {len(balances):,} balances; {wrong:,} differ from the emulator's "
                    f"{len(wanted):,}; {len(got.keys() - wanted.keys()):,} it does not have"
                )
            listed, listing = await measured(
                "list_employee_ids", adapter.list_employee_ids, counting, emulator
            )
            lines += listing
            if listed is not None:
                lines.append(f"  {len(listed):,} ids; every person's: {set(ids) <= set(listed)}")
        finally:
            await adapter.aclose()
    finally:
        emulator.stop()
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--employees", default="100000", help="comma-separated N")
    parser.add_argument("--max-response-bytes", type=int, default=DEFAULT_MAX_RESPONSE_BYTES)
    parser.add_argument("--emulator-tree", type=Path, help="serve the emulator from this tree")
    parser.add_argument(
        "--target", action="store_true", help="read the absolute target instead of the source"
    )
    args = parser.parse_args(argv)
    if PROFILES[ABSOLUTE.source].vendor != ABSOLUTE.source:
        parser.error("the ledger source has no demo profile")
    folder = Path(tempfile.mkdtemp(prefix="bench-ledger-read-"))
    try:
        for n in (int(x) for x in args.employees.split(",")):
            lines = asyncio.run(
                read_once(
                    n,
                    args.max_response_bytes,
                    args.emulator_tree,
                    folder / str(n),
                    target=args.target,
                )
            )
            print("\n".join(lines), flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
