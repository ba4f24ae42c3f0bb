"""Errors where people look (issue 14, item 7): read and auth failures go to stderr; a 401
names the system and the environment variables its credentials came from; a connect error
names host and port. (`--json` configuration failures: tests/gateway/test_gateway_config_checks.)
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from typer import Typer
from typer.testing import CliRunner

from balance_gateway.gateway import cli_sync
from balance_gateway.gateway.demo import ENV, PROFILES, SCENARIO, DemoEnvironment
from tests.integration._demo import demo_environment

# The first sync of the demo whose source takes one credential variable (a token), and it.
SYNC = next(s for s in SCENARIO if len(PROFILES[s.source].environment()) == 1)
(TOKEN_VARIABLE,) = PROFILES[SYNC.source].environment()
REFUSED = "a-token-the-source-refuses"


@pytest.fixture(autouse=True)
def _structlog_unconfigured() -> None:
    structlog.reset_defaults()


@pytest.fixture(scope="module")
def env() -> Iterator[DemoEnvironment]:
    with demo_environment(4, seed=2) as environment:
        yield environment


def _app() -> Typer:
    app = Typer()
    cli_sync.register(app)
    return app


@pytest.mark.parametrize("as_json", [False, True])
def test_a_401_names_the_system_and_its_credential_variables_on_stderr(
    env: DemoEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, as_json: bool
) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(TOKEN_VARIABLE, REFUSED)
    monkeypatch.setenv("COLUMNS", "3000")
    path = env.write_config(tmp_path)
    args = ["plan", "--config", str(path), "--sync", SYNC.name]
    result = CliRunner().invoke(_app(), args + (["--json"] if as_json else []))
    assert result.exit_code == 1, result.output
    message = " ".join(result.stderr.split())
    assert "401" in message
    assert f"system '{SYNC.source}'" in message
    assert TOKEN_VARIABLE in message
    assert REFUSED not in result.output
    if as_json:
        error = json.loads(result.stdout)["syncs"][0]["error"]
        assert TOKEN_VARIABLE in error
    else:
        assert "401" not in result.stdout  # the table on stdout, the failure on stderr


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_a_connect_error_names_host_and_port(
    env: DemoEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("COLUMNS", "3000")
    port = _closed_port()
    path = env.write_config(tmp_path)
    text = path.read_text().replace(env.base_urls[SYNC.source], f"http://127.0.0.1:{port}")
    path.write_text(text)
    result = CliRunner().invoke(_app(), ["plan", "--config", str(path), "--sync", SYNC.name])
    assert result.exit_code == 1, result.output
    message = " ".join(result.stderr.split())
    assert f"127.0.0.1:{port}" in message
    assert "could not connect" in message
