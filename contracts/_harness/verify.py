"""Running a vendor's whole contract suite against one target, and reporting it."""

from __future__ import annotations

import asyncio
import os
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from balance_gateway.contracts._harness.binding import ContractBinding
from balance_gateway.contracts._harness.fixture import Fixture, load_fixtures
from balance_gateway.contracts._harness.runner import (
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


def failed(result: CheckResult, *, strict: bool = False) -> bool:
    """A failed check: a problem, or (with `strict`) additive drift in a live response."""
    return not result.ok or (strict and bool(result.additive))


def outcome(result: CheckResult, *, strict: bool = False) -> str:
    """`pass`, `fail` or `skipped`."""
    if result.skipped:
        return "skipped"
    return "fail" if failed(result, strict=strict) else "pass"


# Narrower than this, the details leave the table for lines under it: the fixture names are
# shown whole, and the table fits an 80-column terminal.
WIDE_CONSOLE = 100


def report(
    vendor: str, results: list[CheckResult], console: Console, *, strict: bool = False
) -> bool:
    """Print one row per check; True when nothing failed (with `strict`, drift fails too)."""
    targets = sorted({r.target for r in results})
    narrow = console.width < WIDE_CONSOLE
    one_target = narrow and len(targets) == 1
    table = Table(title=f"contracts: {vendor}" + (f" against {targets[0]}" if one_target else ""))
    columns = ("fixture", "provenance") + (() if one_target else ("target",)) + ("result",)
    for column in columns:
        table.add_column(column, no_wrap=True)
    if not narrow:
        table.add_column("details", overflow="fold", min_width=24)
    below: list[tuple[str, str]] = []
    status = {"skipped": "[yellow]skipped[/]", "pass": "[green]pass[/]", "fail": "[red]FAIL[/]"}
    for r in results:
        details = r.skipped or "\n".join([*r.problems, *(f"additive: {a}" for a in r.additive)])
        cells = [r.name, r.fixture.provenance, *(() if one_target else (r.target,))]
        cells.append(status[outcome(r, strict=strict)])
        if narrow:
            if details:
                below.append((r.name, details))
        else:
            cells.append(details)
        table.add_row(*cells)
    console.print(table)
    for name, details in below:
        console.print(Text.assemble((f"{name}: ", "bold"), details), highlight=False)
    counts = summary(results, strict=strict)
    console.print(
        f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped"
    )
    if any(r.target == "live" for r in results):
        console.print(
            f"drift: {counts['additive']} additive change(s), "
            f"{counts['breaking']} breaking change(s)"
            + (" (--strict: additive fails)" if strict else "")
        )
    return counts["failed"] == 0


def summary(results: list[CheckResult], *, strict: bool = False) -> dict[str, int]:
    """Counts of passed, failed and skipped checks, and of additive and breaking drift."""
    outcomes = [outcome(r, strict=strict) for r in results]
    return {
        "passed": outcomes.count("pass"),
        "failed": outcomes.count("fail"),
        "skipped": outcomes.count("skipped"),
        "additive": sum(len(r.additive) for r in results),
        "breaking": sum(len(r.problems) for r in results if r.target == "live"),
    }


def results_json(
    vendor: str, results: list[CheckResult], *, strict: bool = False
) -> dict[str, Any]:
    """The run as JSON: one object per check (fixture, provenance, target, outcome, problems,
    additive drift, skip reason) and the summary."""
    return {
        "vendor": vendor,
        "strict": strict,
        "summary": summary(results, strict=strict),
        "checks": [
            {
                "fixture": r.name,
                "provenance": r.fixture.provenance,
                "description": r.fixture.description,
                "target": r.target,
                "outcome": outcome(r, strict=strict),
                "problems": r.problems,
                "additive": r.additive,
                "skipped": r.skipped,
            }
            for r in results
        ],
    }


def write_junit(
    path: Path, vendor: str, results: list[CheckResult], *, strict: bool = False
) -> None:
    """Write the run as JUnit XML (one testcase per check, provenance as a property), the
    format CI systems (GitHub Actions, GitLab, Jenkins) show as test results."""
    counts = summary(results, strict=strict)
    suite = ET.Element(
        "testsuite",
        name=f"contracts.{vendor}",
        tests=str(len(results)),
        failures=str(counts["failed"]),
        skipped=str(counts["skipped"]),
        errors="0",
    )
    for r in results:
        case = ET.SubElement(
            suite, "testcase", classname=f"contracts.{vendor}.{r.target}", name=r.name
        )
        properties = ET.SubElement(case, "properties")
        ET.SubElement(properties, "property", name="provenance", value=r.fixture.provenance)
        ET.SubElement(properties, "property", name="description", value=r.fixture.description)
        state = outcome(r, strict=strict)
        if state == "skipped":
            ET.SubElement(case, "skipped", message=r.skipped or "")
        elif state == "fail":
            lines = [*r.problems, *(f"additive: {a}" for a in r.additive)]
            failure = ET.SubElement(case, "failure", message=lines[0] if lines else "failed")
            failure.text = "\n".join(lines)
    root = ET.Element("testsuites")
    root.append(suite)
    tree = ET.ElementTree(root)
    ET.indent(tree)
    path.parent.mkdir(parents=True, exist_ok=True)
    tree.write(path, encoding="utf-8", xml_declaration=True)
