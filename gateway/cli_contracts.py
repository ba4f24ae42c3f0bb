"""`balance-gateway contracts verify VENDOR`: replay a vendor's recorded fixtures."""

from __future__ import annotations

import sys
from enum import StrEnum

import typer
from rich.console import Console

from contracts._harness import fixture_vendors, load_fixtures
from contracts._harness.verify import LiveConfigError, report, verify

# Logs (CI) are not terminals: give tables room instead of rich's 80-column default.
console = Console() if sys.stdout.isatty() else Console(width=160)
errors = Console(stderr=True, soft_wrap=True)
contracts_app = typer.Typer(
    help="Contract suites: recorded fixtures per vendor.", no_args_is_help=True
)


class Against(StrEnum):
    sdk = "sdk"
    emulator = "emulator"
    live = "live"


def register(app: typer.Typer) -> None:
    app.add_typer(contracts_app, name="contracts")


@contracts_app.command("list")
def list_fixtures(vendor: str | None = typer.Argument(None)) -> None:
    """List the vendors with contract suites, or one vendor's fixtures."""
    if vendor is None:
        for name in fixture_vendors():
            console.print(f"{name}: {len(load_fixtures(name))} fixtures")
        return
    for fixture in load_fixtures(_known(vendor)):
        console.print(f"{fixture.name}  [{fixture.provenance}]  {fixture.description}")


@contracts_app.command("verify")
def verify_command(
    vendor: str = typer.Argument(..., help="The vendor whose suite to run."),
    against: Against = typer.Option(Against.emulator, help="What to check the fixtures against."),
    base_url: str | None = typer.Option(None, help="The live vendor's base URL (--against live)."),
    allow_writes: bool = typer.Option(
        False, help="Live only: also replay write requests (against a sandbox!)."
    ),
) -> None:
    """Replay every fixture of VENDOR; exit 1 if any fails. Live credentials come from the
    environment (the variable names are printed when missing)."""
    try:
        results = verify(
            _known(vendor), against.value, base_url=base_url, allow_writes=allow_writes
        )
    except LiveConfigError as exc:
        errors.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    if not report(vendor, results, console):
        raise typer.Exit(1)


def _known(vendor: str) -> str:
    vendors = fixture_vendors()
    if vendor not in vendors:
        errors.print(f"[red]no contract suite for {vendor!r}.[/] Available: {', '.join(vendors)}")
        raise typer.Exit(2)
    return vendor
