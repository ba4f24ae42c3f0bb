"""`balance-gateway demo`: exits 0, changes balances on the first pass and none on the second."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from balance_gateway.gateway.demo import SYNC_ORDER, run_demo
from balance_gateway.gateway.store.sqlite import SqliteJournal


def test_demo_changes_then_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_demo(employees=24, seed=5, folder=tmp_path) == 0
    out = capsys.readouterr().out
    assert str(tmp_path / "config.toml") in out
    assert "pass 2" in out
    for name in SYNC_ORDER:  # pass 1 shows each sync's plan, taken from the sync itself
        assert re.search(rf"plan {name}: \d of its \d+ rows", out), out

    journal = SqliteJournal(tmp_path / "balance-gateway.sqlite3")
    runs = list(reversed(journal.runs()))  # oldest first: pass 1, then pass 2
    assert [r.syncs for r in runs] == [(name,) for name in SYNC_ORDER] * 2
    first, second = runs[:4], runs[4:]
    assert all(r.summary.get("applied", 0) > 0 for r in first)
    assert all(r.summary.get("applied", 0) == 0 for r in second)
    assert all(r.status.value == "succeeded" for r in runs)
    # A note says each thing once: the plan's note and the write's own are not the same
    # words twice ("hours_left of accrual X; hours_left of accrual X").
    notes = [op.note for run in first for op in journal.operations(run.run_id) if op.note]
    assert notes
    repeated = [note for note in notes if len(set(note.split("; "))) < len(note.split("; "))]
    assert not repeated, repeated[:3]
    journal.close()
