"""`balance-gateway serve`: the sync engine as a service (see `gateway.service`).

    balance-gateway serve --config FILE [--host 127.0.0.1] [--port 8080]

It needs the `service` extra; without it, it says what to install (exit 2). Everything it needs
is checked before it listens: the configuration and mapping, every credential variable, each
sync's `schedule`, and the `[service]` token variables (at least one token).
"""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.console import Console

from balance_gateway.gateway.cli_common import CONFIG_OPTION, exit_codes, fail
from balance_gateway.gateway.config import load_config
from balance_gateway.gateway.errors import ConfigError

HOST_OPTION = typer.Option(
    "127.0.0.1",
    "--host",
    metavar="HOST",
    help="Address to listen on; 127.0.0.1 (this machine only) unless you say otherwise.",
)
PORT_OPTION = typer.Option(
    8080, "--port", min=0, max=65535, metavar="PORT", help="Port (0: any free one)."
)


def serve(
    config: Path = CONFIG_OPTION,
    host: str = HOST_OPTION,
    port: int = PORT_OPTION,
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Log every request (and every vendor request) on stderr."
    ),
) -> None:
    """Run the syncs on their schedules, and serve the HTTP API and the dashboard.

    Each sync with a `schedule = "0 2 * * *"` (cron, in `[service] timezone`) runs on it, one
    run at a time per state store; a failed run is journalled and the schedule goes on. The
    API (OpenAPI at /openapi.json) and the dashboard at / take the bearer tokens named in
    `[service] read_tokens` and `operator_tokens`. Stop with Ctrl-C."""
    from balance_gateway.adapters._core.extras import MissingExtraError, require_service
    from balance_gateway.gateway.logs import configure_logging

    if verbose:
        configure_logging(verbose=True)
    try:
        require_service()
    except MissingExtraError as exc:
        fail(str(exc))
    from balance_gateway.gateway.service import (
        GatewayService,
        create_app,
        load_service_settings,
        server,
    )

    try:
        loaded = load_config(config)
        settings = load_service_settings(loaded, os.environ)
    except ConfigError as exc:
        fail(str(exc))
    service = GatewayService(loaded, settings)
    try:
        sock = server.bind(host, port)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    url = server.url_of(sock)
    out = Console(soft_wrap=True, highlight=False)
    err = Console(stderr=True, soft_wrap=True, highlight=False)
    if host not in server.LOOPBACK:
        err.print(
            f"warning: listening on {host}, not only on this machine: anyone who can reach it "
            "can try tokens; put it behind a TLS proxy"
        )

    def started() -> None:
        out.print(f"balance-gateway serve: dashboard at {url}/ (API docs at {url}/docs)")
        out.print(f"config: {loaded.path}; state: {loaded.state}")
        upcoming = service.scheduler.next_runs()
        for sync in loaded.file.syncs:
            when = upcoming.get(sync.name)
            plan = (
                f'"{sync.schedule}", next {when:%Y-%m-%d %H:%M %Z}'
                if when is not None
                else "no schedule"
            )
            out.print(f"  {sync.name}: {plan}")
        out.print("Ctrl-C to stop")

    server.run(create_app(service), sock, verbose=verbose, on_started=started)


SERVE_EXIT_CODES = exit_codes(
    "0  stopped (Ctrl-C or SIGTERM)",
    "2  bad configuration (a schedule, a token variable, ...), the port cannot be used, or",
    "   the service's server stack is not installed (pip install 'balance-gateway[service]')",
)


def register(app: typer.Typer) -> None:
    """Add `serve` to `app`."""
    app.command(name="serve", epilog=SERVE_EXIT_CODES)(serve)
