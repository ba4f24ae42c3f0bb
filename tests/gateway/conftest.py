"""Fixtures shared by the engine's command-line tests."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

import balance_gateway.gateway.systems
from balance_gateway.adapters._core.adapter import AdapterConfig
from balance_gateway.gateway import cli_sync
from tests.gateway.gateway_fakes import (
    BASIC_CSV,
    BASIC_TOML,
    ENV,
    FakeAdapter,
    basic_systems,
    write_config,
)


@pytest.fixture
def fake_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    """`plan`, `sync` and `runs` on the basic config in `tmp_path`, every system one of
    `basic_systems()`'s fakes (built in place of the vendors' adapters)."""
    systems = basic_systems()

    def build(vendor: str, adapter_config: AdapterConfig) -> FakeAdapter:
        return systems[adapter_config.system]

    monkeypatch.setattr(balance_gateway.gateway.systems, "build_adapter", build)
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("COLUMNS", "240")
    write_config(tmp_path, BASIC_TOML, BASIC_CSV)
    app = typer.Typer()
    cli_sync.register(app)
    return app
