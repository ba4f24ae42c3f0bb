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


@pytest.mark.parametrize("batch", [1, 3, 7])
def test_a_run_reports_cpu_and_wall_per_balance(bench: ModuleType, batch: int) -> None:
    # 40 is no multiple of 3 or 7: the last, shorter batch is journalled too (or the check
    # in one_run raises).
    cpu, wall = bench.one_run(40, None, batch)
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
    assert bench.main(["--ops", "20", "--repeat", "1", "--batch", "4"]) == 0
    out = capsys.readouterr().out
    assert "journal (SQLite), 20 written balances x 1 runs, 4 per commit: CPU" in out
