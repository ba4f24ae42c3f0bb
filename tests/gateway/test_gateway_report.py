"""Reports: each source figure's date in the plan (table and JSON), and what each system's
requests met (429s, retries, the adapted rate)."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import date
from pathlib import Path

from rich.console import Console

from balance_gateway.adapters._core.adapter import OperationKind
from balance_gateway.canonical import AsOfBasis
from balance_gateway.gateway.budget import Traffic
from balance_gateway.gateway.engine import Engine
from balance_gateway.gateway.journal import OpStatus
from balance_gateway.gateway.report import print_report, report_json
from balance_gateway.gateway.results import RowResult, RunReport
from tests.gateway.gateway_fakes import BASIC_CSV, BASIC_TOML, TODAY, basic_systems, write_config


def _text(report: RunReport) -> str:
    console = Console(width=250, record=True, color_system=None, file=io.StringIO())
    print_report(console, report)
    return console.export_text()


async def _plan(tmp_path: Path) -> RunReport:
    config = write_config(tmp_path, BASIC_TOML, BASIC_CSV)
    systems = basic_systems()
    systems["hr"].dates = {("e1", "1"): date(2025, 3, 1)}
    plans = await Engine(config, systems, None, today=TODAY).plan(["hr-to-time"])
    return RunReport(run_id=None, dry_run=False, plans=plans)


async def test_plan_json_rows_carry_the_date_of_each_source_figure(tmp_path: Path) -> None:
    data = json.loads(json.dumps(report_json(await _plan(tmp_path))))
    rows = {r["source_employee"]: r for r in data["syncs"][0]["rows"]}
    assert rows["e1"]["source_as_of"] == "2025-03-01"
    assert rows["e1"]["source_as_of_basis"] == "date"
    assert rows["e1"]["source_age_days"] == 30
    assert rows["e2"]["source_as_of"] == "2025-03-31"
    assert rows["e2"]["source_age_days"] == 0
    assert data["systems"] == []  # nothing measured in a plan built without the runner


async def test_plan_table_shows_the_source_date_and_its_basis(tmp_path: Path) -> None:
    report = await _plan(tmp_path)
    text = _text(report)
    assert "source as of" in text
    assert "2025-03-01" in text
    assert "30 days before 2025-03-31" in text
    plan = report.plans[0]
    rows = tuple(replace(row, source_as_of_basis=AsOfBasis.CURRENT) for row in plan.rows)
    report.plans[0] = replace(plan, rows=rows)
    assert "2025-03-01 (current)" in _text(report)


async def test_the_summary_says_when_a_sync_was_not_planned(tmp_path: Path) -> None:
    report = await _plan(tmp_path)
    report.plans[0] = replace(report.plans[0], rows=(), error="could not read balances: 503")
    text = _text(report)
    assert "plan: nothing to do (1 sync(s) not planned)" in text


def test_requests_per_system_are_in_the_json_and_a_table_when_a_limit_was_hit() -> None:
    calm = Traffic(requests=12, configured_rate=20.0, rate=20.0, lowest_rate=20.0)
    limited = Traffic(
        requests=140, rate_limited=37, retries=39, configured_rate=100.0, rate=17.5,
        lowest_rate=12.5,
    )  # fmt: skip
    report = RunReport(run_id=None, dry_run=False, traffic={"hr": calm, "time": limited})
    data = report_json(report)
    assert data["systems"] == [
        {
            "system": "hr",
            "requests": 12,
            "rate_limited": 0,
            "retries": 0,
            "requests_per_second": {"configured": 20.0, "final": 20.0, "lowest": 20.0},
        },
        {
            "system": "time",
            "requests": 140,
            "rate_limited": 37,
            "retries": 39,
            "requests_per_second": {"configured": 100.0, "final": 17.5, "lowest": 12.5},
        },
    ]
    text = _text(report)
    assert "requests per system" in text
    cells = [line.replace("│", " ").split() for line in text.splitlines()]
    assert ["time", "140", "37", "39", "100", "17.5", "12.5"] in cells
    assert ["hr", "12", "0", "0", "20", "20", "20"] in cells
    # Nothing limited, nothing retried: no table (the JSON still has the counts).
    quiet = RunReport(run_id=None, dry_run=False, traffic={"hr": calm})
    assert "requests per system" not in _text(quiet)


async def test_the_confirmation_shows_each_syncs_first_writes_and_how_many_more(
    tmp_path: Path,
) -> None:
    # The prompt before writing: a large plan shows its first rows, writes first, and a line
    # that says how many rows there are and where all of them are listed.
    report = await _plan(tmp_path)
    plan = report.plans[0]
    write = next(row for row in plan.rows if row.writes)
    skips = [
        replace(write, target_employee=f"S{i:02}", operation=OperationKind.SKIP) for i in range(20)
    ]
    writes = [replace(write, target_employee=f"W{i:02}") for i in range(10)]
    report.plans[0] = replace(plan, rows=(*skips, *writes))
    console = Console(width=250, record=True, color_system=None, file=io.StringIO())
    print_report(console, report, rows_per_sync=5)
    text = console.export_text()
    assert [f"W{i:02}" in text for i in range(10)] == [True] * 5 + [False] * 5
    assert "S00" not in text
    assert "hr-to-time: 5 of 30 rows shown (10 to write)" in text
    assert "plan --json" in text
    everything = _text(report)  # without a limit (the report after a run), every row
    assert all(f"S{i:02}" in everything for i in range(20))
    assert "rows shown" not in everything


async def _run_of(tmp_path: Path, failed: set[int]) -> RunReport:
    """A run of 30 applied rows of hr-to-time, those numbered in `failed` failed."""
    report = await _plan(tmp_path)
    plan = report.plans[0]
    write = next(row for row in plan.rows if row.writes)
    rows = [replace(write, target_employee=f"U{i:02}") for i in range(30)]
    report.plans[0] = replace(plan, rows=tuple(rows))
    report.run_id, report.applied = "20250331T101500Z-abc123", True
    report.results = [
        RowResult(
            row,
            f"op-{i}",
            OpStatus.FAILED if i in failed else OpStatus.APPLIED,
            row.operation,
            row.after,
            verified=None if i in failed else True,
            note="503 from time" if i in failed else "",
        )
        for i, row in enumerate(rows)
    ]
    return report


async def test_a_big_runs_report_shows_what_needs_attention_first_and_where_the_rest_is(
    tmp_path: Path,
) -> None:
    # A table of a hundred thousand applied rows is no report: a limited one shows the rows
    # that need attention, then others, and says where every operation is listed.
    report = await _run_of(tmp_path, failed={7, 19, 28})
    console = Console(width=250, record=True, color_system=None, file=io.StringIO())
    print_report(console, report, rows_per_sync=5)
    text = console.export_text()
    assert [f"U{i:02}" in text for i in (7, 19, 28)] == [True] * 3
    assert sum(f"U{i:02}" in text for i in range(30)) == 5
    assert "hr-to-time: 5 of 30 rows shown (3 need attention); " in text
    assert "`balance-gateway runs show 20250331T101500Z-abc123` lists every operation" in text
    everything = _text(report)  # without a limit, every row
    assert all(f"U{i:02}" in everything for i in range(30))
    assert "rows shown" not in everything


async def test_a_limited_report_says_when_not_all_rows_that_need_attention_are_shown(
    tmp_path: Path,
) -> None:
    report = await _run_of(tmp_path, failed=set(range(10)))
    console = Console(width=250, record=True, color_system=None, file=io.StringIO())
    print_report(console, report, rows_per_sync=4)
    text = console.export_text()
    assert "hr-to-time: 4 of 30 rows shown (10 need attention, not all shown)" in text
    assert [f"U{i:02}" in text for i in range(6)] == [True] * 4 + [False] * 2
