"""Benchmark: the same sync of N employees x 2 leave types with 1, 2 and 4 Celery workers
(`balance-gateway sync --distributed`), and as one process (`sync`) for comparison.

    python benchmarks/bench_scaleout.py                   # N = 10,000 (many minutes)
    python benchmarks/bench_scaleout.py --n 2000 --workers 1,2,4 --markdown out.md
    python benchmarks/bench_scaleout.py --quick           # N = 40, 1 and 2 workers (the test)

The pair and the emulators are `_harness.py`'s, as `bench_sync.py`'s: Zeitstrom -> Journyx,
each emulator under uvicorn in its own process on 127.0.0.1, 20 ms added to every request.
Here the target's rate limit is far above what is sent (it never binds), so what the workers
can do decides.

Per configuration, on fresh emulators and a fresh state store: every worker is a
`balance-gateway worker` process (its own prefork child applies units) started and ready
before the clock starts; the coordinator is `balance-gateway sync --distributed --yes --json`.
Redis (127.0.0.1:6379, an empty database 1-15) is the broker. Measured:
- wall time of the coordinator (plan, units, verification), balances/s, requests/s (counted
  by the emulators);
- CPU per balance: the CPU time of the coordinator and of every worker process (their pool
  children included) during the run, / 2N; the emulators' CPU separately;
- the end state (every target balance as the source says) and the exit code.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a plain script from a source tree
    sys.path.insert(0, str(ROOT))

from benchmarks._harness import (  # noqa: E402  (needs ROOT on sys.path)
    ENV,
    Dataset,
    Emulators,
    generate,
    write_config,
    wrong_balances,
)

NOT_BINDING = 1_000_000.0  # the target's rate limit: never reached
BATCH_SIZE = 50
REDIS = ("127.0.0.1", 6379)


def _cpu_of(pids: Sequence[int]) -> float:
    """User + system CPU seconds of these live processes."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _group(pgid: int) -> list[int]:
    """The processes of session/process group `pgid` (a worker and its pool children)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[2]) == pgid:
            found.append(int(entry.name))
    return found


def _free_redis_db() -> int:
    import redis

    for db in range(1, 16):
        client = redis.Redis(host=REDIS[0], port=REDIS[1], db=db)
        try:
            if client.dbsize() == 0:
                return db
        finally:
            client.close()
    raise RuntimeError("no empty Redis database (1-15) for the benchmark")


def _cli(args: Sequence[str], env: dict[str, str], **popen: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "from balance_gateway.gateway.cli import main; main()", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        text=True,
        **popen,
    )


@dataclass
class Measured:
    label: str  # "sync" or "N workers"
    workers: int  # 0: the single-process sync
    wall: float
    balances: int
    requests: int
    cpu_engine: float  # coordinator + workers
    cpu_coordinator: float
    cpu_emulators: float
    exit_code: int
    correct: bool

    @property
    def balances_per_second(self) -> float:
        return self.balances / self.wall

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.wall

    @property
    def cpu_ms_per_balance(self) -> float:
        return self.cpu_engine / self.balances * 1000


def _wait_ready(logs: Sequence[Path], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not all(" ready." in log.read_text() for log in logs):
        if time.monotonic() > deadline:
            raise RuntimeError(
                "the workers did not start:\n" + "\n".join(p.read_text() for p in logs)
            )
        time.sleep(0.2)


def measure(data: Dataset, n: int, workers: int, folder: Path) -> Measured:
    """One run on fresh emulators: `workers` = 0 is `sync` in one process."""
    with Emulators(data, folder / "emulators", NOT_BINDING) as emus:
        urls = {emus.source.vendor: emus.source.base_url, emus.target.vendor: emus.target.base_url}
        config = write_config(folder / "config", data, urls, NOT_BINDING)
        db = _free_redis_db()
        with config.open("a") as handle:
            handle.write(
                f'\n[distributed]\nbroker = "redis://{REDIS[0]}:{REDIS[1]}/{db}"\n'
                f'batch_size = {BATCH_SIZE}\nqueue = "bench-{os.getpid()}-{workers}"\n'
            )
        env = dict(ENV)
        started: list[subprocess.Popen[str]] = []
        coordinator: subprocess.Popen[str] | None = None
        logs = []
        try:
            for number in range(workers):
                log = folder / f"worker-{number + 1}.log"
                logs.append(log)
                with log.open("w") as handle:
                    started.append(
                        _cli(
                            ["worker", "--config", str(config)],
                            env,
                            stdout=handle,
                            stderr=subprocess.STDOUT,
                            start_new_session=True,
                        )
                    )
            _wait_ready(logs)
            groups = [p.pid for p in started]
            emulator_pids = [emus.source.process.pid, emus.target.process.pid]
            cpu_workers = _cpu_of([pid for g in groups for pid in _group(g)])
            cpu_emulators = _cpu_of(emulator_pids)
            served = sum(emus.source.counts().values()) + sum(emus.target.counts().values())
            args = ["sync", "--config", str(config), "--yes", "--json"]
            if workers:
                args.append("--distributed")
            wall = time.perf_counter()
            coordinator = _cli(args, env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            assert coordinator.stdout is not None
            with coordinator.stdout:
                out = coordinator.stdout.read()
            _, status, usage = os.wait4(coordinator.pid, 0)
            wall = time.perf_counter() - wall
            coordinator.returncode = os.waitstatus_to_exitcode(status)
            cpu_coordinator = usage.ru_utime + usage.ru_stime
            cpu_workers = _cpu_of([pid for g in groups for pid in _group(g)]) - cpu_workers
            cpu_emulators = _cpu_of(emulator_pids) - cpu_emulators
            requests = (
                sum(emus.source.counts().values()) + sum(emus.target.counts().values()) - served
            )
            got = emus.target.balances()
        finally:
            # The coordinator too, when the run failed before it was reaped (a timeout, an
            # error reading its output): a Popen left running is a ResourceWarning later.
            if coordinator is not None and coordinator.returncode is None:
                coordinator.kill()
                coordinator.wait(timeout=60)
            for process in started:
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)
            for process in started:
                process.wait(timeout=60)
            import redis

            redis.Redis(host=REDIS[0], port=REDIS[1], db=db).flushdb()
    correct = wrong_balances(data, got) == 0
    report = json.loads(out) if out.strip() else {}
    return Measured(
        label="sync (one process)" if workers == 0 else f"{workers} worker{'s' * (workers > 1)}",
        workers=workers,
        wall=wall,
        balances=2 * n,
        requests=requests,
        cpu_engine=cpu_coordinator + cpu_workers,
        cpu_coordinator=cpu_coordinator,
        cpu_emulators=cpu_emulators,
        exit_code=int(report.get("exit_code", coordinator.returncode)),
        correct=correct,
    )


def table(n: int, results: Sequence[Measured]) -> str:
    head = f"| N = {n:,} | " + " | ".join(r.label for r in results) + " |"
    rows: list[tuple[str, Callable[[Measured], str]]] = [
        ("wall time", lambda r: f"{r.wall:.1f} s"),
        ("balances / s", lambda r: f"{r.balances_per_second:,.0f}"),
        ("requests / s (both emulators)", lambda r: f"{r.requests_per_second:,.0f}"),
        ("requests", lambda r: f"{r.requests:,}"),
        ("CPU per balance (coordinator + workers)", lambda r: f"{r.cpu_ms_per_balance:.2f} ms"),
        ("of which the coordinator", lambda r: f"{r.cpu_coordinator / r.balances * 1000:.2f} ms"),
        ("emulators' CPU per balance", lambda r: f"{r.cpu_emulators / r.balances * 1000:.2f} ms"),
        (
            "exit code, end state as planned",
            lambda r: f"{r.exit_code}, {'yes' if r.correct else 'NO'}",
        ),
    ]
    lines = [head, "|---" * (len(results) + 1) + "|"]
    lines += [f"| {label} | " + " | ".join(cell(r) for r in results) + " |" for label, cell in rows]
    return "\n".join(lines)


def run(
    n: int, worker_counts: Sequence[int], *, baseline: bool = True, log: Any = print
) -> list[Measured]:
    data = generate(n)
    folder = Path(tempfile.mkdtemp(prefix="bench-scaleout-"))
    results = []
    try:
        for workers in ([0] if baseline else []) + list(worker_counts):
            log(f"N={n}: {'sync in one process' if workers == 0 else f'{workers} worker(s)'} ...")
            result = measure(data, n, workers, folder / f"w{workers}")
            log(
                f"  {result.wall:.1f} s, {result.requests:,} requests, "
                f"{result.cpu_ms_per_balance:.2f} ms CPU per balance "
                f"(coordinator {result.cpu_coordinator:.1f} s), exit {result.exit_code}, "
                f"end state {'as planned' if result.correct else 'WRONG'}"
            )
            results.append(result)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=10_000, help="employees (default 10,000)")
    parser.add_argument("--workers", default="1,2,4", help="worker counts (default 1,2,4)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the one-process sync")
    parser.add_argument("--quick", action="store_true", help="N = 40 with 1 and 2 workers")
    parser.add_argument("--markdown", type=Path, help="also write the table here")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args(argv)
    n = 40 if args.quick else args.n
    counts = [1, 2] if args.quick else [int(w) for w in args.workers.split(",")]
    load_before = os.getloadavg()
    results = run(
        n,
        counts,
        baseline=not args.no_baseline,
        log=lambda m: print(m, file=sys.stderr, flush=True),
    )
    load = ", ".join(f"{a:.2f}/{b:.2f}" for a, b in zip(load_before, os.getloadavg(), strict=True))
    text = table(n, results)
    print(
        f"machine: nproc {os.cpu_count()}, Python {sys.version.split()[0]}; "
        f"load (1, 5, 15 min) start/end: {load}"
    )
    print(text)
    if args.markdown is not None:
        args.markdown.write_text(text + "\n")
    if args.json is not None:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2))
    failed = [r.label for r in results if r.exit_code != 0 or not r.correct]
    for label in failed:
        print(f"FAILED: {label}: the sync did not exit 0 or the end state differs")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
