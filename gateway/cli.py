"""The `balance-gateway` command. Each command group lives in its own module."""

from __future__ import annotations

import typer

from gateway import cli_contracts, cli_emulate, cli_sync
from gateway.logs import configure_logging

app = typer.Typer(
    name="balance-gateway",
    help="Keep time-off and time-bank balances in step between HR and time-tracking systems.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals may hold credentials
)


@app.callback()
def _global_options(
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Log one line per HTTP request (on stderr)."
    ),
) -> None:
    configure_logging(verbose)


cli_emulate.register(app)
cli_contracts.register(app)
cli_sync.register(app)


def main() -> None:
    app()
