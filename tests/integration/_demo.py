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
