"""Running a vendor's whole contract suite against one target, and reporting it."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping

from rich.console import Console
from rich.table import Table

from contracts._harness.binding import ContractBinding
from contracts._harness.fixture import Fixture, load_fixtures
from contracts._harness.runner import (
    CheckResult,
    Target,
    check_emulator,
    check_live,
    check_sdk,
    check_sdk_async,
    load_binding,
)


class LiveConfigError(ValueError):
    """The live check lacks a base URL or credentials."""


def verify(
    vendor: str,
    against: Target,
    *,
    base_url: str | None = None,
    env: Mapping[str, str] | None = None,
    allow_writes: bool = False,
) -> list[CheckResult]:
    """Every fixture of `vendor` checked against `against` ("sdk" also runs the async client)."""
    binding = load_binding(vendor)
    fixtures = load_fixtures(vendor)
    if against in ("sdk", "sdk-async"):
        results = [check_sdk(binding, f) for f in fixtures]
        return results + asyncio.run(_all(binding, fixtures, "sdk-async"))
    if against == "emulator":
        return asyncio.run(_all(binding, fixtures, "emulator"))
    environment = dict(os.environ if env is None else env)
    if not base_url:
        raise LiveConfigError("--against live needs --base-url")
    missing = [name for name in binding.live_env if not environment.get(name)]
    if missing:
        raise LiveConfigError(f"--against live needs environment variables: {', '.join(missing)}")
    return asyncio.run(_live(binding, fixtures, base_url, environment, allow_writes=allow_writes))


async def _all(
    binding: ContractBinding, fixtures: list[Fixture], target: Target
) -> list[CheckResult]:
    if target == "sdk-async":
        return [await check_sdk_async(binding, f) for f in fixtures]
    return [await check_emulator(binding, f) for f in fixtures]


async def _live(
    binding: ContractBinding,
    fixtures: list[Fixture],
    base_url: str,
    env: Mapping[str, str],
    *,
    allow_writes: bool,
) -> list[CheckResult]:
    return [
        await check_live(binding, f, base_url, env, allow_writes=allow_writes) for f in fixtures
    ]


def report(vendor: str, results: list[CheckResult], console: Console) -> bool:
    """Print one row per check; True when nothing failed."""
    table = Table(title=f"contracts: {vendor}")
    for column in ("fixture", "provenance", "target", "result"):
        table.add_column(column, no_wrap=True)
    table.add_column("details", overflow="fold", min_width=24)
    for r in results:
        if r.skipped:
            status, details = "[yellow]skipped[/]", r.skipped
        elif r.ok:
            status = "[green]pass[/]"
            details = "; ".join(f"additive: {a}" for a in r.additive)
        else:
            status, details = "[red]FAIL[/]", "\n".join(r.problems)
        table.add_row(r.name, r.fixture.provenance, r.target, status, details)
    console.print(table)
    failed = sum(1 for r in results if not r.ok)
    passed = sum(1 for r in results if r.ok and not r.skipped)
    skipped = sum(1 for r in results if r.skipped)
    additive = sum(len(r.additive) for r in results)
    console.print(f"{passed} passed, {failed} failed, {skipped} skipped")
    if any(r.target == "live" for r in results):
        console.print(
            f"drift: {additive} additive change(s), "
            f"{sum(len(r.problems) for r in results)} breaking change(s)"
        )
    return failed == 0
