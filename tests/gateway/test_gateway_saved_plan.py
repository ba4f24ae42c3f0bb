"""Saved plans: the file (`plan --out`), its refusals, and applying it as reviewed
(`sync --plan`) over fake adapters."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from balance_gateway.adapters._core.adapter import OperationKind
from balance_gateway.gateway.config import Config, load_config, parse_duration
from balance_gateway.gateway.engine import Engine
from balance_gateway.gateway.errors import ConfigError
from balance_gateway.gateway.journal import OpStatus
from balance_gateway.gateway.plan import SyncPlan
from balance_gateway.gateway.saved_plan import (
    PlanFileError,
    SavedPlan,
    check_plan,
    config_digest,
    load_plan,
    save_plan,
    saved_plan,
)
from balance_gateway.gateway.store.sqlite import SqliteJournal
from tests.gateway.gateway_fakes import (
    BASIC_CSV,
    BASIC_TOML,
    ENV,
    SECRET_VALUES,
    TODAY,
    FakeAdapter,
    basic_systems,
    write_config,
)

BANK_TYPE = "aaaaaaaaaaaaaaaaaaaaaaaa"
# `time-to-bank` reads the Vacation hours that `hr-to-time` writes.
CHAIN_TOML = (
    BASIC_TOML[: BASIC_TOML.index("[[syncs]]")]
    + f"""
[[syncs]]
name = "hr-to-time"
source = "hr"
target = "time"
types = [{{ source = "1", target = "Vacation", kind = "vacation" }}]
as_of = "2025-03-31"

[[syncs]]
name = "time-to-bank"
source = "time"
target = "bank"
types = [{{ source = "Vacation", target = "{BANK_TYPE}", kind = "vacation" }}]
as_of = "2025-03-31"
"""
    + BASIC_TOML[BASIC_TOML.index("[mapping]") :]
)
MADE = datetime(2025, 3, 31, 9, 0, tzinfo=UTC)
DAY = timedelta(hours=24)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return write_config(tmp_path, BASIC_TOML, BASIC_CSV)


async def _plans(config: Config, systems: dict[str, FakeAdapter]) -> list[SyncPlan]:
    return await Engine(config, systems, None, today=TODAY).plan()


async def _saved(config: Config, systems: dict[str, FakeAdapter], path: Path) -> SavedPlan:
    plan = saved_plan(await _plans(config, systems), config_digest(config), MADE)
    save_plan(plan, path)
    return plan


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.glob(".plan.json.*")]


async def test_a_saved_plan_reads_back_as_it_was_written(config: Config, tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    plans = await _plans(config, basic_systems())
    save_plan(saved_plan(plans, config_digest(config), MADE), path)

    loaded = load_plan(path)
    assert loaded.created_at == MADE
    assert loaded.sync_names == ["hr-to-time", "hr-to-bank"]
    again = loaded.to_plans()
    for before, after in zip(plans, again, strict=True):
        assert (after.sync, after.source, after.target, after.as_of) == (
            before.sync,
            before.source,
            before.target,
            before.as_of,
        )
        for old, new in zip(before.rows, after.rows, strict=True):
            assert (new.operation, new.before, new.after, new.source_value, new.note) == (
                old.operation,
                old.before,
                old.after,
                old.source_value,
                old.note,
            )
            assert (new.intent is None) == (old.intent is None)
            if old.intent is not None and new.intent is not None:
                assert new.intent.remaining == old.intent.remaining
                assert new.intent.employee == old.intent.employee
                assert new.intent.as_of == old.intent.as_of
    data = json.loads(path.read_text())
    assert data["format"] == "balance-gateway-plan"
    assert data["version"] == 1
    row = data["syncs"][0]["rows"][0]
    # U1 holds 40 h and is to hold 12.5 d at 8 h: the figures it was planned against and sets.
    assert row["target_before"] == {"value": "40", "unit": "hours"}
    assert row["target_after"] == {"value": "100", "unit": "hours"}
    assert row["operation"] == "set"
    assert _leftovers(tmp_path) == []  # the temporary file was renamed


async def test_the_plan_file_holds_no_secret(config: Config, tmp_path: Path) -> None:
    await _saved(config, basic_systems(), tmp_path / "plan.json")
    text = (tmp_path / "plan.json").read_text()
    for secret in [*SECRET_VALUES, ENV["HR_USER"], ENV["TIME_USER"]]:
        assert secret not in text


async def test_the_digest_covers_the_config_and_the_mapping_not_the_credentials(
    config: Config, tmp_path: Path
) -> None:
    digest = config_digest(config)
    other_env = {key: value + "-rotated" for key, value in ENV.items()}
    rotated = load_config(config.path, env=other_env)
    assert config_digest(rotated) == digest  # a rotated credential is the same configuration
    (tmp_path / "employees.csv").write_text(BASIC_CSV.strip() + "\ne4,U4,b4,\n")
    assert config_digest(load_config(config.path, env=ENV)).digest != digest.digest


async def test_a_plan_of_another_configuration_is_refused_naming_the_file_changed(
    config: Config, tmp_path: Path
) -> None:
    path = tmp_path / "plan.json"
    plan = await _saved(config, basic_systems(), path)
    (tmp_path / "employees.csv").write_text(BASIC_CSV.strip().replace("e3,U3,,", "e3,U9,,") + "\n")
    changed = load_config(config.path, env=ENV)
    with pytest.raises(PlanFileError) as caught:
        check_plan(plan, path, changed, max_age=DAY, now=MADE)
    message = str(caught.value)
    assert str(path) in message
    assert "another configuration" in message
    assert "employees.csv changed" in message
    assert "config.toml" not in message.split("another configuration")[1]


async def test_a_plan_of_another_config_file_names_the_file_it_was_made_with(
    config: Config, tmp_path: Path
) -> None:
    path = tmp_path / "plan.json"
    plan = await _saved(config, basic_systems(), path)
    other_path = tmp_path / "other.toml"
    other_path.write_text(config.path.read_text() + "\n# another file\n")
    other = load_config(other_path, env=ENV)
    with pytest.raises(PlanFileError) as caught:
        check_plan(plan, path, other, max_age=DAY, now=MADE)
    message = str(caught.value)
    # Not "other.toml changed": the plan was made with config.toml, which did not change.
    assert f"made with the configuration {config.path}, not {other_path}" in message
    assert "changed" not in message


async def test_a_plan_older_than_the_maximum_age_is_refused(config: Config, tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    plan = await _saved(config, basic_systems(), path)
    check_plan(plan, path, config, max_age=DAY, now=MADE + DAY)  # exactly 24 h: still fine
    with pytest.raises(PlanFileError) as caught:
        check_plan(plan, path, config, max_age=DAY, now=MADE + DAY + timedelta(minutes=1))
    message = str(caught.value)
    assert str(path) in message
    assert "older than the maximum age (24 hours" in message


async def test_a_plan_made_in_the_future_is_refused(config: Config, tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    plan = await _saved(config, basic_systems(), path)
    check_plan(plan, path, config, max_age=DAY, now=MADE - timedelta(minutes=4))  # clock skew
    with pytest.raises(PlanFileError, match="still to come: check this machine's clock"):
        check_plan(plan, path, config, max_age=DAY, now=MADE - timedelta(hours=1))


def test_a_plan_that_cannot_be_written_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "missing-folder" / "plan.json"
    plan = SavedPlan.model_validate_json(
        '{"format": "balance-gateway-plan", "version": 1, "created_at": "2025-03-31T09:00:00Z",'
        ' "tool_version": "0", "syncs": [], "config": {"digest": "sha256:0",'
        ' "config_file": {"path": "c", "sha256": "0"},'
        ' "mapping_file": {"path": "m", "sha256": "0"}}}'
    )
    with pytest.raises(PlanFileError, match="cannot write the plan") as caught:
        save_plan(plan, path)
    assert caught.value.file == str(path)


async def test_a_plan_without_the_sync_asked_for_is_refused(config: Config, tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    plan = await _saved(config, basic_systems(), path)
    with pytest.raises(PlanFileError, match="no sync 'nope'; it has: hr-to-time, hr-to-bank"):
        check_plan(plan, path, config, max_age=DAY, sync_name="nope", now=MADE)


def test_a_file_that_is_not_json_is_refused_naming_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text('{\n  "format": "balance-gateway-plan",\n  "version": 1,\n  oops\n}\n')
    with pytest.raises(PlanFileError) as caught:
        load_plan(path)
    assert isinstance(caught.value, ConfigError)
    assert caught.value.file == str(path)
    assert caught.value.line == 4
    assert "not valid JSON" in str(caught.value)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"version": 1}', "not a saved plan"),
        ("[1, 2]", "not a saved plan"),
        ('{"format": "balance-gateway-plan", "version": 2}', "a saved plan of version 2"),
        ('{"format": "balance-gateway-plan"}', "version None"),
    ],
)
def test_another_format_or_version_is_refused(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "plan.json"
    path.write_text(content)
    with pytest.raises(PlanFileError, match=expected) as caught:
        load_plan(path)
    assert str(path) in str(caught.value)


async def test_a_bad_field_is_refused_naming_where(config: Config, tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    await _saved(config, basic_systems(), path)
    data = json.loads(path.read_text())
    data["syncs"][0]["rows"][1]["operation"] = "explode"
    path.write_text(json.dumps(data))
    with pytest.raises(PlanFileError) as caught:
        load_plan(path)
    assert caught.value.key == "syncs[0].rows[1].operation"
    assert str(path) in str(caught.value)


def test_a_missing_file_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(PlanFileError, match="cannot read the plan"):
        load_plan(tmp_path / "nowhere.json")


def test_plan_ages_are_read_in_minutes_hours_days_or_weeks() -> None:
    assert parse_duration("24h") == timedelta(hours=24)
    assert parse_duration("90 minutes") == timedelta(minutes=90)
    assert parse_duration("2 days") == timedelta(days=2)
    assert parse_duration("1 week") == timedelta(weeks=1)
    for bad in ("0h", "soon", "1.5h", 24):
        with pytest.raises(ValueError, match=re.escape('e.g. "24h"')):
            parse_duration(bad)


def test_plans_max_age_in_the_config(tmp_path: Path) -> None:
    config = write_config(tmp_path, BASIC_TOML + '\n[plans]\nmax_age = "36h"\n', BASIC_CSV)
    assert config.file.plans.max_age == timedelta(hours=36)
    assert write_config(tmp_path, BASIC_TOML, BASIC_CSV).file.plans.max_age == DAY
    with pytest.raises(ConfigError, match=r"plans\.max_age"):
        write_config(tmp_path, BASIC_TOML + '\n[plans]\nmax_age = "a while"\n', BASIC_CSV)


# -- applying a saved plan ------------------------------------------------------------------


async def test_applying_a_saved_plan_blocks_the_row_whose_target_changed_and_applies_the_rest(
    config: Config, tmp_path: Path
) -> None:
    systems = basic_systems()
    plan = await _saved(config, systems, tmp_path / "plan.json")
    # Meanwhile someone sets U2's vacation by hand, and hr's figures move on: the plan is
    # applied as reviewed (hr is not read again for it), except for the row U2 changed under.
    systems["time"].balances[("U2", "Vacation")] = Decimal(16)
    systems["hr"].balances[("e1", "1")] = Decimal(1)
    journal = SqliteJournal(config.state_path)
    reviewed = load_plan(tmp_path / "plan.json").to_plans()
    assert plan.sync_names == [p.sync for p in reviewed]

    report = await Engine(config, systems, journal, today=TODAY).sync(reviewed=reviewed)

    by_target = {(r.row.target_system, r.row.target_employee): r for r in report.results}
    blocked = by_target[("time", "U2")]
    assert blocked.status is OpStatus.BLOCKED
    assert "target changed since the plan: planned against nothing, now 16 hours" in blocked.note
    assert systems["time"].balances[("U2", "Vacation")] == Decimal(16)  # left as it was
    # Every other row is applied with the value the plan showed (e1: 12.5 d, not 1 d).
    assert systems["time"].balances[("U1", "Vacation")] == Decimal("100.0")
    assert systems["time"].balances[("U3", "Vacation")] == Decimal(24)
    assert systems["bank"].balances[("b1", "aaaaaaaaaaaaaaaaaaaaaaaa")] == Decimal("12.5")
    applied = [r for r in report.results if r.status is OpStatus.APPLIED]
    assert len(applied) == 4
    assert all(r.verified is not False for r in applied)
    assert report.exit_code == 1  # a blocked row fails the run, as in a normal sync
    # Journalled like any run: the intents carry this run's ids, with their outcomes.
    ops = journal.operations(report.run_id or "")
    assert [op.employee for op in ops if op.status is OpStatus.BLOCKED] == ["U2"]
    assert sum(op.status is OpStatus.APPLIED for op in ops) == 4
    assert all(op.operation_id.startswith(report.run_id or "?") for op in ops)
    journal.close()


async def test_a_write_only_target_is_checked_against_the_value_last_written(
    config: Config, tmp_path: Path
) -> None:
    systems = basic_systems()
    journal = SqliteJournal(config.state_path)
    # A first run writes bank b1 = 12.5 d; hr then moves to 14 d, and a plan is saved.
    await Engine(config, systems, journal, today=TODAY).sync()
    systems["hr"].balances[("e1", "1")] = Decimal(14)
    saved = saved_plan(
        await Engine(config, systems, journal, today=TODAY).plan(), config_digest(config), MADE
    )
    # Another run applies 14 d before the saved plan is: what the plan saw (12.5 d) is gone.
    systems["hr"].balances[("e1", "1")] = Decimal(15)
    await Engine(config, systems, journal, today=TODAY).sync(["hr-to-bank"])

    report = await Engine(config, systems, journal, today=TODAY).sync(
        ["hr-to-bank"], reviewed=saved.to_plans(["hr-to-bank"])
    )
    row = next(r for r in report.results if r.row.target_employee == "b1")
    assert row.status is OpStatus.BLOCKED
    assert "planned against 12.5 days, now 15 days" in row.note
    assert systems["bank"].balances[("b1", "aaaaaaaaaaaaaaaaaaaaaaaa")] == Decimal(15)
    journal.close()


async def test_a_dry_run_of_a_saved_plan_checks_and_writes_nothing(
    config: Config, tmp_path: Path
) -> None:
    systems = basic_systems()
    saved = await _saved(config, systems, tmp_path / "plan.json")
    systems["time"].balances[("U1", "Vacation")] = Decimal(41)
    report = await Engine(config, systems, None, today=TODAY).sync(
        dry_run=True, reviewed=saved.to_plans()
    )
    rows = {r.target_employee: r for p in report.plans for r in p.rows if p.sync == "hr-to-time"}
    assert rows["U1"].operation is OperationKind.BLOCKED
    assert rows["U2"].operation is OperationKind.SET
    assert systems["time"].writes == []
    assert systems["bank"].writes == []


async def test_a_row_whose_source_another_sync_of_the_plan_writes_is_blocked(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path, CHAIN_TOML, BASIC_CSV)
    systems = basic_systems()
    saved = saved_plan(await _plans(config, systems), config_digest(config), MADE)
    journal = SqliteJournal(config.state_path)

    report = await Engine(config, systems, journal, today=TODAY).sync(reviewed=saved.to_plans())

    status = {(r.row.sync, r.row.target_employee): r for r in report.results}
    assert status[("hr-to-time", "U1")].status is OpStatus.APPLIED
    # time-to-bank was planned from U1's 40 h, which hr-to-time has just replaced.
    carried = status[("time-to-bank", "b1")]
    assert carried.status is OpStatus.BLOCKED
    assert "sync hr-to-time writes this row's source balance" in carried.note
    assert ("b1", BANK_TYPE) not in systems["bank"].balances
    journal.close()
