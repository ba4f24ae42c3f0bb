"""`balance-gateway emulate VENDOR`: serve a vendor emulator over HTTP."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from balance_gateway.adapters._core.extras import MissingExtraError, require_emulators
from balance_gateway.gateway.cli_common import exit_codes, fail, with_verbose

# Credentials must survive copy-paste from a CI log: never wrap a line.
console = Console(soft_wrap=True)


EMULATE_EXIT_CODES = exit_codes(
    "0  served until stopped (or --list printed)",
    "2  no such vendor, or the emulators' server stack is not installed",
)


def register(app: typer.Typer) -> None:
    app.command(name="emulate", epilog=EMULATE_EXIT_CODES)(with_verbose(emulate))


def emulate(
    vendor: str | None = typer.Argument(
        None, metavar="VENDOR", help="Which vendor's API to emulate."
    ),
    list_vendors: bool = typer.Option(False, "--list", help="List the vendors and exit."),
    host: str = typer.Option("127.0.0.1", metavar="HOST", help="Interface to listen on."),
    port: int = typer.Option(8000, metavar="PORT", help="Port to listen on."),
    token: str | None = typer.Option(
        None, metavar="TOKEN", help="Credential of the default tenant."
    ),
    data: Path | None = typer.Option(
        None,
        exists=True,
        dir_okay=False,
        metavar="FILE",
        help="Start from this state file (admin API shape).",
    ),
    latency_ms: float = typer.Option(
        0, min=0, metavar="MS", help="Latency added to every request."
    ),
    fail_rate: float = typer.Option(
        0, min=0, max=1, metavar="SHARE", help="Share of requests answered with an injected 500."
    ),
    rate_limit: float | None = typer.Option(
        None,
        min=0.001,
        metavar="RPS",
        help="Requests per second allowed (token bucket); 429 beyond.",
    ),
    seed: int = typer.Option(
        0, metavar="SEED", help="Seed of the fault schedule, to replay a run."
    ),
) -> None:
    """Serve a faithful emulator of a vendor's API, for trying the SDKs and the engine."""
    try:
        require_emulators("`balance-gateway emulate`")
    except MissingExtraError as exc:
        fail(str(exc))
    from balance_gateway.adapters._emulator import (
        EmulatorOptions,
        available_vendors,
        build_emulator,
        serve,
    )

    vendors = available_vendors()
    if list_vendors:
        for name in vendors:
            console.print(name)
        return
    if vendor is None:
        fail(f"name a vendor: {', '.join(vendors)}")
    if vendor not in vendors:
        fail(f"no emulator for {vendor!r}; available: {', '.join(vendors)}")
    options = EmulatorOptions(
        token=token,
        data=data,
        latency_ms=latency_ms,
        fail_rate=fail_rate,
        rate_limit=rate_limit,
        seed=seed,
    )
    emulator = build_emulator(vendor, options)
    console.print(f"[bold]{emulator.title}[/] emulator at [cyan]http://{host}:{port}[/]")
    for line in emulator.credentials_text():
        console.print(f"  {line}")
    console.print(f"  admin API: http://{host}:{port}/_emulator/state (not part of {vendor}'s API)")
    serve(emulator.app, host=host, port=port)
