"""A saved plan, applied as reviewed on the demo's emulators (issue 17, "done when"): `plan
--out`, a target balance changed directly on its emulator, then `sync --plan`: every other row
is applied and that one is blocked with the reason. And `plan --detailed-exitcode` 0/2/1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from balance_gateway.gateway.cli import app
from balance_gateway.gateway.demo import DEMO_SYNCS_TOML, ENV, PROFILES, SCENARIO, DemoEnvironment
from balance_gateway.gateway.store.sqlite import SqliteJournal
from tests.adapters.vendor_facts import ByHand, facts, vendors_with

pytestmark = pytest.mark.timeout(300)

WRITES = {"set", "import", "credit", "reduce"}


# A sync of the demo's that feeds another (its target is the other's source): a saved plan
# blocks a sync whose source another sync of the plan writes, so the plan here leaves it out.
FEEDS = next(a for a in SCENARIO if any(b.source == a.target for b in SCENARIO))
SYNCS = [s for s in SCENARIO if s is not FEEDS]
# The source of one of those syncs, with one credential: given a wrong value, that sync
# cannot be read.
WRONG = next(s.source for s in SYNCS if len(PROFILES[s.source].credentials) == 1)


def _syncs_without(name: str) -> str:
    """The demo's syncs but `name`."""
    head, *blocks = DEMO_SYNCS_TOML.split("[[syncs]]")
    return head + "".join(f"[[syncs]]{b}" for b in blocks if f'name = "{name}"' not in b)


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoEnvironment]:
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("COLUMNS", "200")
    with DemoEnvironment(tmp_path, people=12, seed=5) as env:
        env.write_config(tmp_path, syncs=_syncs_without(FEEDS.name))
        yield env


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout


def _rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [row for sync in report["syncs"] for row in sync["rows"]]


def _amount(q: dict[str, str]) -> tuple[Decimal, str]:
    return Decimal(q["value"]), q["unit"]


def _key(row: dict[str, Any]) -> tuple[str, ...]:
    return tuple(
        str(row[k])
        for k in ("sync", "source_employee", "source_type", "target_employee", "target_type")
    )


def test_a_saved_plan_applies_every_row_but_the_one_changed_meanwhile(
    demo: DemoEnvironment, tmp_path: Path
) -> None:
    config, saved = str(demo.config_path), str(tmp_path / "plan.json")
    code, out = _invoke("plan", "--config", config, "--out", saved, "--detailed-exitcode")
    assert code == 2, out  # writes are pending
    assert f"--plan {saved}" in out
    text = Path(saved).read_text()
    assert not [name for name, value in ENV.items() if value in text]  # no credential in it
    plan = json.loads(text)
    planned = [r for s in plan["syncs"] for r in s["rows"]]
    writes = [r for r in planned if r["operation"] in WRITES]
    assert {r["target_system"] for r in writes} == {s.target for s in SYNCS}

    # Someone changes one target balance by hand after the plan was reviewed (the demo's
    # systems are named after their vendors).
    system = next(
        r["target_system"] for r in writes if r["target_system"] in vendors_with("BY_HAND")
    )
    hand = facts(system, "BY_HAND", ByHand)
    emulator = demo.emulators[system]
    changed = next(r for r in writes if r["target_system"] == system)
    where = (changed["target_employee"], changed["target_type"])
    was = Decimal(changed["target_before"]["value"])
    assert hand.held(emulator, *where) == was
    hand.change(emulator, *where, was + 7)

    code, out = _invoke("sync", "--config", config, "--plan", saved, "--yes", "--json")
    assert code == 1, out  # one row blocked
    report = json.loads(out)
    results = {_key(r): r for r in _rows(report)}
    assert sorted(map(str, results)) == sorted(str(_key(r)) for r in planned)  # those rows only
    blocked = results[_key(changed)]
    assert blocked["status"] == "blocked"
    assert (
        f"target changed since the plan: planned against {was} {hand.unit}, "
        f"now {was + 7} {hand.unit}" in blocked["note"]
    )
    assert hand.held(emulator, *where) == was + 7  # not overwritten
    journal = SqliteJournal(tmp_path / "balance-gateway.sqlite3", writable=False)
    run = journal.run(report["run_id"])
    journal.close()
    assert run is not None
    assert run.message.startswith(f"applied the saved plan {saved}, made ")
    for row in writes:
        if _key(row) != _key(changed):
            result = results[_key(row)]
            assert result["status"] == "applied", result
            assert _amount(result["target_after"]) == _amount(row["target_after"]), result
            assert result["verified"] is not False, result

    # A fresh sync plans that row again from what the target holds now; then nothing is left.
    code, out = _invoke("sync", "--config", config, "--yes")
    assert code == 0, out
    code, out = _invoke("plan", "--config", config, "--detailed-exitcode")
    assert code == 0, out  # nothing to do
    code, out = _invoke("plan", "--config", config)
    assert code == 0, out  # without the flag: today's exit codes


def test_detailed_exitcode_is_1_when_a_sync_cannot_be_read(
    demo: DemoEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    (key,) = PROFILES[WRONG].credentials
    monkeypatch.setenv(f"DEMO_{WRONG.upper()}_{key.upper()}", "not-the-key")
    code, out = _invoke("plan", "--config", str(demo.config_path), "--detailed-exitcode")
    assert code == 1, out


def test_a_plan_too_old_or_of_another_config_is_refused(
    demo: DemoEnvironment, tmp_path: Path
) -> None:
    config, saved = str(demo.config_path), tmp_path / "plan.json"
    code, _ = _invoke("plan", "--config", config, "--out", str(saved))
    assert code == 0
    sync = ("sync", "--config", config, "--plan", str(saved), "--yes")
    made = datetime.fromisoformat(json.loads(saved.read_text())["created_at"])
    _made_at(saved, made - timedelta(hours=25))
    code, out = _invoke(*sync, "--json")
    assert code == 2, out
    error = json.loads(out)["error"]
    assert error["kind"] == "plan"
    assert error["file"] == str(saved)
    assert "older than the maximum age (24 hours" in error["message"]
    code, out = _invoke(*sync, "--max-plan-age", "soon")
    assert code == 2, out
    # A longer age on the command line lets it through; nothing changed, so it applies as is.
    code, out = _invoke(*sync, "--max-plan-age", "2 days", "--json")
    assert code == 0, out
    assert json.loads(out)["summary"]["applied"] > 0

    mapping = tmp_path / "employees.csv"
    mapping.write_text(mapping.read_text() + "\n")
    code, out = _invoke(*sync, "--max-plan-age", "2 days", "--json")
    assert code == 2, out
    error = json.loads(out)["error"]
    assert error["file"] == str(saved)
    assert f"{mapping} changed" in error["message"]


def _made_at(path: Path, when: datetime) -> None:
    data = json.loads(path.read_text())
    data["created_at"] = when.isoformat()
    path.write_text(json.dumps(data))
