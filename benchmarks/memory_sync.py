"""Where one engine sync holds its memory, phase by phase (tracemalloc).

    python benchmarks/memory_sync.py                      # N = 2,000 x 3 types, no limit
    python benchmarks/memory_sync.py --employees 500 --top 15

The set-up of `profile_sync.py` (`benchmarks/_harness.py`: generated data, the pair's emulators
FRESH in their own processes). The sync runs in this process under tracemalloc; the engine's
progress sink marks the phases (planning until the apply starts, the apply, and after it the
verification). Reported per phase: Python memory traced at its end and its peak, per balance;
then the lines that allocated most of what is held when planning ends (the plan, the
adapters' snapshots). tracemalloc counts Python allocations only (not RSS) and slows the run
down: compare the phases with each other, and `bench_peer.py --scale` for RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a plain script from a source tree
    sys.path.insert(0, str(ROOT))

from benchmarks._harness import (  # noqa: E402  (needs ROOT on sys.path)
    ABSOLUTE,
    ENV,
    PAIRS,
    THREE_TYPES,
    Emulators,
    generate,
    write_config,
    wrong_balances,
)


@dataclass
class Phase:
    name: str
    end: int = 0  # bytes traced when it ended
    peak: int = 0  # the most traced during it


@dataclass
class PhaseMeter:
    """A `ProgressSink` that closes a phase where the engine's progress says one ends."""

    phases: list[Phase] = field(default_factory=lambda: [Phase("plan (reads included)")])
    held_after_plan: tracemalloc.Snapshot | None = None

    def _close(self, following: str) -> None:
        current, peak = tracemalloc.get_traced_memory()
        self.phases[-1].end, self.phases[-1].peak = current, peak
        tracemalloc.reset_peak()
        self.phases.append(Phase(following))

    def step(self, line: str) -> None:
        pass

    def start(self, total: int) -> None:
        self.held_after_plan = tracemalloc.take_snapshot()
        self._close("apply")

    def advance(self, description: str) -> None:
        pass

    def finish(self) -> None:
        self._close("verify and report")

    def close_last(self) -> None:
        current, peak = tracemalloc.get_traced_memory()
        self.phases[-1].end, self.phases[-1].peak = current, peak


def measure(n: int, pair_name: str, top: int) -> list[str]:
    """One sync of `pair_name` over `n` employees x 3 types under tracemalloc: the report's
    lines. Raises when the sync did not leave the target as the source says."""
    from balance_gateway.gateway.config import load_config
    from balance_gateway.gateway.runner import run_sync

    data = generate(n, PAIRS[pair_name], THREE_TYPES)
    folder = Path(tempfile.mkdtemp(prefix="memory-sync-"))
    meter = PhaseMeter()
    try:
        with Emulators(data, folder / "emulators", 0) as emus:
            urls = {
                emus.source.vendor: emus.source.base_url,
                emus.target.vendor: emus.target.base_url,
            }
            # The config names its credentials' environment variables (read when loaded).
            env = {**os.environ, **ENV}
            config = load_config(write_config(folder / "config", data, urls, 0), env=env)
            tracemalloc.start(1)
            base = tracemalloc.get_traced_memory()[0]
            try:
                report = asyncio.run(run_sync(config, progress=meter))
                meter.close_last()
            finally:
                tracemalloc.stop()
            wrong = wrong_balances(data, emus.target.balances())
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if wrong or report.exit_code != 0:
        raise RuntimeError(f"the sync went wrong: exit {report.exit_code}, {wrong} balances off")
    balances = len(data.want)
    lines = [
        f"**engine**, **{pair_name}**, N = {n:,} employees, {balances:,} balances, no limit",
        "",
        "| phase | held at its end | per balance | peak | per balance |",
        "|---|---|---|---|---|",
    ]
    for phase in meter.phases:
        end, peak = phase.end - base, phase.peak - base
        lines.append(
            f"| {phase.name} | {end / 1e6:.1f} MB | {end / balances:,.0f} B "
            f"| {peak / 1e6:.1f} MB | {peak / balances:,.0f} B |"
        )
    if meter.held_after_plan is not None:
        lines += ["", f"**top {top} lines by memory held when the apply starts**", ""]
        for stat in meter.held_after_plan.statistics("lineno")[:top]:
            where = stat.traceback[0]
            shown = where.filename.split("site-packages/")[-1].replace(str(ROOT) + "/", "")
            lines.append(
                f"- {stat.size / 1e6:.2f} MB, {stat.count:,} blocks: {shown}:{where.lineno}"
            )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=2_000, help="N (default 2,000)")
    parser.add_argument("--pair", default=ABSOLUTE.name, choices=sorted(PAIRS))
    parser.add_argument("--top", type=int, default=10, help="allocation lines listed")
    args = parser.parse_args(argv)
    print("\n".join(measure(args.employees, args.pair, args.top)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
