"""Resolving the operations earlier runs left unresolved (`intent`: a crash mid-write;
`unknown`: the write's answer was lost), before anything is planned.

Resolution only reads: it asks the target (`confirm_write`) and records what it says. Applied
-> `applied`; not applied -> `not_applied` (the fresh plan writes it again). When a `set`
target cannot tell, the operation becomes `superseded` and the value last written there is
forgotten, so that the fresh plan sets the current value (through the guardrails and the
confirmation) instead of re-sending a stale one. On any other target it stays unresolved and
blocks its balance until someone looks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection

from balance_gateway.adapters._core.adapter import Confirmation, WriteKind
from balance_gateway.adapters._core.errors import GatewayError
from balance_gateway.gateway.bounded import map_bounded
from balance_gateway.gateway.journal import Journal, OperationRecord, OpStatus
from balance_gateway.gateway.results import Resolution
from balance_gateway.gateway.scope import RunScope


async def resolve_unresolved(scope: RunScope) -> list[Resolution]:
    """Resolve every unresolved operation aimed at a system of `scope` (see the module
    docstring), at most `max_in_flight` at once. Never raises for a vendor error: the
    operation stays unresolved and the resolution says why."""
    if scope.journal is None:
        return []
    pending = scope.journal.unresolved(set(scope.adapters))

    async def one(op: OperationRecord) -> Resolution:
        return await resolve_operation(scope, op)

    return await map_bounded(pending, one, scope.max_in_flight)


async def resolve_operation(scope: RunScope, op: OperationRecord) -> Resolution:
    """Resolve `op` by reading its target back, and journal the outcome (see the module
    docstring); the journal's note names the resolving run."""
    journal = scope.journal
    assert journal is not None
    adapter = scope.adapter(op.system)
    prefix = f"resolved by run {scope.run_id}: "
    try:
        intent = op.intent()
    except ValueError as exc:
        journal.record_outcome(op.operation_id, OpStatus.FAILED, note=prefix + str(exc))
        return Resolution(op, OpStatus.FAILED, str(exc))
    try:
        confirmation = await adapter.confirm_write(intent)
    except GatewayError as exc:
        return Resolution(op, op.status, f"could not read the target back: {exc}")
    if confirmation is Confirmation.APPLIED:
        note = "the target shows it applied"
        journal.record_outcome(op.operation_id, OpStatus.APPLIED, note=prefix + note)
        return Resolution(op, OpStatus.APPLIED, note)
    if confirmation is Confirmation.NOT_APPLIED:
        note = "the target shows it was not applied; this run plans it again"
        journal.record_outcome(op.operation_id, OpStatus.NOT_APPLIED, note=prefix + note)
        return Resolution(op, OpStatus.NOT_APPLIED, note)
    if adapter.capabilities.write_kind is not WriteKind.SET:
        note = (
            f"{op.system} cannot tell whether it took effect and its writes are not "
            "idempotent; check the target by hand"
        )
        return Resolution(op, op.status, note)
    # Not re-sent: the value is stale (the source may have changed since), and a write here
    # would bypass the guardrails and the confirmation. Forgetting the value last written
    # makes the fresh plan set the current value, as for a balance never written.
    note = (
        f"{op.system} cannot tell whether it took effect; not sent again: the value last "
        "written there is forgotten, so this run's plan sets the current value"
    )
    journal.record_outcome(op.operation_id, OpStatus.SUPERSEDED, note=prefix + note, forget=True)
    return Resolution(op, OpStatus.SUPERSEDED, note)


def unresolved_elsewhere(journal: Journal | None, configured: Collection[str]) -> dict[str, int]:
    """Unresolved operations on systems not in `configured` (the configuration no longer has
    them; nothing resolves them from here): system -> count."""
    if journal is None:
        return {}
    found = Counter(op.system for op in journal.unresolved() if op.system not in configured)
    return dict(sorted(found.items()))
