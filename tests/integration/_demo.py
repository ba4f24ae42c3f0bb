"""Helpers for the engine tests over real HTTP against the demo's emulators
(`DemoEnvironment`: every registered emulator under uvicorn on 127.0.0.1, loaded with a
generated dataset)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog

from balance_gateway.gateway.config import Config, load_config
from balance_gateway.gateway.demo import (
    DEMO_SYNCS_TOML,
    ENV,
    SETTINGS_TOML,
    SYNC_ORDER,
    DemoEnvironment,
)
from balance_gateway.gateway.engine import RunReport
from balance_gateway.gateway.runner import run_sync


@contextmanager
def demo_environment(people: int, seed: int = 8) -> Iterator[DemoEnvironment]:
    with (
        tempfile.TemporaryDirectory() as folder,
        DemoEnvironment(Path(folder) / "demo", people=people, seed=seed) as environment,
    ):
        yield environment


def demo_fixtures(people: int, seed: int) -> tuple[Any, Any, Any]:
    """The fixtures of a test module over one `DemoEnvironment` of `people` generated people
    (`seed`), bound at the module's top level:

        _structlog_unconfigured, env, fresh = demo_fixtures(16, seed=3)

    `env`: the environment, once per module; `fresh`: it with the emulators back at the
    generated dataset (each test writes its own config); and, for every test, structlog reset
    to its defaults: another test may have left it configured, which sends every
    `http.request` event to stdout (into a `--json` output read there); unconfigured, events
    go to stdlib logging."""

    @pytest.fixture(autouse=True, name="_structlog_unconfigured")
    def structlog_unconfigured() -> None:
        structlog.reset_defaults()

    @pytest.fixture(scope="module", name="env")
    def env() -> Iterator[DemoEnvironment]:
        with demo_environment(people, seed=seed) as environment:
            yield environment

    @pytest.fixture(name="fresh")
    def fresh(env: DemoEnvironment) -> DemoEnvironment:
        env.reset()
        return env

    return structlog_unconfigured, env, fresh


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


def round_to(value: Decimal, step: str) -> Decimal:
    return (value / Decimal(step)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN) * Decimal(step)


async def sync_all(config: Config) -> list[RunReport]:
    return [await run_sync(config, name) for name in SYNC_ORDER]
