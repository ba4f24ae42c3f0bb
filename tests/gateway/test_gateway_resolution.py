"""Resolving earlier unresolved writes only reads: nothing reaches a vendor before the
guardrails and the confirmation; a write-only target that cannot tell gets the current value,
once. Also: a 2xx answer that cannot be parsed, operations on systems no longer configured,
and Ctrl-C at the confirmation prompt."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from balance_gateway.adapters._core.adapter import OperationKind, WriteIntent, WriteOutcome
from balance_gateway.adapters._core.errors import ResponseParseError
from balance_gateway.gateway import cli_sync
from balance_gateway.gateway.config import Config
from balance_gateway.gateway.engine import Engine
from balance_gateway.gateway.journal import OpStatus, RunStatus
from balance_gateway.gateway.plan import SyncPlan
from balance_gateway.gateway.report import print_report, report_json
from balance_gateway.gateway.store import open_state_store
from balance_gateway.gateway.store.sql import SqlJournal
from tests.gateway.gateway_fakes import (
    BASIC_CSV,
    BASIC_TOML,
    ENV,
    HR_VENDOR,
    TIME_VENDOR,
    TODAY,
    FakeAdapter,
    basic_systems,
    write_config,
)

BANK_TYPE = "aaaaaaaaaaaaaaaaaaaaaaaa"


@pytest.fixture
def config(tmp_path: Path, state_url: str | None) -> Config:
    return write_config(tmp_path, BASIC_TOML, BASIC_CSV, state_url=state_url)


@pytest.fixture
def journal(config: Config) -> Iterator[SqlJournal]:
    journal = open_state_store(config)
    yield journal
    journal.close()


def engine(config: Config, systems: dict[str, FakeAdapter], journal: SqlJournal) -> Engine:
    return Engine(config, systems, journal, today=TODAY)


def _writes_to(adapter: FakeAdapter, employee: str, since: int = 0) -> list[Decimal]:
    return [value for _, who, _, value in adapter.writes[since:] if who == employee]


async def _leave_b1_unknown(
    config: Config, systems: dict[str, FakeAdapter], journal: SqlJournal
) -> None:
    """A first run whose write to the write-only `bank` for b1 ends unknown (a 5xx)."""
    systems["bank"].fail.add("b1")
    first = await engine(config, systems, journal).sync(["hr-to-bank"])
    assert [r.status for r in first.results if r.row.target_employee == "b1"] == [OpStatus.UNKNOWN]
    systems["bank"].fail.clear()


# -- fix 2: resolution reads only -------------------------------------------------------------


async def test_declined_prompt_after_an_unknown_write_writes_nothing_at_all(
    config: Config, journal: SqlJournal
) -> None:
    systems = basic_systems()
    await _leave_b1_unknown(config, systems, journal)
    systems["hr"].balances[("e1", "1")] = Decimal(5)  # the source changed since
    before = len(systems["bank"].writes)

    asked: list[list[SyncPlan]] = []

    def decline(plans: list[SyncPlan]) -> bool:
        asked.append(plans)
        return False

    report = await engine(config, systems, journal).sync(["hr-to-bank"], confirm=decline)
    assert systems["bank"].writes[before:] == []  # not the stale 12.5, not anything
    assert report.stopped == "not confirmed; nothing was written"
    assert [r.status for r in report.resolutions] == [OpStatus.SUPERSEDED]
    assert report.resolution_summary == {"superseded": 1}
    # The prompt was shown the current value, as a set (no value is known to be there).
    row = next(r for p in asked[0] for r in p.rows if r.target_employee == "b1")
    assert row.operation is OperationKind.SET
    assert row.after is not None
    assert row.after.value == Decimal(5)
    run = journal.run(report.run_id or "")
    assert run is not None
    assert run.status is RunStatus.STOPPED
    # The resolution is honest, in the report and the journal; no intent is left open.
    assert journal.unresolved() == []
    assert journal.last_written("bank", "b1", BANK_TYPE) is None
    data = report_json(report)
    assert data["resolutions"][0]["now"] == "superseded"
    assert data["resolution_summary"] == {"superseded": 1}
    console = Console(record=True, width=300)
    print_report(console, report)
    text = console.export_text()
    assert "superseded" in text
    assert "earlier operations resolved: superseded 1" in text

    # Confirmed next time: the current value is written, once.
    confirmed = await engine(config, systems, journal).sync(["hr-to-bank"], confirm=lambda p: True)
    assert confirmed.exit_code == 0
    assert _writes_to(systems["bank"], "b1", before) == [Decimal(5)]
    assert systems["bank"].balances[("b1", BANK_TYPE)] == Decimal(5)


async def test_guardrail_stop_after_an_unknown_write_writes_nothing_at_all(
    config: Config, journal: SqlJournal
) -> None:
    systems = basic_systems()
    await _leave_b1_unknown(config, systems, journal)
    systems["hr"].balances[("e1", "1")] = Decimal(7)
    systems["hr"].balances[("e2", "1")] = Decimal(500)  # over max_change: the run stops
    before = len(systems["bank"].writes)
    report = await engine(config, systems, journal).sync(["hr-to-bank"])
    assert report.violations
    assert report.stopped == "a guardrail stopped the run before any write"
    assert systems["bank"].writes[before:] == []
    assert [r.status for r in report.resolutions] == [OpStatus.SUPERSEDED]


async def test_a_would_be_skip_against_a_possibly_changed_value_becomes_one_set(
    config: Config, journal: SqlJournal
) -> None:
    systems = basic_systems()
    first = await engine(config, systems, journal).sync(["hr-to-bank"])  # b1 <- 12.5, known
    assert first.exit_code == 0
    systems["hr"].balances[("e1", "1")] = Decimal(5)
    await _leave_b1_unknown(config, systems, journal)  # b1 <- 5 sent, fate unknown
    systems["hr"].balances[("e1", "1")] = Decimal("12.5")  # and back
    before = len(systems["bank"].writes)

    report = await engine(config, systems, journal).sync(["hr-to-bank"])
    # Last written says 12.5, but the bank may hold 5: the plan sets 12.5 (a skip would be
    # wrong), and nothing else is sent (the stale 5 is never re-sent).
    row = next(r for r in report.results if r.row.target_employee == "b1")
    assert row.row.operation is OperationKind.SET
    assert row.status is OpStatus.APPLIED
    assert _writes_to(systems["bank"], "b1", before) == [Decimal("12.5")]
    assert report.exit_code == 0
    last = journal.last_written("bank", "b1", BANK_TYPE)
    assert last is not None
    assert last.value == Decimal("12.5")


# -- fix 4: a 2xx answer that cannot be parsed ------------------------------------------------


@dataclass
class ParseFailing(FakeAdapter):
    """Applies the write (or not, for `drop`), then cannot parse the 2xx answer."""

    unparsable: set[str] | None = None
    drop: set[str] | None = None

    async def apply_write(self, intent: WriteIntent) -> WriteOutcome:
        employee = intent.employee.id
        if employee in (self.drop or set()):
            raise ResponseParseError("PUT /balances: 200 answer did not match the model")
        outcome = await super().apply_write(intent)
        if employee in (self.unparsable or set()):
            raise ResponseParseError("PUT /balances: 200 answer did not match the model")
        return outcome


def _with_parse_failing_time(
    unparsable: set[str] | None = None, drop: set[str] | None = None
) -> dict[str, FakeAdapter]:
    systems = basic_systems()
    old = systems["time"]
    systems["time"] = ParseFailing(
        "time", units=old.units, balances=dict(old.balances), unparsable=unparsable, drop=drop
    )
    return systems


async def test_unparsable_2xx_answer_is_read_back_not_failed(
    config: Config, journal: SqlJournal
) -> None:
    systems = _with_parse_failing_time(unparsable={"U1"})
    report = await engine(config, systems, journal).sync(["hr-to-time"])
    u1 = next(r for r in report.results if r.row.target_employee == "U1")
    assert u1.status is OpStatus.APPLIED
    assert "read back: applied" in u1.note
    assert u1.verified is True
    assert report.exit_code == 0
    ops = {op.employee: op for op in journal.operations(report.run_id or "")}
    assert ops["U1"].status is OpStatus.APPLIED
    run = journal.run(report.run_id or "")
    assert run is not None
    assert run.status is RunStatus.SUCCEEDED
    # Applied, so a second run has nothing to write.
    writes = len(systems["time"].writes)
    again = await engine(config, systems, journal).sync(["hr-to-time"])
    assert len(systems["time"].writes) == writes
    assert again.exit_code == 0


async def test_unparsable_2xx_answer_not_applied_is_reported_not_applied(
    config: Config, journal: SqlJournal
) -> None:
    systems = _with_parse_failing_time(drop={"U2"})
    report = await engine(config, systems, journal).sync(["hr-to-time"])
    u2 = next(r for r in report.results if r.row.target_employee == "U2")
    assert u2.status is OpStatus.NOT_APPLIED
    assert "read back: not applied" in u2.note
    assert report.exit_code == 1


async def test_unparsable_2xx_answer_on_a_write_only_target_is_unknown(
    config: Config, journal: SqlJournal
) -> None:
    systems = basic_systems()
    systems["bank"] = ParseFailing("bank", can_read=False, unparsable={"b1"})
    report = await engine(config, systems, journal).sync(["hr-to-bank"])
    b1 = next(r for r in report.results if r.row.target_employee == "b1")
    assert b1.status is OpStatus.UNKNOWN  # not `failed`: the target took the request
    assert [op.employee for op in journal.unresolved()] == ["b1"]
    assert report.exit_code == 1


# -- fix 6: unresolved operations on systems no longer configured ------------------------------

# BASIC_TOML after `bank` (and its sync) was removed from the configuration.
WITHOUT_BANK_TOML = f"""
[systems.hr]
vendor = "{HR_VENDOR}"
base_url = "http://hr.invalid"
credentials = {{ email = "HR_USER", password = "HR_SECRET" }}

[systems.time]
vendor = "{TIME_VENDOR}"
base_url = "http://time.invalid"
credentials = {{ username = "TIME_USER", api_key = "TIME_SECRET" }}

[[syncs]]
name = "hr-to-time"
source = "hr"
target = "time"
types = [{{ source = "1", target = "Vacation", kind = "vacation" }}]
as_of = "2025-03-31"

[mapping]
file = "employees.csv"

[state]
path = "state/gateway.sqlite3"
"""
WITHOUT_BANK_CSV = """
hr,time,hours_per_day
e1,U1,
e2,U2,7.5
e3,U3,
"""


async def test_unresolved_on_a_system_no_longer_configured_is_reported_not_dropped(
    config: Config, journal: SqlJournal, tmp_path: Path, state_url: str | None
) -> None:
    systems = basic_systems()
    await _leave_b1_unknown(config, systems, journal)
    journal.close()

    narrowed = write_config(tmp_path, WITHOUT_BANK_TOML, WITHOUT_BANK_CSV, state_url=state_url)
    assert "bank" not in narrowed.file.systems
    journal = open_state_store(narrowed)
    report = await Engine(
        narrowed, {k: v for k, v in systems.items() if k != "bank"}, journal, today=TODAY
    ).sync()
    assert report.unresolved_elsewhere == {"bank": 1}
    assert report.exit_code == 0  # a warning: nothing here can resolve it
    assert [op.system for op in journal.unresolved()] == ["bank"]  # kept
    data = report_json(report)
    assert data["unresolved_elsewhere"] == [{"system": "bank", "count": 1}]
    console = Console(record=True, width=300)
    print_report(console, report)
    text = console.export_text()
    assert "1 operation(s) left unresolved on system 'bank'" in text
    assert "no longer configured" in text
    run = journal.run(report.run_id or "")
    assert run is not None
    assert "system 'bank'" in run.message


# -- fix 7: Ctrl-C at the confirmation prompt -------------------------------------------------


async def test_ctrl_c_at_the_prompt_records_a_stopped_run_with_nothing_written(
    config: Config, journal: SqlJournal
) -> None:
    systems = basic_systems()

    def interrupted(plans: list[SyncPlan]) -> bool:
        raise KeyboardInterrupt

    eng = engine(config, systems, journal)
    with pytest.raises(KeyboardInterrupt):
        await eng.sync(confirm=interrupted)
    assert all(not s.writes for s in systems.values())
    run = journal.run(eng.run_id)
    assert run is not None
    assert run.status is RunStatus.STOPPED
    assert "interrupted at the confirmation; nothing was written" in run.message
    assert "ended with an error" not in run.message
    assert journal.unresolved() == []


def test_runs_lists_unresolved_on_a_system_no_longer_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, state_url: str | None
) -> None:
    config = write_config(tmp_path, BASIC_TOML, BASIC_CSV, state_url=state_url)
    journal = open_state_store(config)
    asyncio.run(_leave_b1_unknown(config, basic_systems(), journal))
    journal.close()
    write_config(tmp_path, WITHOUT_BANK_TOML, WITHOUT_BANK_CSV, state_url=state_url)
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("COLUMNS", "300")
    app = typer.Typer()
    cli_sync.register(app)
    runner = CliRunner()
    path = str(tmp_path / "config.toml")

    listed = runner.invoke(app, ["runs", "--config", path, "--json"])
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.output)["unresolved"] == [
        {"system": "bank", "count": 1, "configured": False}
    ]
    table = runner.invoke(app, ["runs", "--config", path])
    assert table.exit_code == 0, table.output
    text = " ".join(table.output.split())
    assert "1 operation(s) left unresolved on system 'bank', which is no longer configured" in text
    if state_url is not None:
        return  # `--state` names a SQLite file
    # With only the state store, the system cannot be judged, but the count is still shown.
    bare = runner.invoke(app, ["runs", "--state", str(config.state_path), "--json"])
    assert json.loads(bare.output)["unresolved"] == [
        {"system": "bank", "count": 1, "configured": None}
    ]
