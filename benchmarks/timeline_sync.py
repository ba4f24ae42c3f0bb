"""When each phase of one engine sync starts and ends, against the wall clock.

    python benchmarks/timeline_sync.py                        # N = 1,000 x 2 types, 300 req/s
    python benchmarks/timeline_sync.py --pair <ledger pair> --repeat 3
    python benchmarks/timeline_sync.py --requests     # and when each read was sent and answered

The set-up of `bench_peer.py` (`benchmarks/_harness.py`: generated data, the pair's emulators
FRESH in their own processes, 20 ms latency, the rate limit on the target). One `run_sync` runs
in this process; each line is a moment since `run_sync` was called: the engine's progress
steps (each system read, each sync planned), the first and the last write, and the end. What
lies before the first write and after the last is what the engine spends that the peer script
(one bulk read, then the writes) does not. With `--repeat`, each moment is the median of the
runs (each on fresh emulators). `--requests` then lists, for the last run, when each read (and
the first and last two writes) was sent and answered, by system: what each step waited for.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a plain script from a source tree
    sys.path.insert(0, str(ROOT))

from benchmarks._harness import (  # noqa: E402  (needs ROOT on sys.path)
    ABSOLUTE,
    ENV,
    PAIRS,
    RATE_LIMIT,
    THREE_TYPES,
    TWO_TYPES,
    Emulators,
    generate,
    write_config,
    wrong_balances,
)


@dataclass
class Timeline:
    """A `ProgressSink` noting when each step happens (seconds since `started`)."""

    started: float = field(default_factory=time.monotonic)
    moments: list[tuple[str, float]] = field(default_factory=list)
    _writes: int = 0

    def _note(self, what: str) -> None:
        self.moments.append((what, time.monotonic() - self.started))

    def step(self, line: str) -> None:
        # Counts vary with N; the phase is the text before the first digit-bearing part.
        self._note(line.split(":")[0])

    def start(self, total: int) -> None:
        self._note("apply starts")

    def advance(self, description: str) -> None:
        self._writes += 1
        if self._writes == 1:
            self._note("first write done")

    def finish(self) -> None:
        self._note("last write done")


@dataclass
class Requests(httpx.AsyncBaseTransport):
    """`inner`, noting each request's start and end (seconds since `timeline` started)."""

    inner: httpx.AsyncBaseTransport
    system: str
    timeline: Timeline
    seen: list[tuple[float, float, str]] = field(default_factory=list)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        started = time.monotonic() - self.timeline.started
        try:
            return await self.inner.handle_async_request(request)
        finally:
            ended = time.monotonic() - self.timeline.started
            query = f"?{request.url.query.decode()}" if request.url.query else ""
            what = f"{self.system}: {request.method} {request.url.path}{query}"
            self.seen.append((started, ended, what[:110]))

    async def aclose(self) -> None:
        await self.inner.aclose()


async def _timed_sync(config_path: Path, requests: list[Requests] | None = None) -> Timeline:
    from balance_gateway.gateway.config import load_config
    from balance_gateway.gateway.pool import network_transport
    from balance_gateway.gateway.runner import run_sync

    timeline = Timeline()
    config = load_config(config_path)
    transports = None
    if requests is not None:
        requests.extend(Requests(network_transport(), n, timeline) for n in config.file.systems)
        transports = {r.system: r for r in requests}
    report = await run_sync(config, progress=timeline, transports=transports)
    timeline._note("run_sync returned")
    if report.exit_code != 0:
        raise RuntimeError(f"the timed sync went wrong: exit code {report.exit_code}")
    return timeline


def one_run(
    pair_name: str, n: int, types: int, rate_limit: float, requests: list[Requests] | None = None
) -> Timeline:
    import balance_gateway.gateway.runner  # noqa: F401  (imports are not timed)

    data = generate(n, PAIRS[pair_name], THREE_TYPES if types == 3 else TWO_TYPES)
    folder = Path(tempfile.mkdtemp(prefix="timeline-sync-"))
    try:
        with Emulators(data, folder / "emulators", rate_limit) as emus:
            urls = {
                emus.source.vendor: emus.source.base_url,
                emus.target.vendor: emus.target.base_url,
            }
            config = write_config(folder / "config", data, urls, rate_limit)
            with mock.patch.dict(os.environ, ENV):
                timeline = asyncio.run(_timed_sync(config, requests))
            wrong = wrong_balances(data, emus.target.balances())
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if wrong:
        raise RuntimeError(f"the timed sync left {wrong} target balances unlike the source")
    return timeline


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pair", default=ABSOLUTE.name, choices=sorted(PAIRS))
    parser.add_argument("--employees", type=int, default=1000)
    parser.add_argument("--types", type=int, default=2, choices=(2, 3))
    parser.add_argument("--rate-limit", type=float, default=RATE_LIMIT)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--requests",
        action="store_true",
        help="also list the last run's reads and its first and last writes, start and end",
    )
    args = parser.parse_args(argv)
    requests: list[Requests] = []
    runs = [
        one_run(
            args.pair,
            args.employees,
            args.types,
            args.rate_limit,
            requests if args.requests and number == args.repeat - 1 else None,
        )
        for number in range(args.repeat)
    ]
    print(
        f"{args.pair}, N = {args.employees} x {args.types} types, rate limit "
        f"{args.rate_limit or 'none'}, median of {len(runs)} run(s), load {os.getloadavg()[0]:.2f}"
    )
    # Moments are matched by position: every run of one set-up takes the same steps.
    for index, (what, _) in enumerate(runs[0].moments):
        at = statistics.median(run.moments[index][1] for run in runs)
        print(f"{at:8.3f} s  {what}")
    if requests:
        print("\nthe last run's requests (start, end), writes but the first and last two left out:")
        seen = sorted(r for system in requests for r in system.seen)
        reads = [r for r in seen if ": GET " in r[2]]
        writes = [r for r in seen if ": GET " not in r[2]]
        for started, ended, what in sorted([*reads, *writes[:2], *writes[-2:]]):
            print(f"{started:8.3f} {ended:8.3f} s  {what}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
