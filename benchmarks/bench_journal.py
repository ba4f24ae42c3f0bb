"""Benchmark: the journal's CPU per written balance, as the engine uses it.

    python benchmarks/bench_journal.py                      # SQLite, 3,000 operations
    python benchmarks/bench_journal.py --ops 10000 --repeat 5
    python benchmarks/bench_journal.py --batch 1                 # one commit per step
    python benchmarks/bench_journal.py --url postgresql://postgres@127.0.0.1:5432/test

Each operation goes through what `Engine` does for one written balance: the intent, the
outcome (which also remembers the value written) and the verification. `--batch K` commits the
intents and outcomes of K balances together, as the engine's group commit does
(`gateway.journal_batch`; about 3 at N = 1,000, see BENCHMARKS.md); `--batch 1` is one
transaction per intent and per outcome. Reports the median over `--repeat` runs of CPU and wall per
operation, on a fresh store each run (with `--url`, a new database on that server, dropped
afterwards).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from balance_gateway.adapters._core.adapter import OperationKind  # noqa: E402
from balance_gateway.canonical import LeaveKind, Unit  # noqa: E402
from balance_gateway.gateway.journal import (  # noqa: E402
    OperationRecord,
    OpStatus,
    Outcome,
    RunRecord,
    RunStatus,
    Verification,
    now_utc,
)
from balance_gateway.gateway.store.sql import SqlJournal  # noqa: E402
from balance_gateway.gateway.store.sqlite import SqliteJournal  # noqa: E402


def _open(url: str | None, folder: Path) -> SqlJournal:
    if url is None:
        return SqliteJournal(folder / "state.sqlite")
    from balance_gateway.gateway.store.postgres import postgres_journal

    return postgres_journal(url)


@contextmanager
def _scratch_database(server: str | None) -> Iterator[str | None]:
    """A database of its own on the PostgreSQL `server` (URL), dropped afterwards: a run never
    touches the data of the database named in the URL."""
    if server is None:
        yield None
        return
    import psycopg
    from sqlalchemy import make_url

    name = f"bench_journal_{os.getpid()}"
    admin = make_url(server).set(drivername="postgresql")
    dsn = admin.render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sample_record(run_id: str, i: int) -> OperationRecord:
    """The intent of the `i`-th written balance of a run."""
    return OperationRecord(
        operation_id=f"{run_id}:{i}",
        run_id=run_id,
        sync="s",
        source_system="a",
        system="b",
        employee=f"e{i}",
        leave_type="vacation",
        kind=OperationKind.SET,
        status=OpStatus.INTENT,
        unit=Unit.DAYS,
        before=Decimal(1),
        after=Decimal(i % 30),
        leave_kind=LeaveKind.VACATION,
    )


def one_run(ops: int, url: str | None, batch: int = 1) -> tuple[float, float]:
    """(CPU seconds, wall seconds) per operation for `ops` written balances, their intents and
    outcomes committed `batch` at a time (each batch's outcomes with the next one's intents)."""
    with tempfile.TemporaryDirectory() as folder:
        journal = _open(url, Path(folder))
        try:
            run_id = "bench-run"
            journal.start_run(RunRecord(run_id, now_utc(), "bench.toml", ("s",)))
            records = [sample_record(run_id, i) for i in range(ops)]
            cpu, wall = time.process_time(), time.perf_counter()
            waiting: list[Outcome] = []
            for start in range(0, ops, batch):
                group = records[start : start + batch]
                journal.record_batch(group, waiting)
                waiting = [Outcome(replace(op, status=OpStatus.APPLIED), True) for op in group]
            journal.record_batch([], waiting)
            journal.set_verified_many([Verification(op.operation_id, True) for op in records])
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            journal.finish_run(run_id, RunStatus.SUCCEEDED, {"applied": ops})
            _check(journal, records)
        finally:
            journal.close()
    return cpu / ops, wall / ops


def _check(journal: SqlJournal, records: Sequence[OperationRecord]) -> None:
    """The store holds what was journalled: every operation applied and verified, its value
    remembered as the last one written."""
    stored = {op.operation_id: op for op in journal.operations(records[0].run_id)}
    for op in records:
        got = stored.get(op.operation_id)
        if got is None or got.status is not OpStatus.APPLIED or got.verified is not True:
            raise RuntimeError(f"the journal lost operation {op.operation_id}: {got}")
        last = journal.last_written(op.system, op.employee, op.leave_type)
        if last is None or last.value != op.after:
            raise RuntimeError(f"the journal did not remember {op.operation_id}'s value")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=3_000, help="written balances per run")
    parser.add_argument("--repeat", type=int, default=3, help="runs (median reported)")
    parser.add_argument("--url", help="a PostgreSQL URL (default: a SQLite file)")
    parser.add_argument("--batch", type=int, default=3, help="balances per commit")
    args = parser.parse_args(argv)
    runs = []
    for _ in range(args.repeat):
        with _scratch_database(args.url) as url:  # a fresh store for each run
            runs.append(one_run(args.ops, url, max(1, args.batch)))
    cpu = statistics.median(r[0] for r in runs)
    wall = statistics.median(r[1] for r in runs)
    store = "PostgreSQL" if args.url else "SQLite"
    print(
        f"journal ({store}), {args.ops:,} written balances x {args.repeat} runs, "
        f"{args.batch} per commit: "
        f"CPU {cpu * 1000:.3f} ms, wall {wall * 1000:.3f} ms per balance (median)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
