"""Checks of planned writes against what the targets hold now, before anything is sent.

    recheck              after the confirmation (the prompt may have waited long): block each
                         write whose target changed beyond what was confirmed
    check_reviewed       a saved plan applied as reviewed: give each write this run's ids and
                         block those whose target no longer holds what the plan saw
    block_double_writes  two syncs writing one balance: block the later one's rows

Each reads every readable target once per target system and date; a target that cannot be read
again blocks its writes (what they would do now is not known).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import replace
from datetime import date

from balance_gateway.adapters._core.adapter import OperationKind
from balance_gateway.adapters._core.errors import GatewayError
from balance_gateway.adapters._core.secrets import scrub
from balance_gateway.canonical import CanonicalError, Quantity
from balance_gateway.gateway.config import GuardrailsConfig
from balance_gateway.gateway.guardrails import recheck_row, same_value
from balance_gateway.gateway.journal import OperationRecord
from balance_gateway.gateway.plan import (
    Key,
    PlanRow,
    SyncPlan,
    current_from_last_written,
    join_notes,
)
from balance_gateway.gateway.scope import RunScope


async def read_targets(
    scope: RunScope, rows: Sequence[PlanRow]
) -> tuple[dict[Key, Quantity | None], dict[str, str]]:
    """What the readable targets of `rows` hold now (one bulk read per target system and
    date): (target balance -> remaining, None when shown without one; system -> why it
    could not be read). A balance the target does not show is absent."""
    groups: dict[tuple[str, date], list[PlanRow]] = {}
    for row in rows:
        if row.intent is not None:
            groups.setdefault((row.target_system, row.intent.as_of), []).append(row)
    now: dict[Key, Quantity | None] = {}
    failed: dict[str, str] = {}

    async def read(system: str, as_of: date, rows: list[PlanRow]) -> None:
        employees = sorted({r.target_employee or "" for r in rows})
        types = sorted({r.target_type or "" for r in rows})
        try:
            balances = await scope.adapter(system).read_balances(employees, types, as_of)
        except (GatewayError, CanonicalError) as exc:
            failed[system] = getattr(exc, "message", str(exc))
            return
        for balance in balances:
            shown = None if balance.remaining is None else Quantity(balance.remaining, balance.unit)
            now[(system, balance.employee.id, balance.leave_type.id)] = shown

    await asyncio.gather(*(read(s, d, rows) for (s, d), rows in groups.items()))
    return now, failed


async def recheck(
    scope: RunScope, plans: list[SyncPlan], limits: GuardrailsConfig
) -> list[SyncPlan]:
    """Read every readable target again and block each write whose target changed beyond
    what was confirmed or the guardrails `limits` (`gateway.guardrails.recheck_row`). A
    target that cannot be read again blocks its writes: what they would do now is not
    known. A write let through although its target changed gets what the target holds now
    as its `before` (the value its first attempt is told the target holds)."""
    to_check = [
        row
        for plan in plans
        for row in plan.rows
        if row.writes
        and row.intent is not None
        and scope.adapter(row.target_system).capabilities.can_read
    ]
    if not to_check:
        return plans
    now, failed = await read_targets(scope, to_check)
    checked = {id(row) for row in to_check}
    fixed = []
    for plan in plans:
        rows = []
        for row in plan.rows:
            if id(row) in checked:
                system = row.target_system
                if system in failed:
                    reason: str | None = (
                        f"could not read {system} again after the confirmation "
                        f"({failed[system]}); not written: run again"
                    )
                else:
                    key = (system, row.target_employee or "", row.target_type or "")
                    reason = recheck_row(row, now.get(key), limits)
                    if reason is None and not same_value(now.get(key), row.before):
                        # Let through from what the target holds now: the row's `before` is
                        # what the engine gives the write (`WriteIntent.planned_before`), from
                        # which a ledger computes its delta without reading again.
                        row = replace(row, before=now.get(key))
                if reason is not None:
                    row = replace(
                        row, operation=OperationKind.BLOCKED, note=join_notes(row.note, reason)
                    )
            rows.append(row)
        fixed.append(replace(plan, rows=tuple(rows)))
    return fixed


async def check_reviewed(
    scope: RunScope,
    plans: Sequence[SyncPlan],
    everything: Sequence[SyncPlan],
    writers: dict[Key, str],
    new_operation_id: Callable[[], str],
    contested: Collection[str] | None = None,
) -> list[SyncPlan]:
    """`plans` (of a reviewed, saved plan whose syncs are `everything`) made ready to
    apply as they are: nothing is planned again. Each write gets this run's ids (from
    `new_operation_id`), and a row is blocked when its balance has an operation still
    unresolved, when its target no longer holds the value the row was planned against (read
    again now; on a target that cannot be read, the value last written there), or when its
    source balance is one that another sync of the plan writes (the plan carried the value
    before that write). `writers` and `contested` as for `block_double_writes`."""
    unresolved: dict[Key, OperationRecord] = {}
    if scope.journal is not None:
        for op in scope.journal.unresolved({p.target for p in plans}):
            unresolved[(op.system, op.employee, op.leave_type)] = op
    written = {
        (r.target_system, r.target_employee, r.target_type): r.sync
        for p in everything
        for r in p.rows
        if r.writes
    }
    plans = [
        replace(p, rows=tuple(_with_ids(r, scope.run_id, new_operation_id) for r in p.rows))
        for p in plans
    ]
    checked = [
        r
        for p in plans
        for r in p.rows
        if r.intent is not None and (r.writes or r.operation is OperationKind.SKIP)
    ]
    now, failed = await read_targets(
        scope, [r for r in checked if scope.adapter(r.target_system).capabilities.can_read]
    )
    checked_ids = {id(r) for r in checked}

    def reason(row: PlanRow) -> str | None:
        key = (row.target_system, row.target_employee or "", row.target_type or "")
        pending = unresolved.get(key)
        if pending is not None and row.writes:
            return (
                f"operation {pending.operation_id} (run {pending.run_id}) is still "
                f"{pending.status.value}: the target could not tell whether it took "
                "effect; check the target, then plan again"
            )
        feeder = written.get((row.source_system, row.source_employee, row.source_type))
        if feeder is not None and feeder != row.sync and row.writes:
            return (
                f"sync {feeder} writes this row's source balance in the same plan, which "
                "was made before that write: plan this sync again after this run"
            )
        if id(row) not in checked_ids:
            return None
        if scope.adapter(row.target_system).capabilities.can_read:
            if row.target_system in failed:
                return (
                    f"could not read {row.target_system} to check that it still holds what "
                    f"the plan saw ({failed[row.target_system]}); not written: run again"
                )
            held = now.get(key)
        else:
            try:
                held = _last_written_now(scope, row)
            except (GatewayError, CanonicalError, KeyError, ValueError) as exc:
                return scrub(f"could not tell what {row.target_system} holds: {exc}")
        if same_value(held, row.before) or (_empty(held) and _empty(row.before)):
            return None
        return (
            f"target changed since the plan: planned against {_shown(row.before)}, "
            f"now {_shown(held)}; not written: plan again"
        )

    fixed = []
    for plan in plans:
        rows = []
        for row in plan.rows:
            why = reason(row)
            if why is not None:
                row = replace(row, operation=OperationKind.BLOCKED, note=join_notes(row.note, why))
            rows.append(row)
        fixed.append(replace(plan, rows=tuple(rows)))
    return block_double_writes(fixed, writers, contested)


def block_double_writes(
    plans: list[SyncPlan],
    writer: dict[Key, str] | None = None,
    contested: Collection[str] | None = None,
) -> list[SyncPlan]:
    """Two syncs writing the same target balance would fight: block the later one's rows.
    `writer` (balance -> first sync writing it) is updated, to carry over to later waves.
    `contested`: the systems more than one sync of the run may write (None: any); a balance
    of another system has one writer only, and is not remembered (a key per row, at 100,000
    people, is megabytes)."""
    if writer is None:
        writer = {}
    fixed = []
    for plan in plans:
        if contested is not None and plan.target not in contested:
            fixed.append(plan)
            continue
        rows = []
        for row in plan.rows:
            if row.intent is not None and row.target_employee and row.target_type:
                key = (row.target_system, row.target_employee, row.target_type)
                first = writer.setdefault(key, row.sync)
                if first != row.sync:
                    row = replace(
                        row,
                        operation=OperationKind.BLOCKED,
                        note=f"sync {first} writes this balance too; map it in one sync only",
                    )
            rows.append(row)
        fixed.append(replace(plan, rows=tuple(rows)))
    return fixed


def contested_targets(targets: Iterable[str]) -> frozenset[str]:
    """The systems named more than once in `targets` (each sync's target): those that more
    than one sync writes (see `block_double_writes`)."""
    counts = Counter(targets)
    return frozenset(system for system, count in counts.items() if count > 1)


def _with_ids(row: PlanRow, run_id: str, new_operation_id: Callable[[], str]) -> PlanRow:
    """`row` with its write given this run's ids; a note naming the plan's operation id
    (a ledger's label) names the one this run writes with."""
    if row.intent is None:
        return row
    planned_id, operation_id = row.intent.operation_id, new_operation_id()
    intent = replace(row.intent, operation_id=operation_id, run_id=run_id)
    note = row.note.replace(planned_id, operation_id) if planned_id else row.note
    return replace(row, intent=intent, note=note)


def _last_written_now(scope: RunScope, row: PlanRow) -> Quantity | None:
    """What a target that cannot be read holds by the journal: the value last written."""
    intent = row.intent
    if scope.journal is None or intent is None:
        return None
    last = scope.journal.last_written(row.target_system, intent.employee.id, intent.leave_type.id)
    unit = scope.adapter(row.target_system).target_unit(intent.leave_type.id)
    balance = current_from_last_written(
        last, intent.employee, intent.leave_type, unit, row.schedule, intent.as_of
    )
    if balance is None or balance.remaining is None:
        return None
    return Quantity(balance.remaining, balance.unit)


def _empty(value: Quantity | None) -> bool:
    """No balance shown, or a zero one: a ledger without transactions shows none."""
    return value is None or value.value == 0


def _shown(value: Quantity | None) -> str:
    return "nothing" if value is None else str(value)
