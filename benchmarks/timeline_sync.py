"""When each phase of one engine sync starts and ends, against the wall clock.

    python benchmarks/timeline_sync.py                        # N = 1,000 x 2 types, 300 req/s
    python benchmarks/timeline_sync.py --pair <ledger pair> --repeat 3

The set-up of `bench_peer.py` (`benchmarks/_harness.py`: generated data, the pair's emulators
FRESH in their own processes, 20 ms latency, the rate limit on the target). One `run_sync` runs
in this process; each line is a moment since `run_sync` was called: the engine's progress
steps (each system read, each sync planned), the first and the last write, and the end. What
lies before the first write and after the last is what the engine spends that the peer script
(one bulk read, then the writes) does not. With `--repeat`, each moment is the median of the
runs (each on fresh emulators).
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


async def _timed_sync(config_path: Path) -> Timeline:
    from balance_gateway.gateway.config import load_config
    from balance_gateway.gateway.runner import run_sync

    timeline = Timeline()
    report = await run_sync(load_config(config_path), progress=timeline)
    timeline._note("run_sync returned")
    if report.exit_code != 0:
        raise RuntimeError(f"the timed sync went wrong: exit code {report.exit_code}")
    return timeline


def one_run(pair_name: str, n: int, types: int, rate_limit: float) -> Timeline:
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
                timeline = asyncio.run(_timed_sync(config))
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
    args = parser.parse_args(argv)
    runs = [
        one_run(args.pair, args.employees, args.types, args.rate_limit) for _ in range(args.repeat)
    ]
    print(
        f"{args.pair}, N = {args.employees} x {args.types} types, rate limit "
        f"{args.rate_limit or 'none'}, median of {len(runs)} run(s), load {os.getloadavg()[0]:.2f}"
    )
    # Moments are matched by position: every run of one set-up takes the same steps.
    for index, (what, _) in enumerate(runs[0].moments):
        at = statistics.median(run.moments[index][1] for run in runs)
        print(f"{at:8.3f} s  {what}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
