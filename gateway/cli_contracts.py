"""`balance-gateway contracts verify VENDOR`: replay a vendor's recorded fixtures."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console

from balance_gateway.adapters._core.extras import MissingExtraError
from balance_gateway.adapters._core.secrets import scrub
from balance_gateway.contracts._harness import fixture_vendors, load_fixtures
from balance_gateway.contracts._harness.verify import (
    LiveConfigError,
    report,
    results_json,
    summary,
    verify,
    write_junit,
)
from balance_gateway.gateway.cli_common import exit_codes, fail, with_verbose

# Logs (CI) are not terminals: give tables room instead of rich's 80-column default.
console = Console() if sys.stdout.isatty() else Console(width=160)
contracts_app = typer.Typer(
    help="Contract suites: recorded fixtures per vendor.", no_args_is_help=True
)


class Against(StrEnum):
    sdk = "sdk"
    emulator = "emulator"
    live = "live"


def register(app: typer.Typer) -> None:
    app.add_typer(contracts_app, name="contracts")


@contracts_app.command("list", epilog=exit_codes("0  listed", "2  no such vendor"))
@with_verbose
def list_fixtures(
    vendor: str | None = typer.Argument(None, metavar="VENDOR", help="One vendor's fixtures."),
) -> None:
    """List the vendors with contract suites, or one vendor's fixtures."""
    if vendor is None:
        for name in fixture_vendors():
            console.print(f"{name}: {len(load_fixtures(name))} fixtures")
        return
    for fixture in load_fixtures(_known(vendor)):
        console.print(f"{fixture.name}  [{fixture.provenance}]  {fixture.description}")


VERIFY_EXIT_CODES = exit_codes(
    "0  every check passed (skips allowed)",
    "1  a check failed (with --strict, also any additive drift in a live response)",
    "2  usage: unknown vendor, --against live without --base-url or credentials, or the",
    "   emulators' server stack missing for --against emulator",
)


@contracts_app.command("verify", epilog=VERIFY_EXIT_CODES)
@with_verbose
def verify_command(
    vendor: str = typer.Argument(..., metavar="VENDOR", help="The vendor whose suite to run."),
    against: Against = typer.Option(Against.emulator, help="What to check the fixtures against."),
    base_url: str | None = typer.Option(
        None, metavar="URL", help="The live vendor's base URL (--against live)."
    ),
    allow_writes: bool = typer.Option(
        False, "--allow-writes", help="Live only: also replay write requests (against a sandbox!)."
    ),
    strict: bool = typer.Option(
        False, "--strict", help="Fail on additive drift too (a field the fixtures do not have)."
    ),
    junit: Path | None = typer.Option(
        None, "--junit", metavar="FILE", dir_okay=False, help="Also write JUnit XML to FILE."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print the results as JSON instead of a table."
    ),
) -> None:
    """Replay every fixture of VENDOR against the SDK, the emulator or the live vendor.

    Live credentials come from the environment (the variable names are printed when missing);
    only read requests are replayed live unless --allow-writes."""
    try:
        results = verify(
            _known(vendor), against.value, base_url=base_url, allow_writes=allow_writes
        )
    except (LiveConfigError, MissingExtraError) as exc:
        fail(str(exc))
    if junit is not None:
        write_junit(junit, vendor, results, strict=strict)
    if as_json:
        sys.stdout.write(scrub(json.dumps(results_json(vendor, results, strict=strict), indent=2)))
        sys.stdout.write("\n")
        ok = summary(results, strict=strict)["failed"] == 0
    else:
        ok = report(vendor, results, console, strict=strict)
    if not ok:
        raise typer.Exit(1)


def _known(vendor: str) -> str:
    vendors = fixture_vendors()
    if vendor not in vendors:
        fail(f"no contract suite for {vendor!r}; available: {', '.join(vendors)}")
    return vendor
