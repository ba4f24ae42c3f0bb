"""What `serve` reads beyond the sync config: tokens and their roles, schedules, time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from balance_gateway.adapters._core.secrets import Secret
from balance_gateway.gateway.config import load_config
from balance_gateway.gateway.demo import SCENARIO, SYNC_ORDER
from balance_gateway.gateway.errors import ConfigError
from balance_gateway.gateway.service.demo import (
    OPERATOR_TOKEN,
    READ_TOKEN,
    ServiceDemo,
    service_env,
)
from balance_gateway.gateway.service.settings import (
    Role,
    Schedule,
    Tokens,
    load_service_settings,
)


def _with(demo: ServiceDemo, tmp_path: Path, old: str, new: str) -> Path:
    text = demo.config_path.read_text()
    assert old in text
    path = demo.folder / f"variant-{tmp_path.name}.toml"
    path.write_text(text.replace(old, new, 1))
    return path


def test_each_token_gives_its_role(demo: ServiceDemo) -> None:
    tokens = load_service_settings(demo.config, service_env()).tokens
    assert tokens.role_of(OPERATOR_TOKEN) is Role.OPERATOR
    assert tokens.role_of(READ_TOKEN) is Role.READ
    assert tokens.role_of("") is None
    assert tokens.role_of(OPERATOR_TOKEN + "x") is None
    assert tokens.role_of(OPERATOR_TOKEN.upper()) is None


def test_an_operator_may_do_what_a_reader_may_and_not_the_other_way() -> None:
    assert Role.OPERATOR.allows(Role.READ)
    assert Role.OPERATOR.allows(Role.OPERATOR)
    assert Role.READ.allows(Role.READ)
    assert not Role.READ.allows(Role.OPERATOR)


def test_a_token_in_both_lists_is_an_operators() -> None:
    same = "the-same-token-in-both-lists"
    tokens = Tokens(((Secret(same), Role.READ), (Secret(same), Role.OPERATOR)))
    assert tokens.role_of(same) is Role.OPERATOR


def test_a_token_variable_that_is_not_set_names_its_key(demo: ServiceDemo) -> None:
    env = {k: v for k, v in service_env().items() if k != "DEMO_OPERATOR_TOKEN"}
    with pytest.raises(ConfigError) as caught:
        load_service_settings(demo.config, env)
    assert "service.operator_tokens[0]" in str(caught.value)
    assert "DEMO_OPERATOR_TOKEN is not set" in str(caught.value)


def test_a_short_token_is_refused_without_showing_it(demo: ServiceDemo) -> None:
    env = {**service_env(), "DEMO_READ_TOKEN": "letmein"}
    with pytest.raises(ConfigError) as caught:
        load_service_settings(demo.config, env)
    assert "shorter than 16 characters" in str(caught.value)
    assert "letmein" not in str(caught.value)


def test_a_literal_token_in_the_config_is_refused(demo: ServiceDemo, tmp_path: Path) -> None:
    path = _with(
        demo,
        tmp_path,
        'operator_tokens = ["DEMO_OPERATOR_TOKEN"]',
        'operator_tokens = ["s3cr3t-operator-token"]',
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path, env=service_env())
    assert "service.operator_tokens[0]" in str(caught.value)
    assert "s3cr3t" not in str(caught.value)


def test_an_unknown_time_zone_is_a_config_error(demo: ServiceDemo, tmp_path: Path) -> None:
    path = _with(demo, tmp_path, 'timezone = "UTC"', 'timezone = "Europe/Atlantis"')
    with pytest.raises(ConfigError) as caught:
        load_config(path, env=service_env())
    assert "service.timezone" in str(caught.value)
    assert "Europe/Atlantis" in str(caught.value)


def test_schedules_use_the_configured_time_zone(demo: ServiceDemo, tmp_path: Path) -> None:
    path = _with(demo, tmp_path, 'timezone = "UTC"', 'timezone = "Europe/Helsinki"')
    settings = load_service_settings(load_config(path, env=service_env()), service_env())
    schedule = settings.schedules[SYNC_ORDER[0]]
    assert schedule.expression == "0 2 * * *"
    # 02:00 in Helsinki in winter is 00:00 UTC.
    after = schedule.next_after(datetime(2026, 1, 10, 12, 0, tzinfo=UTC))
    assert after.astimezone(UTC) == datetime(2026, 1, 11, 0, 0, tzinfo=UTC)
    # Syncs due together run in dependency order (one whose target the other reads from first).
    feeds, fed = next((a, b) for a in SCENARIO for b in SCENARIO if a.target == b.source)
    order = settings.run_order
    assert order.index(feeds.name) < order.index(fed.name)


def test_a_sync_without_a_schedule_is_run_by_hand_only(demo: ServiceDemo, tmp_path: Path) -> None:
    path = _with(demo, tmp_path, 'schedule = "0 2 * * *"\n', "")
    settings = load_service_settings(load_config(path, env=service_env()), service_env())
    assert SYNC_ORDER[0] not in settings.schedules  # the first sync's schedule was removed
    assert SYNC_ORDER[1] in settings.schedules


def test_next_after_is_strictly_after() -> None:
    schedule = Schedule("s", "0 2 * * *", ZoneInfo("UTC"))
    two = datetime(2026, 1, 10, 2, 0, tzinfo=UTC)
    assert schedule.next_after(two) == datetime(2026, 1, 11, 2, 0, tzinfo=UTC)
