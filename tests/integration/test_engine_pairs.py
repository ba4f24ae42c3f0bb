"""The engine end to end over real HTTP: the five emulators under uvicorn on 127.0.0.1, loaded
with the demo's generated dataset, and every source/target pair the adapters allow."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from typer import Typer
from typer.testing import CliRunner

from balance_gateway.adapters._core.adapter import OperationKind
from balance_gateway.adapters.companyflow.demo import CF_ANNUAL, CF_SICK
from balance_gateway.adapters.kenjo.demo import KENJO_SICK, KENJO_VACATION
from balance_gateway.gateway import cli_sync
from balance_gateway.gateway.config import Config, load_config
from balance_gateway.gateway.demo import (
    DEMO_SYNCS_TOML,
    ENV,
    SETTINGS_TOML,
    SYNC_ORDER,
    TOKENS,
    DemoEnvironment,
    DemoPerson,
)
from balance_gateway.gateway.journal import OpStatus
from balance_gateway.gateway.results import RunReport
from balance_gateway.gateway.runner import run_plan, run_sync

PEOPLE = 16  # 4 of them in Journyx, every one with a 7.5 h or an 8 h day


@pytest.fixture(autouse=True)
def _structlog_unconfigured() -> None:
    """Another test may have left structlog configured, which sends every `http.request` event
    to stdout, into the `--json` output read here; unconfigured, events go to stdlib logging."""
    structlog.reset_defaults()


@pytest.fixture(scope="module")
def env() -> Iterator[DemoEnvironment]:
    with (
        tempfile.TemporaryDirectory() as folder,
        DemoEnvironment(Path(folder) / "demo", people=PEOPLE, seed=3) as environment,
    ):
        yield environment


@pytest.fixture
def fresh(env: DemoEnvironment, tmp_path: Path) -> DemoEnvironment:
    """The emulators back at the generated dataset; each test writes its own config."""
    env.reset()
    return env


def state(env: DemoEnvironment, vendor: str) -> dict[str, Any]:
    response = httpx.get(f"{env.base_urls[vendor]}/_emulator/state", timeout=10)
    response.raise_for_status()
    tenants: dict[str, Any] = response.json()["tenants"]
    return dict(tenants["default"])


def put_state(env: DemoEnvironment, vendor: str, data: dict[str, Any]) -> None:
    httpx.put(f"{env.base_urls[vendor]}/_emulator/state", json=data, timeout=10).raise_for_status()


def config_for(
    env: DemoEnvironment, folder: Path, syncs: str = DEMO_SYNCS_TOML, **settings: str
) -> Config:
    text = SETTINGS_TOML
    for old, new in settings.items():
        text = text.replace(old, new)
    return load_config(env.write_config(folder, syncs, text), env=ENV)


def person_7_5(env: DemoEnvironment, *, journyx: bool = False) -> DemoPerson:
    return next(
        p
        for p in env.dataset.people
        if p.hours_per_day == Decimal("7.5")
        and "kenjo" in p.ids
        and ("journyx" in p.ids or not journyx)
    )


def round_to(value: Decimal, step: str) -> Decimal:
    return (value / Decimal(step)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN) * Decimal(step)


async def sync_all(config: Config) -> list[RunReport]:
    return [await run_sync(config, name) for name in SYNC_ORDER]


# -- the demo's four syncs, value by value ---------------------------------------------------


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
            if b["employee_id"] == someone.ids["companyflow"] and b["leave_type_id"] == type_id
        )
        total = Decimal(allowed) + Decimal(str(record["carried_forward_days"]))
        return total - Decimal(str(record["used_days"]))

    def kenjo_balance(type_id: str) -> Decimal:
        a = next(
            a
            for a in kenjo["assignments"]
            if a["employee_id"] == someone.ids["kenjo"] and a["time_off_type_id"] == type_id
        )
        return Decimal(str(a["total_allowance"])) - Decimal(str(a["taken"]))

    assert kenjo_balance(KENJO_VACATION) == cf_remaining(CF_ANNUAL, 25)
    assert kenjo_balance(KENJO_SICK) == cf_remaining(CF_SICK, 10) * hours

    # Zeitstrom days -> Bezala: overtime in whole minutes (half even) at 7.5 h per day.
    def zeitstrom_net(kind: str) -> Decimal:
        net = Decimal(0)
        for tx in zeitstrom["transactions"]:
            if tx["employee_id"] == someone.ids["zeitstrom"] and tx["missing_type"] == kind:
                sign = -1 if tx["source"] == "absence" else 1
                net += sign * Decimal(str(tx["amount"]))
        return net

    def latest_import(kind: str) -> Decimal:
        records = [
            r
            for r in bezala["time_balances"]
            if r["user_id"] == int(someone.ids["bezala"]) and r["balance_type"] == kind
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
            if a["id_user"] == someone.ids["journyx"] and a["pname"] == pname
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
        if b["employee_id"] == someone.ids["companyflow"] and b["leave_type_id"] == CF_ANNUAL
    )
    record["used_days"] = float(Decimal(str(record["used_days"])) + 1)
    put_state(fresh, "companyflow", cf)

    report = await run_sync(config, "companyflow-to-kenjo")
    assert report.exit_code == 0
    writes = [r for r in report.results if r.status is OpStatus.APPLIED]
    assert [(r.row.target_employee, r.row.target_type) for r in writes] == [
        (someone.ids["kenjo"], KENJO_VACATION)
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


# -- every pair the adapters allow ----------------------------------------------------------

SOURCES = {
    "companyflow": CF_ANNUAL,  # days
    "zeitstrom": "holiday",  # days
    "bezala": "vacation",  # days
    "journyx": "Vacation",  # hours
}
TARGETS = {
    "kenjo": KENJO_SICK,  # hours (write-only)
    "bezala": "work_time",  # whole minutes
    "zeitstrom": "sick",  # days
    "journyx": "Vacation",  # hours
}
PAIRS = [(s, t) for s in SOURCES for t in TARGETS if s != t]


@pytest.mark.parametrize(("source", "target"), PAIRS, ids=[f"{s}-{t}" for s, t in PAIRS])
async def test_every_pair_applies_verifies_and_is_idempotent(
    fresh: DemoEnvironment, tmp_path: Path, source: str, target: str
) -> None:
    rounding = (
        'rounding = { step = "0.01" }\n' if (source, target) == ("journyx", "zeitstrom") else ""
    )
    syncs = (
        f'[[syncs]]\nname = "pair"\nsource = "{source}"\ntarget = "{target}"\n'
        f'types = [{{ source = "{SOURCES[source]}", target = "{TARGETS[target]}" }}]\n{rounding}'
    )
    config = config_for(fresh, tmp_path, syncs)
    plan = await run_plan(config, "pair")
    assert plan.exit_code == 0
    assert not (tmp_path / "balance-gateway.sqlite3").exists()  # a plan creates no state

    first = await run_sync(config, "pair")
    assert first.exit_code == 0, [r.note for r in first.results if not r.ok]
    applied = [r for r in first.results if r.status is OpStatus.APPLIED]
    assert applied
    expected_verified = None if target == "kenjo" else True
    assert {r.verified for r in applied} == {expected_verified}

    second = await run_sync(config, "pair")
    assert second.exit_code == 0
    assert not any(r.row.writes for r in second.results)


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
