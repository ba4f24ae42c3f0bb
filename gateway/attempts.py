"""Attempts of one planned write within a run: a work unit of a distributed run may be
delivered twice, or its worker may die mid-write, so `Engine.apply_rows` finds what the journal
already has for each planned write before writing it (again, under the next attempt's id)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace

from balance_gateway.canonical import Quantity
from balance_gateway.gateway.journal import Journal, OperationLookup, OperationRecord, OpStatus
from balance_gateway.gateway.plan import PlanRow
from balance_gateway.gateway.results import RowResult


def attempt_operation_id(operation_id: str, attempt: int) -> str:
    """The operation id of a planned write's `attempt`-th attempt in one run: the planned id
    itself for the first, `<id>.<attempt>` after (`Engine.apply_rows`)."""
    return operation_id if attempt == 1 else f"{operation_id}.{attempt}"


def latest_attempt(
    operation_id: str, recorded: Mapping[str, OperationRecord]
) -> tuple[int, OperationRecord | None]:
    """The last attempt of the planned write `operation_id` in `recorded` (operation id ->
    record) and its number; (0, None) when none was recorded."""
    attempt, found = 0, None
    while (record := recorded.get(attempt_operation_id(operation_id, attempt + 1))) is not None:
        attempt, found = attempt + 1, record
    return attempt, found


def recorded_attempts(
    journal: Journal, run_id: str, operation_ids: Collection[str]
) -> dict[str, OperationRecord]:
    """Every recorded attempt (operation id -> record) of the planned writes `operation_ids`
    of run `run_id`: looked up by id when the journal can (`OperationLookup`), else read from
    the whole run."""
    if not isinstance(journal, OperationLookup):
        return {op.operation_id: op for op in journal.operations(run_id)}
    found: dict[str, OperationRecord] = {}
    attempt, wanted = 1, {operation_id: operation_id for operation_id in operation_ids}
    while wanted:
        ids = {attempt_operation_id(planned, attempt): planned for planned in wanted}
        records = journal.operations_by_id(ids)
        found.update((op.operation_id, op) for op in records)
        # A later attempt is made only after one the target showed not applied.
        attempt += 1
        wanted = {
            ids[op.operation_id]: ids[op.operation_id]
            for op in records
            if op.status is OpStatus.NOT_APPLIED
        }
    return found


def result_from_record(row: PlanRow, op: OperationRecord) -> RowResult:
    """The result of planned write `row` as the journal recorded it (operation `op`, maybe a
    later attempt of the row's own)."""
    if row.intent is not None and row.intent.operation_id != op.operation_id:
        row = replace(row, intent=replace(row.intent, operation_id=op.operation_id))
    after = row.after if op.after is None or op.unit is None else Quantity(op.after, op.unit)
    return RowResult(row, op.operation_id, op.status, op.kind, after, note=op.note)
