"""From two accounts to a first config: `systems`, `discover` and `map`.

    balance-gateway systems  [--config FILE] [--json]
    balance-gateway discover SYSTEM (--employees | --types) [--config FILE] [--json]
    balance-gateway map --out FILE [--merge] [--config FILE] [--json]

`map` proposes the employee mapping CSV by matching people across the configured systems
(`gateway.matching`); the CSV stays the source of truth the engine reads, and `map` never
overwrites one silently.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import typer
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from balance_gateway.adapters._core.discovery import DirectoryPerson, LeaveTypeInfo, Listing
from balance_gateway.adapters._core.errors import GatewayError
from balance_gateway.adapters._core.secrets import scrub
from balance_gateway.gateway.cli_common import CONFIG_OPTION, exit_codes, fail, with_verbose
from balance_gateway.gateway.config import (
    Config,
    credential_status,
    load_config,
    with_credentials_for,
)
from balance_gateway.gateway.discovery import (
    check_systems,
    list_leave_types,
    list_one_system_people,
    list_people,
)
from balance_gateway.gateway.errors import ConfigError, SetupError
from balance_gateway.gateway.mapping import HOURS_PER_DAY, load_mapping
from balance_gateway.gateway.matching import MatchResult, match_people
from balance_gateway.gateway.report import Fitted

JSON_OPTION = typer.Option(False, "--json", help="Print JSON for machines instead of tables.")


def _out() -> Console:
    return Console(soft_wrap=False)


def _progress(line: str) -> None:
    # A Text, not markup: a vendor's error message may hold brackets.
    Console(stderr=True, soft_wrap=True).print(Text(line, style="dim"), highlight=False)


def _print_json(data: Any) -> None:
    sys.stdout.write(scrub(json.dumps(data, indent=2)) + "\n")


def _load(path: Path) -> Config:
    try:
        return load_config(path, with_credentials=False, with_mapping=False)
    except ConfigError as exc:
        fail(str(exc))


def _with_credentials(config: Config, names: list[str]) -> Config:
    try:
        return with_credentials_for(config, names)
    except ConfigError as exc:
        fail(str(exc))


# -- systems ----------------------------------------------------------------------------------


def systems(config: Path = CONFIG_OPTION, as_json: bool = JSON_OPTION) -> None:
    """List the configured systems: vendor, base URL, which credentials are set (never their
    values), and whether a connection and login succeed."""
    loaded = _load(config)
    status = credential_status(loaded)
    ready = [name for name, creds in status.items() if all(c.is_set for c in creds)]
    try:
        checks = asyncio.run(check_systems(_with_credentials(loaded, ready), ready))
    except SetupError as exc:
        fail(str(exc))
    by_name = {c.system: c for c in checks}
    rows: list[dict[str, Any]] = []
    for name, system in loaded.file.systems.items():
        missing = [c.variable for c in status[name] if not c.is_set]
        check = by_name.get(name)
        if missing:
            state, detail = "not checked", f"set {' '.join(missing)} first"
        elif check is None or check.ok is None:
            state, detail = "not checked", "" if check is None else check.detail
        else:
            state, detail = ("ok" if check.ok else "failed"), check.detail
        rows.append(
            {
                "system": name,
                "vendor": system.vendor,
                "base_url": system.base_url,
                "credentials": [
                    {"key": c.key, "variable": c.variable, "set": c.is_set} for c in status[name]
                ],
                "connection": state,
                "detail": detail,
            }
        )
    if as_json:
        _print_json({"systems": rows})
    else:
        # One block per system, not a table: URLs, variable names and ids stay whole on an
        # 80-column terminal (lines wrap between words, keeping their indent).
        out = _out()
        for row in rows:
            colour = {"ok": "green", "failed": "red"}.get(row["connection"], "yellow")
            out.print(
                Text.assemble((row["system"], "bold"), f" ({row['vendor']}) {row['base_url']}")
            )
            creds = Text("credentials: ")
            for index, c in enumerate(row["credentials"]):
                creds.append(", " if index else "")
                creds.append(f"{c['key']} from ${c['variable']} (")
                creds.append(*(("set", "") if c["set"] else ("NOT SET", "red")))
                creds.append(")")
            if not row["credentials"]:
                creds.append("none")
            detail = f": {row['detail']}" if row["detail"] else ""
            connection = Text.assemble("connection:  ", (row["connection"], colour), detail)
            out.print(Padding(creds, (0, 0, 0, 2)), Padding(connection, (0, 0, 0, 2)))
    raise typer.Exit(0 if all(r["connection"] == "ok" for r in rows) else 1)


# -- discover ---------------------------------------------------------------------------------


def _listing_json(listing: Listing[Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "available": listing.available,
        "complete": listing.complete,
        "how": listing.how,
        "items": items,
    }


def _person_json(person: DirectoryPerson) -> dict[str, Any]:
    return {
        "id": person.id,
        "name": person.name,
        "email": person.email,
        "employee_number": person.employee_number,
    }


def _type_json(leave_type: LeaveTypeInfo) -> dict[str, Any]:
    unit = None if leave_type.unit is None else leave_type.unit.value
    return {"id": leave_type.id, "name": leave_type.name, "unit": unit}


def listing_view(
    title: str, how: str, columns: tuple[str, ...], items: list[dict[str, Any]]
) -> Fitted:
    """A listing as a table, or a block per item when the table does not fit the terminal:
    ids (copied into configs) and emails are never cut or wrapped."""
    table = Table(title=title, title_justify="left", caption=how)
    for column in columns:
        table.add_column(column.replace("_", " "), no_wrap=True)
    lines: list[RenderableType] = [Text(title, style="italic")]
    for item in items:
        cells = ["" if item[c] is None else str(item[c]) for c in columns]
        table.add_row(*cells)
        lines.append(Text(cells[0], style="bold"))
        lines.append(Padding("  ".join(cell for cell in cells[1:] if cell), (0, 0, 0, 2)))
    if how:
        lines.append(Text(how, style="italic"))
    return Fitted(table, Group(*lines))


def discover(
    system: str = typer.Argument(..., metavar="SYSTEM", help="A system name of the config."),
    employees: bool = typer.Option(False, "--employees", help="List the system's employees."),
    types: bool = typer.Option(False, "--types", help="List the system's leave types."),
    config: Path = CONFIG_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """List what one system's documented API can list: its employees (id, name, email,
    employee number) or its leave types (id, name, unit). Where the vendor cannot list it,
    says what cannot be known and how to supply it."""
    if employees == types:
        fail("say what to list: --employees or --types")
    loaded = _load(config)
    if system not in loaded.file.systems:
        known = ", ".join(loaded.file.systems)
        fail(f"{loaded.path}: no system {system!r} is configured (systems: {known})")
    ready = _with_credentials(loaded, [system])
    try:
        listing: Listing[Any] = asyncio.run(
            list_one_system_people(ready, system) if employees else list_leave_types(ready, system)
        )
    except GatewayError as exc:
        fail(f"{system}: {exc.message}", code=1)
    except SetupError as exc:
        fail(str(exc))
    columns: tuple[str, ...]
    if employees:
        items = [_person_json(p) for p in listing.items]
        columns = ("id", "name", "email", "employee_number")
    else:
        items = [_type_json(t) for t in listing.items]
        columns = ("id", "name", "unit")
    if as_json:
        _print_json({"system": system, **_listing_json(listing, items)})
    else:
        out = _out()
        if listing.available:
            what = "employees" if employees else "leave types"
            out.print(listing_view(f"{system}: {len(items)} {what}", listing.how, columns, items))
            if not listing.complete:
                # `how` is the adapter's text, not markup: "[[syncs]].types" stays whole.
                out.print(Text.assemble(("partial: ", "yellow"), listing.how), highlight=False)
        else:
            out.print(
                Text.assemble((f"{system} cannot list this: ", "yellow"), listing.how),
                highlight=False,
            )
    raise typer.Exit(0 if listing.available else 1)


# -- map --------------------------------------------------------------------------------------


Rows = list[tuple[int, dict[str, str]]]


def _existing_rows(path: Path, systems: list[str]) -> tuple[Rows, dict[int, str]]:
    """The rows of an existing mapping (line, ids) and each line's hours_per_day cell."""
    try:
        mapping = load_mapping(path, systems, required=())
    except ConfigError as exc:
        fail(str(exc))
    rows = [(p.line, dict(p.ids)) for p in mapping.people]
    hours = {p.line: str(p.hours_per_day) for p in mapping.people if p.hours_per_day is not None}
    return rows, hours


def _csv_text(
    result: MatchResult, systems: list[str], hours: dict[int, str], lines: list[int]
) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    with_hours = bool(hours)
    writer.writerow([*systems, *([HOURS_PER_DAY] if with_hours else [])])
    for index, row in enumerate(result.rows):
        cells = [row.ids.get(system, "") for system in systems]
        if with_hours:
            line = lines[index] if index < len(lines) else None
            cells.append(hours.get(line, "") if line is not None else "")
        writer.writerow(cells)
    return buffer.getvalue()


def _write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file beside it: never a half-written CSV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _map_json(
    result: MatchResult, failures: dict[str, str], cannot: dict[str, str]
) -> dict[str, Any]:
    return {
        "people": result.people,
        "matched": result.matched,
        "kept": result.kept,
        "rows": [
            {"ids": dict(r.ids), "matched_by": list(r.matched_by), "name": r.name}
            for r in result.rows
        ],
        "unmatched": [{"system": s, **_person_json(p)} for s, p in result.unmatched],
        "ambiguous": [
            {"reason": a.reason, "people": [{"system": s, **_person_json(p)} for s, p in a.people]}
            for a in result.ambiguous
        ],
        "name_suggestions": [{"name": s.name, "ids": dict(s.ids)} for s in result.suggestions],
        "conflicts": [
            {"line": c.line, "existing": dict(c.existing), "proposed": dict(c.proposed)}
            for c in result.conflicts
        ],
        "failed": failures,
        "cannot_list": cannot,
    }


def _print_map(
    out: Console,
    result: MatchResult,
    out_path: Path,
    failures: dict[str, str],
    cannot: dict[str, str],
) -> None:
    new_rows = result.rows[result.kept :]
    matched = [r for r in new_rows if r.systems > 1]
    out.print(f"[bold]proposed rows[/] ({len(matched)} people matched across systems):")
    for row in matched:
        systems = ", ".join(row.ids)
        out.print(
            f"  {row.name or '(no name)'}: {systems}  [dim]by {' + '.join(row.matched_by)}[/]",
            highlight=False,
        )
    if result.kept:
        out.print(f"kept {result.kept} row(s) of the existing mapping as they were")
    sections = [
        (
            "could not match (found in one system only)",
            [
                f"  {s}: {p.id}  {p.name or ''} {p.email or ''}".rstrip()
                for s, p in result.unmatched
            ],
        ),
        (
            "ambiguous (not proposed: decide by hand)",
            [
                "  "
                + "; ".join(f"{s}: {p.id} {p.email or ''}".rstrip() for s, p in a.people)
                + f"  ({a.reason})"
                for a in result.ambiguous
            ],
        ),
        (
            "same name, not joined (join them by hand if they are one person)",
            [
                f"  {s.name}: " + ", ".join(f"{k} {v}" for k, v in s.ids.items())
                for s in result.suggestions
            ],
        ),
        (
            "conflicts with the existing mapping (the existing row was kept)",
            [
                f"  line {c.line}: has "
                + ", ".join(f"{k} {v}" for k, v in c.existing.items())
                + "; the systems suggest "
                + ", ".join(f"{k} {v}" for k, v in c.proposed.items())
                for c in result.conflicts
            ],
        ),
        (
            "systems that could not be listed",
            [f"  {s}: {why}" for s, why in {**failures, **cannot}.items()],
        ),
    ]
    for title, lines in sections:
        if lines:
            out.print(f"[bold]{title}[/] ({len(lines)}):")
            for line in lines:
                out.print(line, highlight=False)
    share = 100 * result.matched / result.people if result.people else 100.0
    out.print(
        f"{result.matched} of {result.people} people matched ({share:.0f}%); "
        f"wrote {len(result.rows)} row(s) to {out_path}: review it before syncing"
    )


def map_people(
    out: Path = typer.Option(
        ...,
        "--out",
        metavar="FILE",
        dir_okay=False,
        help="Where to write the proposed mapping CSV.",
    ),
    merge: bool = typer.Option(
        False, "--merge", help="Keep the rows of an existing FILE and add the new ones."
    ),
    config: Path = CONFIG_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Propose the employee mapping CSV by matching people across the configured systems (on
    email, then employee number; names only as suggestions). Writes a proposal for people to
    review; never overwrites an existing file silently."""
    loaded = _load(config)
    if out.exists() and not merge:
        fail(
            f"{out} exists: pass --merge to keep its rows and add new ones, or choose another --out"
        )
    names = list(loaded.file.systems)
    ready = _with_credentials(loaded, names)
    existing: Rows = []
    hours: dict[int, str] = {}
    if merge and out.exists():
        existing, hours = _existing_rows(out, names)
    try:
        found = asyncio.run(list_people(ready, names, progress=None if as_json else _progress))
    except SetupError as exc:
        fail(str(exc))
    failures = {n: v for n, v in found.items() if isinstance(v, str)}
    listings = {n: v for n, v in found.items() if not isinstance(v, str)}
    cannot = {n: v.how for n, v in listings.items() if not v.available}
    directories = {n: list(v.items) for n, v in listings.items() if v.available}
    result = match_people(directories, existing)
    _write_atomically(out, _csv_text(result, names, hours, [line for line, _ids in existing]))
    if as_json:
        _print_json({"out": str(out), **_map_json(result, failures, cannot)})
    else:
        _print_map(_out(), result, out, failures, cannot)
    raise typer.Exit(1 if failures else 0)


SYSTEMS_EXIT_CODES = exit_codes(
    "0  every system answered",
    "1  a system failed its check, or could not be checked (credentials not set)",
    "2  bad configuration or usage",
)
DISCOVER_EXIT_CODES = exit_codes(
    "0  listed",
    "1  the system cannot list this (the message says how to supply it), or it failed",
    "2  bad configuration or usage (unknown system, credentials not set)",
)
MAP_EXIT_CODES = exit_codes(
    "0  the proposal was written",
    "1  written, but a system could not be listed",
    "2  bad configuration or usage (FILE exists without --merge, credentials not set)",
)


def register(app: typer.Typer) -> None:
    """Add `systems`, `discover` and `map` to `app`."""
    app.command(name="systems", epilog=SYSTEMS_EXIT_CODES)(with_verbose(systems))
    app.command(name="discover", epilog=DISCOVER_EXIT_CODES)(with_verbose(discover))
    app.command(name="map", epilog=MAP_EXIT_CODES)(with_verbose(map_people))
