"""Reports for people (rich tables) and machines (JSON-ready dicts) of plans, runs and the
journal. Values are shown with their unit; JSON carries amounts as decimal strings (never
floats) beside their unit. Nothing here ever sees a credential."""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from balance_gateway.canonical import AsOfBasis, Quantity
from balance_gateway.gateway.budget import Traffic
from balance_gateway.gateway.journal import OperationRecord, RunRecord, RunStatus
from balance_gateway.gateway.plan import PlanRow, SyncPlan
from balance_gateway.gateway.results import (
    Resolution,
    RowResult,
    RunReport,
    unresolved_elsewhere_warning,
)

_OPERATION_STYLE = {
    "set": "bold green",
    "import": "bold green",
    "credit": "bold green",
    "reduce": "bold yellow",
    "skip": "dim",
    "blocked": "bold red",
    "unmapped": "magenta",
}
_STATUS_STYLE = {
    "applied": "green",
    "skipped": "dim",
    "blocked": "red",
    "failed": "bold red",
    "unknown": "bold red",
    "not_applied": "red",
    "intent": "bold red",
    "superseded": "yellow",
}


def quantity_json(q: Quantity | None) -> dict[str, str] | None:
    return None if q is None else {"value": format(q.value, "f"), "unit": q.unit.value}


def _q(q: Quantity | None) -> str:
    return "-" if q is None else str(q)


def row_json(row: PlanRow) -> dict[str, Any]:
    return {
        "sync": row.sync,
        "source_system": row.source_system,
        "target_system": row.target_system,
        "source_employee": row.source_employee,
        "target_employee": row.target_employee,
        "source_type": row.source_type,
        "target_type": row.target_type,
        "leave_kind": None if row.leave_kind is None else row.leave_kind.value,
        "source_value": quantity_json(row.source_value),
        # The date the source figure is valid for, what that date means, and how many days
        # before the sync's as-of date it lies (negative: a current figure read after it).
        "source_as_of": None if row.source_as_of is None else row.source_as_of.isoformat(),
        "source_as_of_basis": (
            None if row.source_as_of_basis is None else row.source_as_of_basis.value
        ),
        "source_age_days": row.source_age_days,
        "target_now": quantity_json(row.before),
        "target_after": quantity_json(row.after),
        "operation": row.operation.value,
        "operation_id": None if row.intent is None else row.intent.operation_id,
        "note": row.note,
        "mapping_line": row.mapping_line,
        "failed": row.failed,
    }


def result_json(result: RowResult) -> dict[str, Any]:
    data = row_json(result.row)
    data.update(
        operation=result.kind.value,
        planned_operation=result.row.operation.value,
        operation_id=result.operation_id,
        status=result.status.value,
        target_after=quantity_json(result.after),
        verified=result.verified,
        note=result.note,
    )
    return data


def resolution_json(resolution: Resolution) -> dict[str, Any]:
    op = resolution.operation
    return {
        "operation_id": op.operation_id,
        "run_id": op.run_id,
        "system": op.system,
        "employee": op.employee,
        "leave_type": op.leave_type,
        "was": op.status.value,
        "now": resolution.status.value,
        "note": resolution.note,
    }


def _rate_json(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def traffic_json(system: str, traffic: Traffic) -> dict[str, Any]:
    """One system's requests, 429s and retries, and its request rate (configured, adapted)."""
    return {
        "system": system,
        "requests": traffic.requests,
        "rate_limited": traffic.rate_limited,
        "retries": traffic.retries,
        "requests_per_second": {
            "configured": _rate_json(traffic.configured_rate),
            "final": _rate_json(traffic.rate),
            "lowest": _rate_json(traffic.lowest_rate),
        },
    }


def report_json(report: RunReport) -> dict[str, Any]:
    """The whole run (or plan) as JSON-ready data."""
    syncs = []
    for plan in report.plans:
        results = [r for r in report.results if r.row.sync == plan.sync]
        applied = report.applied and (bool(results) or not plan.rows)
        syncs.append(
            {
                "name": plan.sync,
                "source": plan.source,
                "target": plan.target,
                "as_of": plan.as_of.isoformat(),
                "error": plan.error,
                "applied": applied,
                "rows": (
                    [result_json(r) for r in results]
                    if applied
                    else [row_json(r) for r in plan.rows]
                ),
            }
        )
    return {
        "run_id": report.run_id,
        "dry_run": report.dry_run,
        "applied": report.applied,
        "stopped": report.stopped,
        "guardrail_violations": report.violations,
        "resolutions": [resolution_json(r) for r in report.resolutions],
        "resolution_summary": report.resolution_summary,
        "unresolved_elsewhere": [
            {"system": system, "count": count}
            for system, count in report.unresolved_elsewhere.items()
        ],
        "syncs": syncs,
        "systems": [traffic_json(name, t) for name, t in sorted(report.traffic.items())],
        "summary": report.summary,
        "exit_code": report.exit_code,
    }


def _style(text: str, styles: dict[str, str]) -> Text:
    return Text(text, style=styles.get(text, ""))


def _source_as_of(row: PlanRow) -> str:
    """The date the source figure is valid for, with its basis unless it is a plain date."""
    if row.source_as_of is None:
        return "-"
    text = row.source_as_of.isoformat()
    basis = row.source_as_of_basis
    return text if basis in (None, AsOfBasis.DATE) else f"{text} ({basis.value})"


class Fitted:
    """The first of `layouts` that fits the width it is given with every no-wrap cell whole,
    else the last one, which must fit any width (lines that wrap between words).

    Ids sit in no-wrap columns and only the notes wrap, so a table that fits has every id
    whole; on a narrow terminal a table falls back to fewer columns or to one block per row,
    never to a cut id (rich would cut a no-wrap cell with "…")."""

    def __init__(self, *layouts: RenderableType) -> None:
        self.layouts = layouts

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for layout in self.layouts[:-1]:
            if _least_width(console, options, layout) <= options.max_width:
                yield layout
                return
        yield self.layouts[-1]


def _least_width(console: Console, options: ConsoleOptions, layout: RenderableType) -> int:
    """The narrowest `layout` can be drawn with its no-wrap cells whole. rich's own measure
    counts a no-wrap cell at its longest word, so a table's columns are measured here."""
    unbounded = options.update_width(10_000)  # Measurement.get clamps to the width given
    if not isinstance(layout, Table):
        return Measurement.get(console, unbounded, layout).minimum
    widths = 0
    for column in layout.columns:
        measured = layout._measure_column(console, unbounded, column)
        widths += measured.maximum if column.no_wrap else measured.minimum
    return widths + layout._extra_width


def _pair(source: str | None, target: str | None, *, stacked: bool) -> str:
    """A source and a target id (employee or leave type), whole: one line or two."""
    if source is None and target is None:
        return "(all)"
    src, dst = source or "?", target or "?"
    if src == dst:
        return src
    return f"{src}\n-> {dst}" if stacked else f"{src} -> {dst}"


def _title(plan: SyncPlan) -> str:
    return f"{plan.sync}: {plan.source} -> {plan.target} (as of {plan.as_of.isoformat()})"


def _indented(text: Text | str, level: int = 1) -> Padding:
    """A line indented under its heading; it wraps between words, keeping the indent."""
    return Padding(text, (0, 0, 0, 2 * level))


def _source_text(value: Quantity | None, as_of: str) -> str:
    return f"source {_q(value)}" + ("" if as_of == "-" else f" as of {as_of}")


def _row_blocks(
    title: str,
    rows: Sequence[tuple[PlanRow, Text, Quantity | None, str]],
) -> Group:
    """The narrow layout of a plan or a run: a heading per employee, a line per leave type
    (`status`: what happens to it; `after`: the target's value after), the note under it."""
    parts: list[RenderableType] = [Text(title, style="italic")]
    employee = None
    for row, status, after, note in rows:
        label = _pair(row.source_employee, row.target_employee, stacked=False)
        if label != employee:
            employee = label
            parts.append(Text(label, style="bold"))
        parts.append(_indented(_pair(row.source_type, row.target_type, stacked=False)))
        parts.append(_indented(Text.assemble(status, _figures(row, after)), 2))
        if note:
            parts.append(_indented(Text(note, style="dim"), 2))
    return Group(*parts)


def _figures(row: PlanRow, after: Quantity | None) -> str:
    """What follows a row's operation: ": 10 days -> 12.5 days (source 12.5 days as of
    2026-01-01)", leaving out what is not known (an unmapped row has no target figures)."""
    text = "" if row.before is None and after is None else f": {_q(row.before)} -> {_q(after)}"
    if row.source_value is not None:
        text += f" ({_source_text(row.source_value, _source_as_of(row))})"
    return text


def _plan_table(
    title: str, rows: Sequence[PlanRow], *, stacked: bool, compact: bool = False
) -> Table:
    """`stacked`: source and target ids on two lines; `compact`: without the source figure's
    date (a figure older than the as-of date says so in its note)."""
    table = Table(title=title, title_justify="left")
    headers = ("employee", "type", "source", "source as of", "target now", "target after")
    for column in headers:
        if not (compact and column == "source as of"):
            table.add_column(column.removeprefix("target ") if compact else column, no_wrap=True)
    table.add_column("operation", no_wrap=True)
    table.add_column("note", overflow="fold")
    for row in rows:
        cells: list[RenderableType] = [
            _pair(row.source_employee, row.target_employee, stacked=stacked),
            _pair(row.source_type, row.target_type, stacked=stacked),
            _q(row.source_value),
            *(() if compact else (_source_as_of(row),)),
            _q(row.before),
            _q(row.after),
            _style(row.operation.value, _OPERATION_STYLE),
            row.note,
        ]
        table.add_row(*cells)
    return table


def plan_rows_view(title: str, rows: Sequence[PlanRow]) -> Fitted:
    """Plan rows: a row per employee and leave-type pair; on a narrow terminal the ids stack
    on two lines, and narrower still a block per employee."""
    blocks = [(r, _style(r.operation.value, _OPERATION_STYLE), r.after, r.note) for r in rows]
    return Fitted(
        _plan_table(title, rows, stacked=False),
        _plan_table(title, rows, stacked=True),
        _plan_table(title, rows, stacked=True, compact=True),
        _row_blocks(title, blocks),
    )


def plan_table(plan: SyncPlan) -> Fitted:
    """One sync's plan (see `plan_rows_view`)."""
    return plan_rows_view(_title(plan), plan.rows)


_VERIFIED = {True: Text("yes", "green"), False: Text("NO", "bold red"), None: Text("-")}


def _results_table(
    plan: SyncPlan, results: Sequence[RowResult], *, stacked: bool, compact: bool = False
) -> Table:
    """As `_plan_table`; `compact` leaves out the source figure (the plan showed it; the JSON
    has it) and shows the operation and its outcome in one column."""
    table = Table(title=_title(plan), title_justify="left")
    columns = ["employee", "type", "source", "source as of", "before", "after", "operation"]
    if compact:
        columns = [c for c in columns if not c.startswith("source")]
    for column in (*columns, "outcome", "verified"):
        if not (compact and column == "operation"):
            table.add_column(column, no_wrap=True)
    table.add_column("note", overflow="fold")
    for result in results:
        row = result.row
        operation = _style(result.kind.value, _OPERATION_STYLE)
        outcome = _style(result.status.value, _STATUS_STYLE)
        cells: list[RenderableType] = [
            _pair(row.source_employee, row.target_employee, stacked=stacked),
            _pair(row.source_type, row.target_type, stacked=stacked),
            *(() if compact else (_q(row.source_value), _source_as_of(row))),
            _q(row.before),
            _q(result.after),
            *((Text.assemble(operation, "\n", outcome),) if compact else (operation, outcome)),
            _VERIFIED[result.verified],
            result.note,
        ]
        table.add_row(*cells)
    return table


def _result_status(result: RowResult) -> Text:
    verified = {True: ", verified", False: ", NOT VERIFIED", None: ""}[result.verified]
    return Text.assemble(
        _style(result.kind.value, _OPERATION_STYLE),
        " ",
        _style(result.status.value, _STATUS_STYLE),
        (verified, "bold red" if result.verified is False else ""),
    )


def results_table(plan: SyncPlan, results: Sequence[RowResult]) -> Fitted:
    """One sync's applied rows: operation, outcome and verification (narrow: as `plan_table`)."""
    blocks = [(r.row, _result_status(r), r.after, r.note) for r in results]
    return Fitted(
        _results_table(plan, results, stacked=False),
        _results_table(plan, results, stacked=True),
        _results_table(plan, results, stacked=True, compact=True),
        _row_blocks(_title(plan), blocks),
    )


def _rate_text(value: float | None) -> str:
    if value is None:
        return "-"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text or "0"


def traffic_table(traffic: Mapping[str, Traffic]) -> Table:
    """Requests per system: how many, answered 429, sent again, and the request rate."""
    table = Table(title="requests per system", title_justify="left")
    for column in ("system", "requests", "429s", "retries", "rate/s configured", "now", "lowest"):
        table.add_column(column, justify="left" if column == "system" else "right")
    for name, t in sorted(traffic.items()):
        table.add_row(
            name,
            str(t.requests),
            Text(str(t.rate_limited), style="bold yellow" if t.rate_limited else ""),
            str(t.retries),
            _rate_text(t.configured_rate),
            _rate_text(t.rate),
            _rate_text(t.lowest_rate),
        )
    return table


def summary_text(report: RunReport) -> Text:
    parts = [f"{name} {count}" for name, count in report.summary.items() if count]
    head = "run " + report.run_id if report.run_id else ("dry run" if report.dry_run else "plan")
    if report.run_id and report.stopped and not report.applied:
        # Stopped before any write: the counts are the plan's, not what was done.
        text = f"{head}: nothing written; planned " + (", ".join(parts) or "nothing")
    else:
        text = f"{head}: " + (", ".join(parts) or "nothing to do")
    failed = sum(1 for plan in report.plans if plan.error)
    if failed:
        # "Nothing to do" alone would hide that a sync was never planned.
        text += f" ({failed} sync(s) not planned)"
    resolved = [f"{name} {count}" for name, count in report.resolution_summary.items()]
    if resolved:
        text += f" (earlier operations resolved: {', '.join(resolved)})"
    return Text(text, style="bold")


def plan_errors(report: RunReport) -> list[str]:
    """One line per sync that could not be read or planned."""
    return [f"sync {plan.sync}: {plan.error}" for plan in report.plans if plan.error]


def resolutions_table(resolutions: Sequence[Resolution]) -> Fitted:
    """Operations of earlier runs that this run resolved: what they were and are now."""
    table = Table(title="resolved from earlier runs", title_justify="left")
    for column in ("operation", "target", "was", "now"):
        table.add_column(column, no_wrap=True)
    table.add_column("note", overflow="fold")
    blocks: list[RenderableType] = [Text("resolved from earlier runs", style="italic")]
    for r in resolutions:
        op = r.operation
        now = _style(r.status.value, _STATUS_STYLE)
        table.add_row(
            op.operation_id,
            f"{op.system}\n{op.employee}\n{op.leave_type}",
            op.status.value,
            now,
            r.note,
        )
        blocks.append(Text(op.operation_id, style="bold"))
        target = f"{op.system} {op.employee} {op.leave_type}: was {op.status.value}, now "
        blocks.append(_indented(Text.assemble(target, now)))
        if r.note:
            blocks.append(_indented(Text(r.note, style="dim"), 2))
    return Fitted(table, Group(*blocks))


_T = TypeVar("_T")


def _first(groups: Iterable[Iterable[_T]], limit: int) -> list[_T]:
    """At most `limit` items: the first group's, then the next's, each in its own order."""
    return list(itertools.islice(itertools.chain.from_iterable(groups), limit))


def first_rows(rows: Sequence[PlanRow], limit: int) -> list[PlanRow]:
    """At most `limit` of `rows` to show: the writes first (what a confirmation is about),
    then the rest, each in plan order."""
    return _first(((r for r in rows if r.writes), (r for r in rows if not r.writes)), limit)


def more_rows_line(plan: SyncPlan, shown: int) -> Text:
    """Says how much of `plan` a table of its first `shown` rows left out, and where all is."""
    writes = sum(1 for r in plan.rows if r.writes)
    return Text(
        f"{plan.sync}: {shown:,} of {len(plan.rows):,} rows shown ({writes:,} to write); "
        "`balance-gateway plan --json` lists every row",
        style="dim",
    )


def attention_first(results: Sequence[RowResult], limit: int) -> list[RowResult]:
    """At most `limit` of `results` to show: those that need attention first (not `ok`:
    failed, blocked, unknown, not verified), then the writes, then the rest, each in run
    order."""
    return _first(
        (
            (r for r in results if not r.ok),
            (r for r in results if r.ok and r.row.writes),
            (r for r in results if r.ok and not r.row.writes),
        ),
        limit,
    )


def more_results_line(
    plan: SyncPlan, results: Sequence[RowResult], shown: Sequence[RowResult], run_id: str | None
) -> Text:
    """Says how much of a sync's run a table of `shown` left out, and where all of it is."""
    attention = sum(1 for r in results if not r.ok)
    left_out = sum(1 for r in shown if not r.ok) < attention
    need = f"{attention:,} need attention" + (", not all shown" if left_out else "")
    where = f"`balance-gateway runs show {run_id}`" if run_id else "`balance-gateway runs show`"
    return Text(
        f"{plan.sync}: {len(shown):,} of {len(results):,} rows shown ({need}); {where} lists "
        "every operation",
        style="dim",
    )


def print_report(
    console: Console,
    report: RunReport,
    errors: Console | None = None,
    *,
    rows_per_sync: int | None = None,
    tables: bool = True,
) -> None:
    """Print a plan or a run for people: resolutions, tables, guardrails, summary. With
    `errors` (stderr), a sync that could not be read is told there, where people look for
    failures, and stdout only says that it was not planned. `rows_per_sync`: each sync's table
    shows that many rows (a plan's writes first, `first_rows`; a run's rows that need
    attention first, `attention_first`) and a line says how many more and where they all are:
    a table of a hundred thousand rows is no report. Without `tables` (the plan was just shown
    at the prompt), the syncs' tables are left out; errors, guardrails, the stop and the
    summary are still printed."""
    if report.resolutions:
        console.print(resolutions_table(report.resolutions))
    for plan in report.plans:
        if plan.error:
            if errors is None:
                console.print(Text(f"{plan.sync}: {plan.error}", style="bold red"))
            else:
                console.print(Text(f"{plan.sync}: not planned (the error is on stderr)", "red"))
                errors.print(Text.assemble(("error: ", "bold red"), f"sync {plan.sync}: "), end="")
                errors.print(plan.error, markup=False, highlight=False)
            continue
        if not tables:
            continue
        results = [r for r in report.results if r.row.sync == plan.sync]
        # A sync of a later wave that a stop kept from being applied shows its plan.
        if report.applied and (results or not plan.rows):
            if rows_per_sync is not None and len(results) > rows_per_sync:
                chosen = attention_first(results, rows_per_sync)
                console.print(results_table(plan, chosen))
                console.print(more_results_line(plan, results, chosen, report.run_id))
            else:
                console.print(results_table(plan, results))
        elif rows_per_sync is not None and len(plan.rows) > rows_per_sync:
            shown = first_rows(plan.rows, rows_per_sync)
            console.print(plan_rows_view(_title(plan), shown))
            console.print(more_rows_line(plan, len(shown)))
        else:
            console.print(plan_table(plan))
    for violation in report.violations:
        console.print(Text(f"guardrail: {violation}", style="bold red"))
    if report.stopped:
        console.print(Text(f"stopped: {report.stopped}", style="bold red"))
    for system, count in report.unresolved_elsewhere.items():
        console.print(Text(unresolved_elsewhere_warning(system, count), style="bold yellow"))
    # Shown when a vendor limited the rate or requests were sent again: a user sees a limit
    # was hit (ridden out, or not) instead of only a slower run. Always in the JSON.
    if any(t.eventful for t in report.traffic.values()):
        console.print(traffic_table(report.traffic))
    console.print(summary_text(report))


def run_json(run: RunRecord) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "started_at": run.started_at.isoformat(),
        "finished_at": None if run.finished_at is None else run.finished_at.isoformat(),
        "status": run.status.value,
        "syncs": list(run.syncs),
        "config": run.config_path,
        "summary": run.summary,
        "message": run.message,
    }


def operation_json(op: OperationRecord) -> dict[str, Any]:
    def amount(value: Any) -> str | None:
        return None if value is None else format(value, "f")

    return {
        "operation_id": op.operation_id,
        "run_id": op.run_id,
        "sync": op.sync,
        "source_system": op.source_system,
        "source_employee": op.source_employee,
        "source_type": op.source_type,
        "source_value": op.source_value,
        "system": op.system,
        "employee": op.employee,
        "leave_type": op.leave_type,
        "operation": op.kind.value,
        "status": op.status.value,
        "unit": None if op.unit is None else op.unit.value,
        "before": amount(op.before),
        "after": amount(op.after),
        "as_of": None if op.as_of is None else op.as_of.isoformat(),
        "verified": op.verified,
        "note": op.note,
        "record_ids": list(op.record_ids),
        "created_at": op.created_at.isoformat(),
        "updated_at": op.updated_at.isoformat(),
    }


def unresolved_json(
    counts: Mapping[str, int], configured: Collection[str] | None
) -> list[dict[str, Any]]:
    """Unresolved operations per system for `runs --json`; `configured` is None when the
    configuration is not known (`--state`)."""
    return [
        {
            "system": system,
            "count": count,
            "configured": None if configured is None else system in configured,
        }
        for system, count in sorted(counts.items())
    ]


def unresolved_lines(counts: Mapping[str, int], configured: Collection[str] | None) -> list[Text]:
    """Warning lines under the runs table: operations still unresolved, per system; those on a
    system the configuration no longer has get the louder warning (nothing resolves them)."""
    lines = []
    for system, count in sorted(counts.items()):
        if configured is not None and system not in configured:
            lines.append(Text(unresolved_elsewhere_warning(system, count), style="bold yellow"))
        else:
            lines.append(
                Text(
                    f"{count} operation(s) still unresolved on system {system!r}; the next sync "
                    "writing it resolves them first",
                    style="yellow",
                )
            )
    return lines


def _run_summary(run: RunRecord) -> str:
    counts = ", ".join(f"{k} {v}" for k, v in run.summary.items() if v)
    # A run stopped before any write recorded its plan's counts: nothing of them was done.
    return f"planned: {counts}" if counts and run.status is RunStatus.STOPPED else counts


def runs_table(runs: Sequence[RunRecord]) -> Fitted:
    """The journal's runs; run ids (copied into `runs show`) are never wrapped or cut."""
    table = Table(title="runs (newest first)", title_justify="left")
    for column in ("run", "started", "finished", "status", "syncs"):
        table.add_column(column, no_wrap=True)
    table.add_column("summary", overflow="fold")
    blocks: list[RenderableType] = [Text("runs (newest first)", style="italic")]
    for run in runs:
        started = f"{run.started_at:%Y-%m-%d %H:%M:%S}"
        finished = "-" if run.finished_at is None else f"{run.finished_at:%H:%M:%S}"
        table.add_row(
            run.run_id,
            started,
            finished,
            run.status.value,
            "\n".join(run.syncs),
            _run_summary(run),
        )
        blocks.append(Text.assemble((run.run_id, "bold"), f" {run.status.value}"))
        blocks.append(_indented(f"started {started}, finished {finished}"))
        blocks.append(_indented(f"syncs: {', '.join(run.syncs)}"))
        if run.summary:
            blocks.append(_indented(f"summary: {_run_summary(run) or '-'}"))
    return Fitted(table, Group(*blocks))


def _amount(op: OperationRecord, value: Any) -> str:
    return "-" if value is None else f"{value}{'' if op.unit is None else f' {op.unit.value}'}"


def _operations_table(title: str, ops: Sequence[OperationRecord]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("operation id", "sync", "employee", "type", "before", "after", "operation"):
        table.add_column(column, no_wrap=True)
    table.add_column("outcome", no_wrap=True)
    table.add_column("verified", no_wrap=True)
    table.add_column("note", overflow="fold")
    for op in ops:
        table.add_row(
            op.operation_id,
            op.sync,
            _op_employee(op),
            op.leave_type or op.source_type or "",
            _amount(op, op.before),
            _amount(op, op.after),
            _style(op.kind.value, _OPERATION_STYLE),
            _style(op.status.value, _STATUS_STYLE),
            {True: "yes", False: "NO", None: "-"}[op.verified],
            op.note,
        )
    return table


def _op_employee(op: OperationRecord) -> str:
    """The target employee, else the source's in brackets (unmapped), else "(all)"."""
    if op.employee:
        return op.employee
    return f"({op.source_employee})" if op.source_employee else "(all)"


def _operation_blocks(title: str, ops: Sequence[OperationRecord]) -> Group:
    """The narrow layout of `runs show`: a heading per operation id, what it did under it."""
    parts: list[RenderableType] = [Text(title, style="italic")]
    for op in ops:
        parts.append(Text.assemble((op.operation_id, "bold"), f" {op.sync}"))
        verified = {True: ", verified", False: ", NOT VERIFIED", None: ""}[op.verified]
        figures = (
            ""
            if op.before is None and op.after is None
            else f": {_amount(op, op.before)} -> {_amount(op, op.after)}"
        )
        parts.append(
            _indented(
                Text.assemble(
                    f"{_op_employee(op)} {op.leave_type or op.source_type or ''}".rstrip(),
                    ": ",
                    _style(op.kind.value, _OPERATION_STYLE),
                    " ",
                    _style(op.status.value, _STATUS_STYLE),
                    verified,
                    figures,
                )
            )
        )
        if op.note:
            parts.append(_indented(Text(op.note, style="dim"), 2))
    return Group(*parts)


def operations_view(run: RunRecord, ops: Sequence[OperationRecord]) -> Group:
    """Every operation of one run (`runs show`); ids whole at any width (see `Fitted`)."""
    title = f"run {run.run_id} ({run.status.value}, started {run.started_at:%Y-%m-%d %H:%M:%S})"
    parts: list[Any] = [Fitted(_operations_table(title, ops), _operation_blocks(title, ops))]
    if run.message:
        parts.append(Text(run.message))
    return Group(*parts)
