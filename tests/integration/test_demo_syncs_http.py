"""The demo's syncs (`gateway/demo.py`) end to end over real HTTP, value by value: the
demo's emulators under uvicorn on 127.0.0.1, loaded with its generated dataset. Its vendors
are the demo's own; the pairs every registered vendor allows are `test_engine_pairs.py`."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer import Typer
from typer.testing import CliRunner

from balance_gateway.adapters._core.adapter import OperationKind
from balance_gateway.adapters.companyflow.demo import CF_ANNUAL, CF_SICK
from balance_gateway.adapters.kenjo.demo import KENJO_SICK, KENJO_VACATION
from balance_gateway.gateway import cli_sync
from balance_gateway.gateway.demo import (
    ENV,
    TOKENS,
    DemoEnvironment,
    DemoPerson,
)
from balance_gateway.gateway.journal import OpStatus
from balance_gateway.gateway.runner import run_sync
from tests.integration._demo import (
    config_for,
    demo_fixtures,
    put_state,
    round_to,
    state,
    sync_all,
)
from tests.stress._vendors import _id_of

PEOPLE = 16  # 4 of them in Journyx, every one with a 7.5 h or an 8 h day


_structlog_unconfigured, env, fresh = demo_fixtures(PEOPLE, seed=3)


def person_7_5(env: DemoEnvironment, *, journyx: bool = False) -> DemoPerson:
    """A generated person with a 7.5 h day and a Kenjo account (and, if asked, a Journyx one)."""
    return next(
        p
        for p in env.dataset.people
        if p.hours_per_day == Decimal("7.5")
        and _id_of(p, "kenjo")
        and (_id_of(p, "journyx") or not journyx)
    )


async def test_demo_syncs_convert_round_and_then_change_nothing(
    fresh: DemoEnvironment, tmp_path: Path
) -> None:
    config = config_for(fresh, tmp_path)
    first = await sync_all(config)
    assert [r.exit_code for r in first] == [0, 0, 0, 0]
    assert all(r.results for r in first)

    someone = person_7_5(fresh, journyx=True)
    hours = someone.hours_per_day
    cf = state(fresh, "companyflow")
    kenjo = state(fresh, "kenjo")
    bezala = state(fresh, "bezala")
    journyx = state(fresh, "journyx")
    zeitstrom = state(fresh, "zeitstrom")

    # CompanyFlow days -> Kenjo: vacation in days, sick in hours at 7.5 h per day.
    def cf_remaining(type_id: str, allowed: int) -> Decimal:
        record = next(
            b
            for b in cf["balances"]
            if b["employee_id"] == _id_of(someone, "companyflow") and b["leave_type_id"] == type_id
        )
        total = Decimal(allowed) + Decimal(str(record["carried_forward_days"]))
        return total - Decimal(str(record["used_days"]))

    def kenjo_balance(type_id: str) -> Decimal:
        a = next(
            a
            for a in kenjo["assignments"]
            if a["employee_id"] == _id_of(someone, "kenjo") and a["time_off_type_id"] == type_id
        )
        return Decimal(str(a["total_allowance"])) - Decimal(str(a["taken"]))

    assert kenjo_balance(KENJO_VACATION) == cf_remaining(CF_ANNUAL, 25)
    assert kenjo_balance(KENJO_SICK) == cf_remaining(CF_SICK, 10) * hours

    # Zeitstrom days -> Bezala: overtime in whole minutes (half even) at 7.5 h per day.
    def zeitstrom_net(kind: str) -> Decimal:
        net = Decimal(0)
        for tx in zeitstrom["transactions"]:
            if tx["employee_id"] == _id_of(someone, "zeitstrom") and tx["missing_type"] == kind:
                sign = -1 if tx["source"] == "absence" else 1
                net += sign * Decimal(str(tx["amount"]))
        return net

    def latest_import(kind: str) -> Decimal:
        records = [
            r
            for r in bezala["time_balances"]
            if r["user_id"] == int(_id_of(someone, "bezala") or 0) and r["balance_type"] == kind
        ]
        return Decimal(str(max(records, key=lambda r: (r["date"], r["id"]))["value"]))

    overtime_minutes = zeitstrom_net("overtime") * hours * 60
    assert latest_import("work_time") == round_to(overtime_minutes, "1")
    assert latest_import("vacation") == zeitstrom_net("holiday")

    # Bezala -> Journyx hours (0.01 h); Journyx hours -> Zeitstrom days (0.01 d).
    def accrual(pname: str) -> Decimal:
        found = next(
            a
            for a in journyx["accruals"].values()
            if a["id_user"] == _id_of(someone, "journyx") and a["pname"] == pname
        )
        return Decimal(str(found["hours_left"]))

    assert accrual("Time Bank") == round_to(latest_import("work_time") / 60, "0.01")
    assert accrual("Vacation") == latest_import("vacation") * hours
    assert zeitstrom_net("sick") == round_to(accrual("Sick") / hours, "0.01")

    # Rounding is reported, not silently dropped.
    notes = [r.note for report in first for r in report.results]
    assert any("rounded to a multiple of 1 minutes" in n for n in notes)

    second = await sync_all(config)
    assert [r.exit_code for r in second] == [0, 0, 0, 0]
    assert all(not r.row.writes for report in second for r in report.results)


async def test_kenjo_value_unchanged_is_not_written_again(
    fresh: DemoEnvironment, tmp_path: Path
) -> None:
    config = config_for(fresh, tmp_path)
    await run_sync(config, "companyflow-to-kenjo")
    history = len(state(fresh, "kenjo")["history"])
    assert history > 0

    # One source balance changes: exactly one Kenjo write follows, the rest are skipped.
    cf = state(fresh, "companyflow")
    someone = person_7_5(fresh)
    record = next(
        b
        for b in cf["balances"]
        if b["employee_id"] == _id_of(someone, "companyflow") and b["leave_type_id"] == CF_ANNUAL
    )
    record["used_days"] = float(Decimal(str(record["used_days"])) + 1)
    put_state(fresh, "companyflow", cf)

    report = await run_sync(config, "companyflow-to-kenjo")
    assert report.exit_code == 0
    writes = [r for r in report.results if r.status is OpStatus.APPLIED]
    assert [(r.row.target_employee, r.row.target_type) for r in writes] == [
        (_id_of(someone, "kenjo"), KENJO_VACATION)
    ]
    assert len(state(fresh, "kenjo")["history"]) == history + 1


async def test_zeitstrom_decrease_lowers_only_our_own_credit(
    fresh: DemoEnvironment, tmp_path: Path
) -> None:
    config = config_for(fresh, tmp_path)
    before = state(fresh, "zeitstrom")["transactions"]
    report = await run_sync(config, "journyx-to-zeitstrom")
    assert report.exit_code == 0
    reduced = [r for r in report.results if r.kind is OperationKind.REDUCE]
    assert reduced, "the dataset gives some people a credit of ours above the Journyx value"
    after = {tx["id"]: tx for tx in state(fresh, "zeitstrom")["transactions"]}
    for tx in before:
        if not tx["label"].startswith("balance-gateway "):
            assert after[tx["id"]] == tx  # nobody else's transaction is touched
    assert all(r.verified is True for r in reduced)


async def test_guardrail_stops_before_any_write_over_http(
    fresh: DemoEnvironment, tmp_path: Path
) -> None:
    config = config_for(fresh, tmp_path, **{'max_change = "60 days"': 'max_change = "2 days"'})
    report = await run_sync(config, "companyflow-to-kenjo")
    assert report.exit_code == 1
    assert report.stopped
    assert any("max_change = 2 days" in v for v in report.violations)
    assert state(fresh, "kenjo")["history"] == []


# -- the command line over real HTTP -------------------------------------------------------


def test_cli_plan_and_sync_json_without_secrets(
    fresh: DemoEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    path = fresh.write_config(tmp_path)
    app = Typer()
    cli_sync.register(app)
    runner = CliRunner()

    # Bezala -> Journyx: people without a Journyx account are unmapped there.
    sync = "bezala-to-journyx"
    plan = runner.invoke(app, ["plan", "--config", str(path), "--sync", sync, "--json"])
    assert plan.exit_code == 0, plan.output
    rows = json.loads(plan.output)["syncs"][0]["rows"]
    assert {r["operation"] for r in rows} == {"set", "unmapped"}

    synced = runner.invoke(app, ["sync", "--config", str(path), "--sync", sync, "--yes", "--json"])
    assert synced.exit_code == 0, synced.output
    report = json.loads(synced.output)
    run_id = report["run_id"]
    assert report["summary"]["applied"] > 0

    shown = runner.invoke(app, ["runs", "show", run_id, "--config", str(path), "--json"])
    assert shown.exit_code == 0
    for output in (plan.output, synced.output, shown.output):
        for token in TOKENS.values():
            assert token not in output
