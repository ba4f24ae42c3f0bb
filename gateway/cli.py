"""The `balance-gateway` command. Each command group lives in its own module.

Help is click's plain format (flags without type placeholders, like most command-line tools);
every command lists its exit codes at the end of its `--help`.
"""

from __future__ import annotations

import typer

from balance_gateway import __version__
from balance_gateway.gateway import (
    cli_contracts,
    cli_discover,
    cli_emulate,
    cli_service,
    cli_sync,
)
from balance_gateway.gateway.cli_common import VERBOSE_HELP
from balance_gateway.gateway.logs import configure_logging

app = typer.Typer(
    name="balance-gateway",
    help="Keep time-off and time-bank balances in step between HR and time-tracking systems.",
    no_args_is_help=True,
    # `--install-completion` / `--show-completion` for bash, zsh, fish and PowerShell.
    add_completion=True,
    rich_markup_mode=None,
    pretty_exceptions_show_locals=False,  # locals may hold credentials
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"balance-gateway {__version__}")
        raise typer.Exit()


@app.callback()
def _global_options(
    verbose: bool = typer.Option(False, "--verbose", "-v", help=VERBOSE_HELP),
    version: bool = typer.Option(
        False,
        "--version",
        callback=_print_version,
        is_eager=True,
        help="Print the version and exit.",
    ),
) -> None:
    configure_logging(verbose)


cli_emulate.register(app)
cli_contracts.register(app)
cli_sync.register(app)
cli_discover.register(app)
cli_service.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
