"""The journal benchmark (`python benchmarks/bench_journal.py`) at a tiny size: it runs, and it
checks what the store holds afterwards, so a figure never comes from a journal that lost rows."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import ModuleType

import pytest

from tests.benchmarks._scripts import load_script


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_script("bench_journal")


def test_a_run_reports_cpu_and_wall_per_balance(bench: ModuleType) -> None:
    cpu, wall = bench.one_run(40, None)
    assert 0 < cpu < 1
    assert 0 < wall < 1


def test_the_check_refuses_a_journal_that_lost_an_operation(
    bench: ModuleType, tmp_path: Path
) -> None:
    from balance_gateway.gateway.store.sqlite import SqliteJournal

    journal = SqliteJournal(tmp_path / "state.sqlite")
    try:
        ghost = replace(bench.sample_record("run", 0), operation_id="run:never-recorded")
        with pytest.raises(RuntimeError, match="lost operation run:never-recorded"):
            bench._check(journal, [ghost])
    finally:
        journal.close()


def test_main_prints_the_median(bench: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--ops", "20", "--repeat", "1"]) == 0
    assert "journal (SQLite), 20 written balances x 1 runs: CPU" in capsys.readouterr().out
