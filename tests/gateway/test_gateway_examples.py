"""The example configuration and mapping in `examples/` load as they are."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from balance_gateway.adapters._core.retry import RetryPolicy
from balance_gateway.canonical import Figure, Quantity, RoundingMode, Unit
from balance_gateway.gateway.config import load_config
from balance_gateway.gateway.service.settings import Role, load_service_settings
from balance_gateway.gateway.systems import build_systems, close_systems

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ENV = {
    "COMPANYFLOW_EMAIL": "integration@example.com",
    "COMPANYFLOW_PASSWORD": "example-password-1",
    "KENJO_API_KEY": "example-kenjo-key-1",
    "ZEITSTROM_TOKEN": "example-zeitstrom-token-1",
    "BEZALA_TOKEN": "example-bezala-token-1",
    "JOURNYX_USERNAME": "integration",
    "JOURNYX_API_KEY": "example-journyx-key-1",
}


def test_example_config_and_mapping_load() -> None:
    config = load_config(EXAMPLES / "config.toml", env=ENV)
    assert [s.name for s in config.file.syncs] == [
        "hr-to-kenjo",
        "time-to-expenses",
        "expenses-to-projects",
        "projects-to-time",
    ]
    assert config.sync("expenses-to-projects").max_source_age == timedelta(days=45)
    assert config.sync("hr-to-kenjo").max_source_age is None
    retry = config.file.systems["time"].retry
    assert retry is not None
    assert retry.policy() == RetryPolicy(max_attempts=4, max_total_seconds=60)
    assert retry.policy() == RetryPolicy()  # the example shows the defaults
    assert config.sync("hr-to-kenjo").figure is Figure.REMAINING
    rounding = config.sync("projects-to-time").rounding
    assert rounding is not None
    assert (rounding.step, rounding.mode) == (Decimal("0.01"), RoundingMode.HALF_EVEN)
    assert config.file.guardrails.max_change_quantity() == Quantity.of(30, Unit.DAYS)
    assert config.state_path == EXAMPLES / "balance-gateway.sqlite3"
    assert config.mapping is not None
    assert len(config.mapping) == 4
    person = config.mapping.find("expenses", "820")
    assert person is not None
    assert person.hours_per_day == Decimal("7.5")
    assert person.id_in("kenjo") == "5f1e0c0a1b2c3d4e5f607182"
    assert config.mapping.find("kenjo", "") is None


async def test_example_systems_build_their_adapters() -> None:
    config = load_config(EXAMPLES / "config.toml", env=ENV)
    adapters = build_systems(config, sorted(config.file.systems))
    try:
        assert {name: a.vendor for name, a in adapters.items()} == {
            "expenses": "bezala",
            "hr": "companyflow",
            "kenjo": "kenjo",
            "projects": "journyx",
            "time": "zeitstrom",
        }
        assert adapters["kenjo"].target_unit("5f1e0c0a1b2c3d4e5f600002").unit is Unit.HOURS
    finally:
        await close_systems(adapters)


def test_the_example_config_is_ready_to_serve() -> None:
    env = {
        **ENV,
        "GATEWAY_READ_TOKEN": "an-example-read-token-0000",
        "GATEWAY_OPERATOR_TOKEN": "an-example-operator-token-0000",
    }
    settings = load_service_settings(load_config(EXAMPLES / "config.toml", env=env), env)
    assert set(settings.schedules) == {"hr-to-kenjo"}
    assert settings.tokens.role_of("an-example-operator-token-0000") is Role.OPERATOR
