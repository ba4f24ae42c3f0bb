"""The config is checked against the systems (issue 14, item 2).

- every missing credential variable is listed at once, not only the first;
- a key typo says which keys are valid ("did you mean");
- unknown keys inside `options` are refused like unknown keys elsewhere;
- leave-type ids in `[[syncs]].types` that a system does not have are a configuration error
  (exit 2) naming the key, the value and the types the system has, for a source and a target
  (a target typo used to raise a Python traceback, a source typo was a silent `skip`, exit 0).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import ClassVar

import pytest
import structlog
from typer import Typer
from typer.testing import CliRunner

from balance_gateway.adapters._core.discovery import (
    ConnectionCheck,
    DirectoryPerson,
    LeaveTypeInfo,
    Listing,
)
from balance_gateway.canonical import Balance
from balance_gateway.gateway import cli_sync
from balance_gateway.gateway.checks import check_leave_types
from balance_gateway.gateway.config import load_config
from balance_gateway.gateway.demo import ENV, SCENARIO, DemoEnvironment
from balance_gateway.gateway.errors import ConfigError
from balance_gateway.gateway.journal import RunStatus
from balance_gateway.gateway.runner import run_plan, run_sync
from balance_gateway.gateway.store.sqlite import SqliteJournal
from tests.adapters.vendor_facts import facts, vendors_with
from tests.gateway.gateway_fakes import (
    BANK_VENDOR,
    BASIC_CSV,
    BASIC_TOML,
    TODAY,
    FakeAdapter,
    basic_systems,
    write_config,
)
from tests.gateway.gateway_fakes import ENV as FAKE_ENV
from tests.integration._demo import demo_environment


def _load(tmp_path: Path, toml: str, env: dict[str, str] | None = None) -> ConfigError:
    (tmp_path / "config.toml").write_text(toml)
    (tmp_path / "employees.csv").write_text(BASIC_CSV.lstrip())
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "config.toml", env=FAKE_ENV if env is None else env)
    return info.value


def test_every_missing_credential_variable_is_listed_at_once(tmp_path: Path) -> None:
    env = {k: v for k, v in FAKE_ENV.items() if k not in ("TIME_SECRET", "BANK_TOKEN", "HR_USER")}
    error = _load(tmp_path, BASIC_TOML, env)
    text = str(error)
    for variable in ("HR_USER", "TIME_SECRET", "BANK_TOKEN"):
        assert variable in text
    assert "systems.bank.credentials.token" in text
    assert "systems.time.credentials.api_key" in text


@pytest.mark.parametrize(
    ("old", "new", "key", "suggestion"),
    [
        ('name = "hr-to-time"', 'name = "hr-to-time"\ntargett = "time"', "targett", "target"),
        (
            f'vendor = "{BANK_VENDOR}"',
            f'vendor = "{BANK_VENDOR}"\nbase_ur = "x"',
            "base_ur",
            "base_url",
        ),
        ("[guardrails]", "[guardrails]\nmax_chnage = '1 days'", "max_chnage", "max_change"),
        ("[mapping]", "[mappings]", "mappings", "mapping"),
    ],
)
def test_a_key_typo_says_did_you_mean(
    tmp_path: Path, old: str, new: str, key: str, suggestion: str
) -> None:
    error = _load(tmp_path, BASIC_TOML.replace(old, new, 1))
    assert error.key is not None
    assert key in error.key
    assert f"did you mean '{suggestion}'" in str(error)
    assert "valid keys" in str(error)


def test_an_unknown_option_key_is_refused(tmp_path: Path) -> None:
    toml = BASIC_TOML.replace(
        'credentials = { token = "BANK_TOKEN" }',
        'credentials = { token = "BANK_TOKEN" }\noptions = { type_unit = { a = "days" } }',
    )
    error = _load(tmp_path, toml)
    assert error.key == "systems.bank.options.type_unit"
    assert "did you mean 'type_units'" in str(error)


def test_known_option_keys_are_accepted(tmp_path: Path) -> None:
    toml = BASIC_TOML.replace(
        'credentials = { token = "BANK_TOKEN" }',
        'credentials = { token = "BANK_TOKEN" }\noptions = { type_units = {} }',
    )
    (tmp_path / "config.toml").write_text(toml)
    (tmp_path / "employees.csv").write_text(BASIC_CSV.lstrip())
    load_config(tmp_path / "config.toml", env=FAKE_ENV)


# -- leave types, against the emulators ---------------------------------------------------------


@pytest.fixture(autouse=True)
def _structlog_unconfigured() -> None:
    structlog.reset_defaults()


@pytest.fixture(scope="module")
def env() -> Iterator[DemoEnvironment]:
    with demo_environment(4, seed=2) as environment:
        yield environment


def _type_typos() -> list[tuple[str, str, str, str, str, list[str]]]:
    """(sync, the type id as configured, the typo, the key, the typo, types the error lists):
    each vendor's `TYPE_TYPOS` (`tests/adapters/<vendor>/facts.py`), in the demo's sync that
    has it in that role."""
    cases = []
    for vendor in vendors_with("TYPE_TYPOS"):
        for typo in facts(vendor, "TYPE_TYPOS", list):
            index, sync = next(
                (i, s) for i, s in enumerate(SCENARIO) if getattr(s, typo.role) == vendor
            )
            old, new = f'{typo.role} = "{typo.configured}"', f'{typo.role} = "{typo.typo}"'
            key = f"syncs[{index}].types[0].{typo.role}"
            cases.append((sync.name, old, new, key, typo.typo, list(typo.listed)))
    return cases


TYPE_TYPOS = _type_typos()


@pytest.mark.parametrize(
    ("sync", "old", "new", "key", "value", "listed"),
    TYPE_TYPOS,
    ids=[f"{t[0]}-{t[3]}" for t in TYPE_TYPOS],
)
@pytest.mark.parametrize("command", ["plan", "sync"])
def test_a_leave_type_the_system_does_not_have_is_a_config_error(
    env: DemoEnvironment,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    sync: str,
    old: str,
    new: str,
    key: str,
    value: str,
    listed: list[str],
) -> None:
    for name, secret in ENV.items():
        monkeypatch.setenv(name, secret)
    monkeypatch.setenv("COLUMNS", "3000")
    path = env.write_config(tmp_path)
    text = path.read_text()
    start = text.index(f'name = "{sync}"')
    head, tail = text[:start], text[start:]
    path.write_text(head + tail.replace(old, new, 1))
    app = Typer()
    cli_sync.register(app)
    args = [command, "--config", str(path), "--sync", sync]
    if command == "sync":
        args.append("--yes")
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    message = result.stderr
    assert key in message
    assert repr(value) in message
    for known in listed:
        assert known in message


def test_a_leave_type_error_in_json_mode_is_a_json_object(
    env: DemoEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, secret in ENV.items():
        monkeypatch.setenv(name, secret)
    path = env.write_config(tmp_path)
    path.write_text(path.read_text().replace('target = "vacation"', 'target = "vacaton"', 1))
    app = Typer()
    cli_sync.register(app)
    result = CliRunner().invoke(app, ["plan", "--config", str(path), "--json"])
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["key"] == "syncs[1].types[0].target"
    assert "vacaton" in error["message"]


class _ListsTypes(FakeAdapter):
    """A fake that lists its leave types only once every system is being asked: a check
    asking one system after another waits forever."""

    asked: ClassVar[int] = 0
    everyone_asked: ClassVar[asyncio.Event]

    async def check_connection(self) -> ConnectionCheck:
        raise NotImplementedError

    async def list_people(self) -> Listing[DirectoryPerson]:
        raise NotImplementedError

    async def list_leave_types(self) -> Listing[LeaveTypeInfo]:
        type(self).asked += 1
        if type(self).asked == 3:
            type(self).everyone_asked.set()
        await type(self).everyone_asked.wait()
        return Listing(items=(LeaveTypeInfo("1"), LeaveTypeInfo("Vacation")))


async def test_every_systems_leave_types_are_listed_at_once(tmp_path: Path) -> None:
    # This check stands before the first write of every run: its requests should not queue.
    config = write_config(tmp_path, BASIC_TOML, BASIC_CSV)
    _ListsTypes.asked, _ListsTypes.everyone_asked = 0, asyncio.Event()
    adapters = {name: _ListsTypes(name) for name in ("hr", "time", "bank")}
    with pytest.raises(ConfigError) as info:  # bank has no type "aaaa...": still reported
        await asyncio.wait_for(check_leave_types(config, adapters, ["hr-to-time", "hr-to-bank"]), 5)
    assert _ListsTypes.asked == 3
    assert info.value.key == "syncs[1].types[0].target"


class _TypesWhileReading(FakeAdapter):
    """A fake whose type listing answers only once a balance read has begun somewhere: a run
    that waits for the check before it reads waits forever."""

    reading: ClassVar[asyncio.Event]
    types: ClassVar[tuple[str, ...]] = ("1", "Vacation")

    async def check_connection(self) -> ConnectionCheck:
        raise NotImplementedError

    async def list_people(self) -> Listing[DirectoryPerson]:
        raise NotImplementedError

    async def list_leave_types(self) -> Listing[LeaveTypeInfo]:
        await type(self).reading.wait()
        return Listing(items=tuple(LeaveTypeInfo(t) for t in type(self).types))

    async def read_balances(
        self, employee_ids: Sequence[str], leave_type_ids: Sequence[str], as_of: date
    ) -> list[Balance]:
        type(self).reading.set()
        return await super().read_balances(employee_ids, leave_type_ids, as_of)


def _reading_systems(types: tuple[str, ...]) -> dict[str, FakeAdapter]:
    _TypesWhileReading.reading, _TypesWhileReading.types = asyncio.Event(), types
    systems = basic_systems()
    return {
        name: _TypesWhileReading(
            name,
            can_read=fake.can_read,
            can_write=fake.can_write,
            units=fake.units,
            balances=fake.balances,
        )
        for name, fake in systems.items()
    }


@pytest.mark.parametrize("command", ["plan", "sync"])
async def test_the_type_check_lists_the_types_while_the_plan_reads(
    tmp_path: Path, command: str
) -> None:
    # The check stands before the first write, not before the first read: listing a target's
    # types (every accrual, on some vendors) no longer holds up reading the source.
    config = write_config(tmp_path, BASIC_TOML, BASIC_CSV)
    systems = _reading_systems(("1", "Vacation"))
    run = run_plan if command == "plan" else run_sync
    report = await asyncio.wait_for(run(config, "hr-to-time", adapters=systems, today=TODAY), 5)
    assert report.exit_code == 0
    planned = [r for p in report.plans for r in p.rows if r.writes]
    assert planned
    assert len(systems["time"].writes) == (0 if command == "plan" else len(planned))


async def test_a_type_the_check_finds_missing_stops_the_sync_before_any_write(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path, BASIC_TOML, BASIC_CSV)
    systems = _reading_systems(("1", "Vacaton"))  # the target has no "Vacation"
    with pytest.raises(ConfigError) as info:
        await asyncio.wait_for(run_sync(config, "hr-to-time", adapters=systems, today=TODAY), 5)
    assert info.value.key == "syncs[0].types[0].target"
    assert systems["time"].writes == []
    assert config.state.path is not None
    journal = SqliteJournal(config.state.path, writable=False)
    try:
        [run] = journal.runs()
    finally:
        journal.close()
    assert run.status is RunStatus.STOPPED
    assert "'Vacation'" in run.message
    assert run.message.endswith("nothing was written")
