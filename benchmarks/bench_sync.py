"""Benchmark: a full `sync` of N employees x 2 leave types between two emulated vendors.

    python benchmarks/bench_sync.py                 # N = 1,000 and 10,000 (several minutes)
    python benchmarks/bench_sync.py --quick         # N = 60, a few seconds (the test's mode)
    python benchmarks/bench_sync.py --sizes 1000,10000 --repeat 3 --markdown out.md

The pair: Zeitstrom (a ledger read by an aggregate, days) -> Journyx (accruals in hours, set
by PATCH). Journyx is the target with the fewest requests per written balance that can also
be read back, so the benchmark shows the engine rather than a chatty dialect.

Set-up, per size and per measured run (always fresh emulators):
- each emulator runs under uvicorn (`ServerThread`) on 127.0.0.1 in its OWN process, as a
  real vendor is another machine: the engine's CPU time and memory are then its own, and the
  emulators do not share the engine's GIL;
- every request to either emulator waits LATENCY_MS (20 ms) more; the target also has a token
  bucket rate limit (RATE_LIMIT requests/s, burst one second's worth; over it: 429 with
  Retry-After);
- generated data (deterministic for the seed) is loaded into both; about 90% of the target
  balances differ from the source.

Measured:
- engine: `gateway.runner.run_sync` (what `balance-gateway sync` runs: resolve, plan, apply,
  verify, journal in SQLite) in a fresh Python process per run; wall time, requests (counted
  by a transport under the engine's budget AND by each emulator; they must agree), requests/s,
  CPU time per balance (process CPU / balances), peak memory (peak RSS of that process and
  its growth during the sync); then a second sync with no source change, which must not
  write.
- sequential: the script a user writes by hand (each vendor's blocking SDK client, one request
  at a time: read the source balance, read the target balance, write when different; the
  vendors' `Holding.one_at_a_time`, `_harness.sequential_loop`) on fresh emulators with the same
  latency and rate limit; for large N on a subset of the employees, extrapolated linearly
  (said so in the table). Its end state is checked against the engine's.
- lower bound: the engine's own requests can go no faster than the target's rate limit
  ((target requests - the bucket's one-second burst) / RATE_LIMIT) nor than latency allows
  with MAX_IN_FLIGHT requests in flight (all requests x 20 ms / MAX_IN_FLIGHT); the larger.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a plain script from a source tree
    sys.path.insert(0, str(ROOT))

from benchmarks._harness import (  # noqa: E402  (needs ROOT on sys.path)
    ABSOLUTE,
    LATENCY_MS,
    MAX_IN_FLIGHT,
    RATE_LIMIT,
    EngineRun,
    generate,
    load_average,
    machine,
    markdown_table,
    mb,
    measure_engine,
    measure_loop,
    publish,
    total,
    wrong_balances,
)

SUBSET_EMPLOYEES = 1_000  # the sequential loop's subset for larger N


# -- one size ------------------------------------------------------------------------------------


@dataclass
class SizeResult:
    n: int
    balances: int
    runs: list[EngineRun] = field(default_factory=list)
    loop_people: int = 0
    loop_wall: float = 0.0
    loop_requests: int = 0
    loop_writes: int = 0
    loop_matches_engine: bool = False

    @property
    def engine(self) -> EngineRun:
        """The run with the median wall time."""
        ordered = sorted(self.runs, key=lambda r: r.wall)
        return ordered[(len(ordered) - 1) // 2]

    @property
    def loop_wall_full(self) -> float:
        """The sequential loop's time for all N (linear extrapolation from the subset)."""
        return self.loop_wall * self.n / self.loop_people

    @property
    def loop_requests_full(self) -> float:
        return self.loop_requests * self.n / self.loop_people


def measure_size(
    n: int, *, repeat: int, rate_limit: float, subset: int, folder: Path, log: Any
) -> SizeResult:
    data = generate(n, ABSOLUTE)
    result = SizeResult(n=n, balances=2 * n)
    for attempt in range(repeat):
        log(f"N={n}: engine run {attempt + 1}/{repeat} ...")
        run, balances = measure_engine(data, folder / f"n{n}-run{attempt}", rate_limit)
        wrong = wrong_balances(data, balances)
        if wrong:
            raise RuntimeError(f"N={n}: {wrong} target balances differ from the source")
        log(
            f"  {run.wall:.2f} s, {run.requests} requests, lower bound {run.lower_bound:.2f} s, "
            f"second run {run.second_writes} writes"
        )
        result.runs.append(run)
    loop_people = data.people[: min(n, subset)]
    log(f"N={n}: sequential loop over {len(loop_people)} employees ...")
    result.loop_people = len(loop_people)
    result.loop_wall, counts, result.loop_matches_engine = measure_loop(
        data, loop_people, folder / f"n{n}-loop", rate_limit
    )
    result.loop_requests = total(counts)
    result.loop_writes = total(counts, writes_only=True)
    log(f"  {result.loop_wall:.2f} s, {result.loop_requests} requests")
    return result


# -- report ---------------------------------------------------------------------------------------


def table(results: Sequence[SizeResult], rate_limit: float) -> str:
    """The results as a Markdown table (one column per size)."""
    rows: list[tuple[str, list[str]]] = []

    def row(label: str, cell: Any) -> None:
        rows.append((label, [cell(r) for r in results]))

    row("balances (N x 2 types)", lambda r: f"{r.balances:,}")
    row("engine runs (fresh emulators each)", lambda r: str(len(r.runs)))
    row(
        "engine wall time, median (all runs)",
        lambda r: f"{r.engine.wall:.2f} s ({', '.join(f'{x.wall:.2f}' for x in r.runs)})",
    )
    row(
        "requests sent (source + target)",
        lambda r: (
            f"{r.engine.requests:,} ({r.engine.requests - r.engine.target_requests:,} + "
            f"{r.engine.target_requests:,})"
        ),
    )
    row("writes sent / balances applied", lambda r: f"{r.engine.writes:,} / {r.engine.applied:,}")
    row("requests / second", lambda r: f"{r.engine.requests / r.engine.wall:,.0f}")
    row(
        "target requests / second (limit)",
        lambda r: f"{r.engine.target_requests / r.engine.wall:,.0f} ({rate_limit:,.0f})",
    )
    row("429 answers", lambda r: str(r.engine.rate_limited))
    row(
        "CPU time per balance",
        lambda r: f"{r.engine.cpu / r.engine.balances * 1000:.2f} ms",
    )
    row(
        "target emulator CPU per request",
        lambda r: f"{r.engine.target_cpu_per_request * 1000:.2f} ms",
    )
    row("peak RSS of the engine process", lambda r: mb(r.engine.peak_rss))
    row("RSS growth during the sync", lambda r: mb(r.engine.rss_growth))
    row(
        "second sync: wall, requests, writes",
        lambda r: (
            f"{r.engine.second_wall:.2f} s, {r.engine.second_requests:,}, {r.engine.second_writes}"
        ),
    )
    row(
        "lower bound (bound by)",
        lambda r: f"{r.engine.lower_bound:.2f} s ({r.engine.bound_by})",
    )
    row("engine / lower bound", lambda r: f"{r.engine.wall / r.engine.lower_bound:.2f}")
    row(
        "sequential loop: measured",
        lambda r: (
            f"{r.loop_wall:.1f} s, {r.loop_requests:,} requests ({r.loop_people:,} employees)"
        ),
    )
    row(
        "sequential loop: all N",
        lambda r: (
            f"{r.loop_wall_full:.1f} s"
            + ("" if r.loop_people == r.n else f" (extrapolated x{r.n / r.loop_people:g})")
        ),
    )
    row("engine speed-up over the loop", lambda r: f"{r.loop_wall_full / r.engine.wall:.1f}x")
    row("loop's end state = engine's", lambda r: "yes" if r.loop_matches_engine else "NO")
    return markdown_table([f"N = {r.n:,}" for r in results], rows)


def targets(results: Sequence[SizeResult]) -> list[str]:
    """The issue's targets, each with the measured figure and met / not met."""

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    lines = []
    for r in results:
        speedup = r.loop_wall_full / r.engine.wall
        to_bound = r.engine.wall / r.engine.lower_bound
        lines.append(
            f"N={r.n:,}: engine vs sequential loop {speedup:.1f}x (target >= 20x: "
            f"{verdict(speedup >= 20)}); engine vs lower bound {to_bound:.2f} "
            f"(target <= 1.10: {verdict(to_bound <= 1.10)}); second sync writes "
            f"{max(x.second_writes for x in r.runs)} (target 0: "
            f"{verdict(all(x.second_writes == 0 for x in r.runs))})"
        )
    if len(results) > 1:
        small, large = results[0], results[-1]
        peak = large.engine.peak_rss / small.engine.peak_rss
        growth = large.engine.rss_growth / small.engine.rss_growth
        lines.append(
            f"memory N={large.n:,} / N={small.n:,}: peak RSS {peak:.2f}x, RSS growth during the "
            f"sync {growth:.2f}x (target <= 1.5x: {verdict(peak <= 1.5)} by peak RSS, "
            f"{verdict(growth <= 1.5)} by growth)"
        )
    return lines


def check(results: Sequence[SizeResult]) -> list[str]:
    """What a user relies on, as failures (empty: all good)."""
    problems = []
    for r in results:
        for run in r.runs:
            if run.exit_code != 0 or run.second_exit_code != 0:
                problems.append(f"N={r.n}: a sync did not exit 0")
            if run.second_writes:
                problems.append(f"N={r.n}: the second sync sent {run.second_writes} writes")
            if run.server_requests != run.client_requests_both_syncs:
                problems.append(
                    f"N={r.n}: the emulators counted {run.server_requests} requests, the "
                    f"engine's transport {run.client_requests_both_syncs}"
                )
            if run.writes != run.applied:
                problems.append(f"N={r.n}: {run.writes} writes sent, {run.applied} applied")
            if run.verified != run.applied:
                problems.append(f"N={r.n}: {run.applied} applied, {run.verified} verified")
        if not r.loop_matches_engine:
            problems.append(f"N={r.n}: the sequential loop's end state differs")
    return problems


def run(
    sizes: Sequence[int],
    *,
    repeat: int,
    rate_limit: float = RATE_LIMIT,
    subset: int = SUBSET_EMPLOYEES,
    log: Any = print,
) -> list[SizeResult]:
    folder = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    try:
        return [
            measure_size(
                n, repeat=repeat, rate_limit=rate_limit, subset=subset, folder=folder, log=log
            )
            for n in sizes
        ]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="one small size (N = 60)")
    parser.add_argument("--sizes", help="comma-separated N values (default 1000,10000)")
    parser.add_argument("--repeat", type=int, help="engine runs per size (median reported)")
    parser.add_argument("--rate-limit", type=float, default=RATE_LIMIT)
    parser.add_argument("--subset", type=int, default=SUBSET_EMPLOYEES)
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--markdown", type=Path, help="also write the report here (Markdown)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else None
    if sizes is None:
        sizes = [60] if args.quick else [1_000, 10_000]
    repeat = args.repeat or (1 if args.quick else 3)
    load_before = load_average()
    results = run(
        sizes,
        repeat=repeat,
        rate_limit=args.rate_limit,
        subset=args.subset,
        log=lambda m: print(m, file=sys.stderr, flush=True),
    )
    load = ", ".join(f"{a:.2f}/{b:.2f}" for a, b in zip(load_before, load_average(), strict=True))
    report = [
        f"machine: {machine()}",
        f"latency {LATENCY_MS:g} ms on every request; target rate limit {args.rate_limit:g}/s; "
        f"max_in_flight {MAX_IN_FLIGHT}",
        f"load average (1, 5, 15 min) at start/end: {load}",
        "",
        table(results, args.rate_limit),
        "",
        *targets(results),
    ]
    return publish(report, [asdict(r) for r in results], check(results), args.markdown, args.json)


if __name__ == "__main__":
    sys.exit(main())
