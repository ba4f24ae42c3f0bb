"""Loading the configuration: every error names the file and the key (and the CSV line)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from balance_gateway.adapters._core.registry import module_name
from balance_gateway.adapters._core.retry import RetryPolicy
from balance_gateway.canonical import Figure, LeaveKind, Quantity, RoundingMode, Unit
from balance_gateway.gateway.config import load_config, parse_quantity
from balance_gateway.gateway.errors import ConfigError
from balance_gateway.gateway.systems import build_systems, close_systems
from tests.gateway.gateway_fakes import (
    BANK_VENDOR,
    BASIC_CSV,
    BASIC_TOML,
    ENV,
    TIME_VENDOR,
    write_config,
)


def test_basic_config_loads_with_defaults(tmp_path: Path) -> None:
    config = write_config(tmp_path, BASIC_TOML, BASIC_CSV)
    sync = config.sync("hr-to-time")
    assert sync.figure is Figure.REMAINING
    assert sync.rounding is None
    assert sync.as_of == date(2025, 3, 31)
    assert sync.types[0].kind is LeaveKind.VACATION
    assert config.state_path == tmp_path / "state" / "gateway.sqlite3"
    assert config.credentials["hr"]["password"].reveal() == ENV["HR_SECRET"]
    assert str(config.credentials["hr"]["password"]) == "***"
    assert config.file.guardrails.max_change_quantity() == Quantity.of(30, Unit.DAYS)
    assert config.file.concurrency.max_in_flight == 16
    assert config.mapping is not None
    assert len(config.mapping) == 3
    person = config.mapping.find("time", "U2")
    assert person is not None
    assert person.hours_per_day == Decimal("7.5")
    assert person.id_in("bank") == "b2"


def _error(tmp_path: Path, toml: str, csv: str = BASIC_CSV) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        write_config(tmp_path, toml, csv)
    return info.value


def test_literal_secret_is_refused_without_printing_it(tmp_path: Path) -> None:
    literal = "sk_live_9f8e7d6c5b4a"
    error = _error(tmp_path, BASIC_TOML.replace('token = "BANK_TOKEN"', f'token = "{literal}"'))
    assert error.key == "systems.bank.credentials.token"
    assert "literal secret" in str(error)
    assert str(tmp_path / "config.toml") in str(error)
    assert literal not in str(error)


@pytest.mark.parametrize("value", ["my token", "abc123", "Bank_Token"])
def test_values_that_are_not_variable_names_are_refused(tmp_path: Path, value: str) -> None:
    error = _error(tmp_path, BASIC_TOML.replace('token = "BANK_TOKEN"', f'token = "{value}"'))
    assert error.key == "systems.bank.credentials.token"
    assert value not in str(error)


def test_missing_environment_variable_is_named(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(BASIC_TOML)
    (tmp_path / "employees.csv").write_text(BASIC_CSV.lstrip())
    env = {k: v for k, v in ENV.items() if k != "TIME_SECRET"}
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "config.toml", env=env)
    assert info.value.key == "systems.time.credentials.api_key"
    assert "environment variable TIME_SECRET is not set" in str(info.value)


def test_loading_without_credentials_needs_no_environment(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(BASIC_TOML)
    config = load_config(
        tmp_path / "config.toml", env={}, with_credentials=False, with_mapping=False
    )
    assert config.credentials == {}
    assert config.mapping is None


@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        (f'vendor = "{BANK_VENDOR}"', "systems.bank.vendor", f"unknown vendor '{BANK_VENDOR}o'"),
        ("max_operations = 100", "guardrails.max_operatons", "an unknown key; did you mean"),
        ('max_change = "30 days"', "guardrails.max_change", "not an amount with a unit"),
        ('as_of = "2025-03-31"', "syncs[0].as_of", "today"),
        ('target = "time"', "syncs[0].target", "no system is called 'tme'"),
        ("hours_per_day = 8", "schedule.hours_per_day", "at most 24"),
    ],
)
def test_errors_name_the_key(tmp_path: Path, change: str, key: str, words: str) -> None:
    broken = {
        f'vendor = "{BANK_VENDOR}"': f'vendor = "{BANK_VENDOR}o"',
        "max_operations = 100": "max_operatons = 100",
        'max_change = "30 days"': 'max_change = "30"',
        'as_of = "2025-03-31"': 'as_of = "yesterday"',
        'target = "time"': 'target = "tme"',
        "hours_per_day = 8": "hours_per_day = 25",
    }[change]
    error = _error(tmp_path, BASIC_TOML.replace(change, broken, 1))
    assert error.key is not None
    assert error.key.startswith(key)
    assert words in str(error)
    assert str(error).startswith(str(tmp_path / "config.toml"))


def test_invalid_toml_names_the_file_and_line(tmp_path: Path) -> None:
    error = _error(tmp_path, BASIC_TOML + "\n[broken\n")
    assert "not valid TOML at column" in str(error)
    assert error.file == str(tmp_path / "config.toml")
    assert error.line == len((BASIC_TOML + "\n[broken\n").splitlines())
    assert "(at line" not in str(error)  # said once, as the error's line


def test_incomplete_credentials_are_refused_at_load_time(tmp_path: Path) -> None:
    # Checked against the adapter's CREDENTIAL_KEYS (or the keys its options name) when the
    # file is loaded, naming the key, never a value.
    toml = BASIC_TOML.replace(
        'credentials = { username = "TIME_USER", api_key = "TIME_SECRET" }',
        'credentials = { api_key = "TIME_SECRET" }',
    )
    error = _error(tmp_path, toml)
    assert error.key == "systems.time.credentials"
    assert "{username, api_key} or {username, password}" in str(error)


def test_a_misspelt_credential_key_is_refused_at_load_time(tmp_path: Path) -> None:
    toml = BASIC_TOML.replace(
        'credentials = { username = "TIME_USER", api_key = "TIME_SECRET" }',
        'credentials = { username = "TIME_USER", api_key = "TIME_SECRET", pasword = "X" }',
    )
    error = _error(tmp_path, toml)
    assert error.key == "systems.time.credentials.pasword"
    assert "did you mean 'password'" in str(error)


def test_a_wrong_option_value_names_the_option(tmp_path: Path) -> None:
    toml = BASIC_TOML.replace(
        'credentials = { username = "TIME_USER", api_key = "TIME_SECRET" }',
        'credentials = { username = "TIME_USER", api_key = "TIME_SECRET" }\n'
        "options = { page_size = 0 }",
    )
    error = _error(tmp_path, toml)
    assert error.key == "systems.time.options.page_size"
    assert "greater than or equal to 1" in str(error)


def test_rounding_and_figure_are_read(tmp_path: Path) -> None:
    toml = BASIC_TOML.replace(
        'as_of = "2025-03-31"\n',
        'as_of = "today"\nfigure = "available"\nrounding = { step = 0.25, mode = "up" }\n',
        1,
    )
    config = write_config(tmp_path, toml, BASIC_CSV)
    sync = config.sync("hr-to-time")
    assert sync.figure is Figure.AVAILABLE
    assert sync.rounding is not None
    assert sync.rounding.step == Decimal("0.25")
    assert sync.rounding.mode is RoundingMode.UP
    assert sync.as_of_date(date(2025, 6, 1)) == date(2025, 6, 1)


def test_unknown_sync_name_lists_the_configured_ones(tmp_path: Path) -> None:
    config = write_config(tmp_path, BASIC_TOML, BASIC_CSV)
    with pytest.raises(ConfigError, match="configured: hr-to-time, hr-to-bank"):
        config.sync("nope")


def test_duplicate_sync_names_are_refused(tmp_path: Path) -> None:
    error = _error(tmp_path, BASIC_TOML.replace('name = "hr-to-bank"', 'name = "hr-to-time"'))
    assert error.key == "syncs[1].name"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10 days", Quantity.of(10, Unit.DAYS)),
        ("7.5 hours", Quantity.of("7.5", Unit.HOURS)),
        (" 90 minutes ", Quantity.of(90, Unit.MINUTES)),
        ("1 day", Quantity.of(1, Unit.DAYS)),
    ],
)
def test_parse_quantity(text: str, expected: Quantity) -> None:
    assert parse_quantity(text) == expected


# -- the mapping CSV ------------------------------------------------------------------------


def _csv_error(tmp_path: Path, csv: str) -> ConfigError:
    return _error(tmp_path, BASIC_TOML, csv)


def test_missing_column_names_the_system(tmp_path: Path) -> None:
    error = _csv_error(tmp_path, "hr,time\ne1,U1\n")
    assert error.line == 1
    assert error.file == str(tmp_path / "employees.csv")
    assert "no column for 'bank'" in str(error)


def test_duplicate_id_names_both_lines(tmp_path: Path) -> None:
    error = _csv_error(tmp_path, "hr,time,bank\ne1,U1,b1\ne2,U2,b2\ne3,U1,b3\n")
    assert error.line == 4
    assert error.key == "time"
    assert "'U1' appears twice (first on line 2)" in str(error)
    assert str(error).startswith(f"{tmp_path / 'employees.csv'}, line 4: time:")


def test_bad_hours_per_day_names_the_line(tmp_path: Path) -> None:
    error = _csv_error(tmp_path, "hr,time,bank,hours_per_day\ne1,U1,b1,8\ne2,U2,b2,eight\n")
    assert error.line == 3
    assert error.key == "hours_per_day"


def test_unknown_column_is_refused(tmp_path: Path) -> None:
    # A column is a system's name: not a vendor's.
    error = _csv_error(tmp_path, f"hr,time,bank,{BANK_VENDOR}\ne1,U1,b1,x\n")
    assert error.key == BANK_VENDOR
    assert error.line == 1


def test_short_row_names_the_line(tmp_path: Path) -> None:
    error = _csv_error(tmp_path, "hr,time,bank\ne1,U1,b1\ne2,U2\n")
    assert error.line == 3
    assert "expected 3 cells" in str(error)


def test_missing_mapping_file(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(BASIC_TOML)
    with pytest.raises(ConfigError, match="cannot read the employee mapping"):
        load_config(tmp_path / "config.toml", env=ENV)


# -- how old a source figure may be, and each system's retry budget -------------------------


@pytest.mark.parametrize(
    ("text", "days"), [('"45 days"', 45), ('"1 day"', 1), ('"6 weeks"', 42), ('" 0 days "', 0)]
)
def test_max_source_age_is_read_in_days_or_weeks(tmp_path: Path, text: str, days: int) -> None:
    toml = BASIC_TOML.replace(
        'as_of = "2025-03-31"\n', f'as_of = "2025-03-31"\nmax_source_age = {text}\n', 1
    )
    config = write_config(tmp_path, toml, BASIC_CSV)
    assert config.sync("hr-to-time").max_source_age == timedelta(days=days)
    assert config.sync("hr-to-bank").max_source_age is None  # unset: never blocked for age


@pytest.mark.parametrize("text", ["45", '"45"', '"45 hours"', '"-3 days"', '"1.5 days"'])
def test_a_max_source_age_without_days_or_weeks_names_the_key(tmp_path: Path, text: str) -> None:
    toml = BASIC_TOML.replace(
        'as_of = "2025-03-31"\n', f'as_of = "2025-03-31"\nmax_source_age = {text}\n', 1
    )
    error = _error(tmp_path, toml)
    assert error.key == "syncs[0].max_source_age"
    assert '"45 days"' in str(error)


def test_a_systems_retry_table_sets_its_retry_budget(tmp_path: Path) -> None:
    toml = BASIC_TOML.replace(
        'credentials = { token = "BANK_TOKEN" }\n',
        'credentials = { token = "BANK_TOKEN" }\n'
        "retry = { max_attempts = 6, max_total_seconds = 300 }\n",
        1,
    ).replace(
        'credentials = { username = "TIME_USER", api_key = "TIME_SECRET" }\n',
        'credentials = { username = "TIME_USER", api_key = "TIME_SECRET" }\n'
        "retry = { max_total_seconds = 5 }\n",
        1,
    )
    config = write_config(tmp_path, toml, BASIC_CSV)
    bank = config.file.systems["bank"].retry
    time = config.file.systems["time"].retry
    assert bank is not None
    assert time is not None
    assert bank.policy() == RetryPolicy(max_attempts=6, max_total_seconds=300)
    # Keys left out keep the policy underneath (the SDK's defaults, or the caller's).
    assert time.policy() == RetryPolicy(max_total_seconds=5)
    base = RetryPolicy(max_attempts=2, backoff_initial=0)
    assert time.policy(base) == RetryPolicy(max_attempts=2, backoff_initial=0, max_total_seconds=5)
    assert config.file.systems["hr"].retry is None


@pytest.mark.parametrize(
    ("table", "words"),
    [
        ("{ max_attempts = 0 }", "greater than or equal to 1"),
        ("{ max_total_seconds = -1 }", "greater than 0"),
        ("{ max_atempts = 3 }", "an unknown key; did you mean 'max_attempts'?"),
    ],
)
def test_a_bad_retry_table_names_the_key(tmp_path: Path, table: str, words: str) -> None:
    toml = BASIC_TOML.replace(
        'credentials = { token = "BANK_TOKEN" }\n',
        f'credentials = {{ token = "BANK_TOKEN" }}\nretry = {table}\n',
        1,
    )
    error = _error(tmp_path, toml)
    assert error.key is not None
    assert error.key.startswith("systems.bank.retry.")
    assert words in str(error)


async def test_each_adapter_is_built_with_its_systems_retry_budget(tmp_path: Path) -> None:
    toml = BASIC_TOML.replace(
        'credentials = { username = "TIME_USER", api_key = "TIME_SECRET" }\n',
        'credentials = { username = "TIME_USER", api_key = "TIME_SECRET" }\n'
        "retry = { max_attempts = 7 }\n",
        1,
    )
    config = write_config(tmp_path, toml, BASIC_CSV)
    fast = RetryPolicy(backoff_initial=0)
    adapters = build_systems(config, ["time"], retry=fast)
    try:
        adapter = adapters["time"]
        assert type(adapter).__module__ == module_name(TIME_VENDOR, "adapter")
        retry_policy = adapter.client.retry_policy  # type: ignore[attr-defined]
        assert retry_policy == RetryPolicy(backoff_initial=0, max_attempts=7)
    finally:
        await close_systems(adapters)
