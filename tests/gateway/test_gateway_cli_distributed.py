"""`sync --distributed` and `worker` refuse clearly (exit 2, naming the file, the key or the
extra to install) before anything is read or written; and the default install never imports
Celery or redis-py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from balance_gateway.gateway import cli_sync
from balance_gateway.gateway.config import load_config
from balance_gateway.gateway.errors import ConfigError
from tests.gateway.gateway_fakes import BASIC_CSV, BASIC_TOML, ENV, write_config

DISTRIBUTED = '\n[distributed]\nbroker = "redis://127.0.0.1:1/0"\nbatch_size = 10\n'


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    cli_sync.register(app)
    return app


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    return CliRunner()


def _sync(app: typer.Typer, runner: CliRunner, tmp_path: Path) -> tuple[int, str]:
    result = runner.invoke(
        app, ["sync", "--config", str(tmp_path / "config.toml"), "--yes", "--distributed"]
    )
    return result.exit_code, result.output


def test_without_a_distributed_section_exits_2_naming_file_and_key(
    app: typer.Typer, runner: CliRunner, tmp_path: Path
) -> None:
    config = write_config(tmp_path, BASIC_TOML, BASIC_CSV)
    code, output = _sync(app, runner, tmp_path)
    assert code == 2
    assert "[distributed]" in output
    assert "config.toml" in output
    assert not config.state_path.exists()  # nothing was recorded


@pytest.mark.parametrize("command", ["sync", "worker"])
def test_without_the_scale_extra_says_what_to_install(
    app: typer.Typer,
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
) -> None:
    write_config(tmp_path, BASIC_TOML + DISTRIBUTED, BASIC_CSV)
    monkeypatch.setitem(sys.modules, "celery", None)  # as if not installed
    args = [command, "--config", str(tmp_path / "config.toml")]
    if command == "sync":
        args += ["--yes", "--distributed"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "pip install 'balance-gateway[scale]'" in result.output
    assert "celery" in result.output


def test_an_unreachable_broker_exits_2_before_anything_is_read(
    app: typer.Typer, runner: CliRunner, tmp_path: Path
) -> None:
    pytest.importorskip("celery", reason="needs the scale extra (Celery)")
    write_config(
        tmp_path,
        BASIC_TOML + DISTRIBUTED.replace("127.0.0.1:1/0", ":hunter2secret@127.0.0.1:1/0"),
        BASIC_CSV,
    )
    code, output = _sync(app, runner, tmp_path)
    assert code == 2
    assert "cannot reach the Redis broker redis://127.0.0.1:1/0" in output
    assert "hunter2secret" not in output


def test_the_broker_must_be_a_redis_url(tmp_path: Path) -> None:
    amqp = DISTRIBUTED.replace("redis://127.0.0.1:1/0", "amqp://guest:pw@mq//")
    (tmp_path / "config.toml").write_text(BASIC_TOML + amqp)
    (tmp_path / "employees.csv").write_text(BASIC_CSV)
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "config.toml", env=ENV)
    assert caught.value.key == "distributed.broker"
    assert "must be a Redis URL" in str(caught.value)
    assert "got an amqp:// URL" in str(caught.value)
    assert "pw@" not in str(caught.value)


def test_the_default_commands_never_import_celery_or_redis() -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from balance_gateway.gateway.cli import app\n"
        "assert CliRunner().invoke(app, ['sync', '--help']).exit_code == 0\n"
        "assert CliRunner().invoke(app, ['worker', '--help']).exit_code == 0\n"
        "optional = ('celery', 'redis', 'kombu')\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in optional)\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_a_worker_with_an_unreachable_broker_exits_2_at_once(
    app: typer.Typer, runner: CliRunner, tmp_path: Path
) -> None:
    # Celery's own consumer would retry for minutes, a line per attempt, naming no config.
    pytest.importorskip("celery", reason="needs the scale extra (Celery)")
    write_config(
        tmp_path,
        BASIC_TOML + DISTRIBUTED.replace("127.0.0.1:1/0", ":hunter2secret@127.0.0.1:1/0"),
        BASIC_CSV,
    )
    result = runner.invoke(app, ["worker", "--config", str(tmp_path / "config.toml")])
    assert result.exit_code == 2
    assert "cannot reach the Redis broker redis://127.0.0.1:1/0" in result.output
    assert "config.toml" in result.output
    assert "hunter2secret" not in result.output
