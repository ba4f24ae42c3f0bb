"""`balance-gateway demo --serve`: the demo's emulators and data, with the service on top.

1. Starts the emulators with the demo's generated dataset (`gateway.demo.DemoEnvironment`)
   and writes its config, each sync scheduled nightly (`0 2 * * *`) and two demo tokens.
2. Runs every sync once, but one (`LEFT_FOR_THE_OPERATOR`), so that the dashboard has runs to
   show and one sync whose drift an operator can preview and apply.
3. Serves the dashboard and the API until Ctrl-C, and prints the URL and the tokens.

The tokens are demo placeholders, like the emulators' credentials: never use them elsewhere.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from collections import Counter
from pathlib import Path
from types import TracebackType
from typing import Self

from rich.console import Console

from balance_gateway.gateway.config import Config, load_config
from balance_gateway.gateway.demo import (
    DEMO_SYNCS_TOML,
    ENV,
    SETTINGS_TOML,
    SYNC_ORDER,
    DemoEnvironment,
)
from balance_gateway.gateway.errors import ConfigError
from balance_gateway.gateway.runner import run_sync
from balance_gateway.gateway.service import server
from balance_gateway.gateway.service.app import create_app
from balance_gateway.gateway.service.core import GatewayService
from balance_gateway.gateway.service.scheduler import Clock
from balance_gateway.gateway.service.settings import load_service_settings

SCHEDULE = "0 2 * * *"
READ_TOKEN = "demo-read-token-not-a-secret"
OPERATOR_TOKEN = "demo-operator-token-not-a-secret"
SERVICE_ENV = {"DEMO_READ_TOKEN": READ_TOKEN, "DEMO_OPERATOR_TOKEN": OPERATOR_TOKEN}
SERVICE_TOML = """\
[service]
timezone = "UTC"
read_tokens = ["DEMO_READ_TOKEN"]          # environment variable names, as for credentials
operator_tokens = ["DEMO_OPERATOR_TOKEN"]
"""
# The scenario's last sync: its drift is left for an operator to preview and apply.
LEFT_FOR_THE_OPERATOR = SYNC_ORDER[-1]


def scheduled_syncs_toml(schedule: str = SCHEDULE, syncs: str = DEMO_SYNCS_TOML) -> str:
    """The demo's `[[syncs]]`, each with `schedule = ...` under its name."""
    return re.sub(r'^(name = "[^"]+")$', rf'\1\nschedule = "{schedule}"', syncs, flags=re.MULTILINE)


def service_env() -> dict[str, str]:
    """Every environment variable the demo's service config names (credentials, tokens)."""
    return {**ENV, **SERVICE_ENV}


class ServiceDemo:
    """The demo's emulators with its config for `serve` (schedules and tokens) in `folder`.

    `with ServiceDemo(folder, people=20) as demo:` then `demo.config`, `demo.service()`."""

    def __init__(
        self, folder: Path, *, people: int = 200, seed: int = 8, schedule: str = SCHEDULE
    ) -> None:
        self.folder = folder
        self.environment = DemoEnvironment(folder, people=people, seed=seed)
        self.schedule = schedule
        self._config: Config | None = None

    @property
    def config_path(self) -> Path:
        return self.environment.config_path

    @property
    def config(self) -> Config:
        assert self._config is not None, "start() the demo first"
        return self._config

    def start(self) -> Self:
        self.environment.start()
        self.write_config()
        return self

    def write_config(self, settings: str = SETTINGS_TOML + SERVICE_TOML) -> Config:
        """(Re)write the config into the folder; returns it loaded with the demo's env."""
        self.environment.write_config(
            self.folder, syncs=scheduled_syncs_toml(self.schedule), settings=settings
        )
        self._config = load_config(self.config_path, env=service_env())
        return self._config

    def first_pass(self, console: Console | None = None) -> None:
        """Run every sync once but `LEFT_FOR_THE_OPERATOR`, in the demo's order."""
        for name in SYNC_ORDER:
            if name == LEFT_FOR_THE_OPERATOR:
                continue
            report = asyncio.run(run_sync(self.config, name))
            if console is not None:
                kinds = Counter(r.kind.value for r in report.results)
                counts = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
                console.print(f"  synced [bold]{name}[/]: {counts} (run {report.run_id})")

    def service(self, clock: Clock | None = None) -> GatewayService:
        settings = load_service_settings(self.config, service_env())
        return GatewayService(self.config, settings, clock=clock)

    def stop(self) -> None:
        self.environment.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve_demo(
    *,
    employees: int = 200,
    seed: int = 8,
    host: str = "127.0.0.1",
    port: int = 8080,
    folder: Path | None = None,
) -> int:
    """Run `demo --serve` (see the module docstring) until interrupted; returns the exit code
    (2 when the port cannot be used)."""
    console = Console(soft_wrap=True, highlight=False)
    folder = folder or Path(tempfile.mkdtemp(prefix="balance-gateway-demo-"))
    try:
        sock = server.bind(host, port)
    except OSError as exc:
        Console(stderr=True).print(
            f"error: cannot listen on {host}:{port}: {exc.strerror or exc}; pick another "
            "with --port",
            highlight=False,
        )
        return 2
    url = server.url_of(sock)
    console.print(f"[bold]balance-gateway demo --serve[/]: {employees} people, seed {seed}")
    with ServiceDemo(folder, people=employees, seed=seed) as demo:
        for vendor, base in sorted(demo.environment.base_urls.items()):
            console.print(f"  {vendor:<12} emulator at {base}")
        console.print("first sync of the demo's data:")
        demo.first_pass(console)
        console.print(
            f"  [bold]{LEFT_FOR_THE_OPERATOR}[/] is left for you: see its drift, plan it and "
            "apply it on the dashboard"
        )
        try:
            service = demo.service()
        except ConfigError as exc:  # not expected: the demo writes its own config
            Console(stderr=True).print(f"error: {exc}", highlight=False)
            return 2

        def started() -> None:
            console.print(f"[bold]dashboard: {url}/[/]")
            console.print(f"  sign in with the operator token {OPERATOR_TOKEN}")
            console.print(f"  (or the read-only token {READ_TOKEN}); API docs at {url}/docs")
            exports = " ".join(f"{k}={v}" for k, v in sorted(service_env().items()))
            console.print(f"config: {demo.config_path}; to serve it yourself: export {exports}")
            console.print(f"  balance-gateway serve --config {demo.config_path}")
            console.print("Ctrl-C to stop")

        server.run(create_app(service), sock, on_started=started)
    return 0
