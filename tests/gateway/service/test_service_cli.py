"""`balance-gateway serve` and `demo --serve` as a user runs them: what they check before
listening, what they print, and that they stop cleanly."""

from __future__ import annotations

import re
import signal
import socket
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from balance_gateway.adapters._core import extras
from balance_gateway.gateway.cli import app
from balance_gateway.gateway.demo import SYNC_ORDER
from balance_gateway.gateway.service.demo import (
    LEFT_FOR_THE_OPERATOR,
    OPERATOR_TOKEN,
    READ_TOKEN,
    SERVICE_TOML,
    ServiceDemo,
    service_env,
)
from tests.gateway.service.service_helpers import started

SERVE_URL = r"dashboard at (http://\S+)/ "


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name, value in service_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("COLUMNS", "200")
    return CliRunner()


def test_serve_without_the_service_extra_says_what_to_install(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, demo: ServiceDemo
) -> None:
    monkeypatch.setitem(extras.SERVICE_STACK, "no_such_module_for_this_test", "no-such-dist")
    result = runner.invoke(app, ["serve", "--config", str(demo.config_path)])
    assert result.exit_code == 2
    assert "pip install 'balance-gateway[service]'" in result.output
    assert "no-such-dist" in result.output


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (('schedule = "0 2 * * *"', 'schedule = "every night"'), "syncs[0].schedule"),
        (('timezone = "UTC"', 'timezone = "Mars/Olympus"'), "service.timezone"),
        (
            ('operator_tokens = ["DEMO_OPERATOR_TOKEN"]', 'operator_tokens = ["UNSET_TOKEN_VAR"]'),
            "UNSET_TOKEN_VAR is not set",
        ),
        (
            ('read_tokens = ["DEMO_READ_TOKEN"]', 'read_tokens = ["hunter2-hunter2-hunter2"]'),
            "service.read_tokens[0]",
        ),
    ],
)
def test_serve_checks_the_config_before_listening(
    runner: CliRunner, demo: ServiceDemo, tmp_path: Path, change: tuple[str, str], words: str
) -> None:
    text = demo.config_path.read_text()
    assert change[0] in text
    config = demo.folder / f"bad-{tmp_path.name}.toml"
    config.write_text(text.replace(change[0], change[1], 1))
    try:
        result = runner.invoke(app, ["serve", "--config", str(config), "--port", "0"])
    finally:
        config.unlink()
    assert result.exit_code == 2, result.output
    assert words in result.output
    assert "Traceback" not in result.output
    assert "hunter2" not in result.output  # a literal secret is never echoed


def test_serve_needs_at_least_one_token(runner: CliRunner, demo: ServiceDemo) -> None:
    config = demo.folder / "no-tokens.toml"
    text = demo.config_path.read_text()
    config.write_text(text.replace(SERVICE_TOML, ""))
    try:
        result = runner.invoke(app, ["serve", "--config", str(config), "--port", "0"])
    finally:
        config.unlink()
    assert result.exit_code == 2, result.output
    assert "at least one token" in result.output


def test_serve_says_when_the_port_is_taken(runner: CliRunner, demo: ServiceDemo) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(
            app, ["serve", "--config", str(demo.config_path), "--port", str(port)]
        )
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.output


def test_serve_listens_on_loopback_answers_and_stops_on_sigterm(demo: ServiceDemo) -> None:
    arguments = ["serve", "--config", str(demo.config_path), "--port", "0"]
    with started(arguments, service_env(), SERVE_URL, seconds=60) as serve:
        assert serve.url.startswith("http://127.0.0.1:")
        last = re.escape(SYNC_ORDER[-1])
        serve.wait_for(rf'{last}: "0 2 \* \* \*", next \d{{4}}-\d\d-\d\d 02:00')
        with httpx.Client(base_url=serve.url, timeout=30) as http:
            assert http.get("/healthz").json()["scheduler"] == "running"
            syncs = http.get("/api/syncs", headers={"Authorization": f"Bearer {READ_TOKEN}"})
            assert syncs.status_code == 200
            assert len(syncs.json()["syncs"]) == 4
            assert http.get("/api/syncs").status_code == 401
            page = http.get("/", follow_redirects=False)
            assert page.status_code == 303
            assert page.headers["location"] == "/login?next=/"
        assert serve.stop(signal.SIGTERM) == 0


def test_demo_serve_starts_everything_and_prints_the_url(tmp_path: Path) -> None:
    arguments = ["demo", "--serve", "--port", "0", "--employees", "12"]
    with started(arguments, {}, r"dashboard: (http://\S+)/", cwd=tmp_path) as demo:
        assert demo.url.startswith("http://127.0.0.1:")
        demo.wait_for(rf"sign in with the operator token {OPERATOR_TOKEN}")
        with httpx.Client(base_url=demo.url, timeout=60) as http:
            headers = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
            runs = http.get("/api/runs", headers=headers).json()["runs"]
            assert len(runs) == 3  # every sync but the one left for the operator
            assert {r["status"] for r in runs} == {"succeeded"}
            drift = http.get(
                "/api/drift", params={"sync": LEFT_FOR_THE_OPERATOR}, headers=headers
            ).json()
            assert drift["syncs"][0]["summary"]["differing"] > 0
            login = http.get("/login")
            assert login.status_code == 200
            assert "Sign in" in login.text
        assert demo.stop(signal.SIGINT) == 0
