"""Reports for people (rich tables) and machines (JSON-ready dicts) of plans, runs and the
journal. Values are shown with their unit; JSON carries amounts as decimal strings (never
floats) beside their unit. Nothing here ever sees a credential."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from balance_gateway.canonical import AsOfBasis, Quantity
from balance_gateway.gateway.budget import Traffic
from balance_gateway.gateway.engine import (
    Resolution,
    RowResult,
    RunReport,
    unresolved_elsewhere_warning,
)
from balance_gateway.gateway.journal import OperationRecord, RunRecord
from balance_gateway.gateway.plan import PlanRow, SyncPlan

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


def plan_table(plan: SyncPlan) -> Table:
    """One sync's plan: a row per employee and leave-type pair."""
    table = Table(
        title=f"{plan.sync}: {plan.source} -> {plan.target} (as of {plan.as_of.isoformat()})",
        title_justify="left",
    )
    columns = ("employee", "type", "source", "source as of", "target now", "target after")
    for column in (*columns, "operation"):
        table.add_column(column, no_wrap=column != "employee")
    table.add_column("note", overflow="fold")
    for row in plan.rows:
        table.add_row(
            row.employee_label,
            row.type_label,
            _q(row.source_value),
            _source_as_of(row),
            _q(row.before),
            _q(row.after),
            _style(row.operation.value, _OPERATION_STYLE),
            row.note,
        )
    return table


def results_table(plan: SyncPlan, results: Sequence[RowResult]) -> Table:
    """One sync's applied rows: operation, outcome and verification."""
    table = Table(
        title=f"{plan.sync}: {plan.source} -> {plan.target} (as of {plan.as_of.isoformat()})",
        title_justify="left",
    )
    columns = ("employee", "type", "source", "source as of", "before", "after", "operation")
    for column in (*columns, "outcome"):
        table.add_column(column, no_wrap=column != "employee")
    table.add_column("verified")
    table.add_column("note", overflow="fold")
    for result in results:
        row = result.row
        verified = {True: Text("yes", "green"), False: Text("NO", "bold red"), None: Text("-")}
        table.add_row(
            row.employee_label,
            row.type_label,
            _q(row.source_value),
            _source_as_of(row),
            _q(row.before),
            _q(result.after),
            _style(result.kind.value, _OPERATION_STYLE),
            _style(result.status.value, _STATUS_STYLE),
            verified[result.verified],
            result.note,
        )
    return table


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
    text = f"{head}: " + (", ".join(parts) or "nothing to do")
    resolved = [f"{name} {count}" for name, count in report.resolution_summary.items()]
    if resolved:
        text += f" (earlier operations resolved: {', '.join(resolved)})"
    return Text(text, style="bold")


def plan_errors(report: RunReport) -> list[str]:
    """One line per sync that could not be read or planned."""
    return [f"sync {plan.sync}: {plan.error}" for plan in report.plans if plan.error]


def print_report(console: Console, report: RunReport, errors: Console | None = None) -> None:
    """Print a plan or a run for people: resolutions, tables, guardrails, summary. With
    `errors` (stderr), a sync that could not be read is told there, where people look for
    failures, and stdout only says that it was not planned."""
    if report.resolutions:
        table = Table(title="resolved from earlier runs", title_justify="left")
        for column in ("operation", "target", "was", "now", "note"):
            table.add_column(column)
        for r in report.resolutions:
            op = r.operation
            table.add_row(
                op.operation_id,
                f"{op.system} {op.employee} {op.leave_type}",
                op.status.value,
                _style(r.status.value, _STATUS_STYLE),
                r.note,
            )
        console.print(table)
    for plan in report.plans:
        if plan.error:
            if errors is None:
                console.print(Text(f"{plan.sync}: {plan.error}", style="bold red"))
            else:
                console.print(Text(f"{plan.sync}: not planned (the error is on stderr)", "red"))
                errors.print(Text.assemble(("error: ", "bold red"), f"sync {plan.sync}: "), end="")
                errors.print(plan.error, markup=False, highlight=False)
            continue
        results = [r for r in report.results if r.row.sync == plan.sync]
        # A sync of a later wave that a stop kept from being applied shows its plan.
        if report.applied and (results or not plan.rows):
            console.print(results_table(plan, results))
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


def runs_table(runs: Sequence[RunRecord]) -> Table:
    table = Table(title="runs (newest first)", title_justify="left")
    # Run ids are copied into `runs show`: never wrapped or cut; the rest wraps to fit.
    table.add_column("run", no_wrap=True, min_width=max((len(r.run_id) for r in runs), default=3))
    for column in ("started", "finished", "status", "syncs", "summary"):
        table.add_column(column, overflow="fold")
    for run in runs:
        table.add_row(
            run.run_id,
            f"{run.started_at:%Y-%m-%d %H:%M:%S}",
            "-" if run.finished_at is None else f"{run.finished_at:%H:%M:%S}",
            run.status.value,
            ", ".join(run.syncs),
            ", ".join(f"{k} {v}" for k, v in run.summary.items() if v),
        )
    return table


def operations_view(run: RunRecord, ops: Sequence[OperationRecord]) -> Group:
    table = Table(
        title=f"run {run.run_id} ({run.status.value}, started {run.started_at:%Y-%m-%d %H:%M:%S})",
        title_justify="left",
    )
    for column in ("operation id", "sync", "employee", "type", "before", "after", "operation"):
        table.add_column(column)
    table.add_column("outcome")
    table.add_column("verified")
    table.add_column("note", overflow="fold")
    for op in ops:
        unit = "" if op.unit is None else f" {op.unit.value}"
        table.add_row(
            op.operation_id,
            op.sync,
            op.employee or f"({op.source_employee})",
            op.leave_type,
            "-" if op.before is None else f"{op.before}{unit}",
            "-" if op.after is None else f"{op.after}{unit}",
            _style(op.kind.value, _OPERATION_STYLE),
            _style(op.status.value, _STATUS_STYLE),
            {True: "yes", False: "NO", None: "-"}[op.verified],
            op.note,
        )
    parts: list[Any] = [table]
    if run.message:
        parts.append(Text(run.message))
    return Group(*parts)
