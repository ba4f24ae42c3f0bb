"""Guardrails: limits checked on the whole plan before anything is written.

They stop a bad mapping (a wrong column, a days/hours mix-up) from rewriting a company:
- `max_operations`: most write operations in one run (all selected syncs together);
- `max_change`: largest |after - before| of one balance, given with its unit and converted to
  each target's unit with that person's working day. A balance whose current value is unknown
  (a write-only target never written) counts from 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

from balance_gateway.canonical import Quantity, RoundingMode, convert_rounded
from balance_gateway.gateway.config import GuardrailsConfig
from balance_gateway.gateway.plan import PlanRow, SyncPlan

# At most this many violating rows are listed; the rest are counted.
MAX_LISTED = 20


def _change(row: PlanRow) -> Fraction | None:
    if row.after is None:
        return None
    before = row.before
    if before is None or before.unit is not row.after.unit:
        before = Quantity(Decimal(0), row.after.unit)
    return abs(Fraction(row.after.value) - Fraction(before.value))


def _limit_in(limit: Quantity, row: PlanRow) -> Fraction:
    assert row.after is not None
    # The exact rational limit in the row's unit: no rounding enters the comparison.
    return convert_rounded(limit, row.after.unit, row.schedule, Decimal(1), RoundingMode.DOWN).exact


def check_guardrails(plans: Sequence[SyncPlan], limits: GuardrailsConfig) -> list[str]:
    """Every guardrail the plan breaks, one human-readable line each (empty: all within)."""
    writes = [row for plan in plans for row in plan.rows if row.writes]
    violations: list[str] = []
    if limits.max_operations is not None and len(writes) > limits.max_operations:
        violations.append(
            f"{len(writes)} write operations planned, more than max_operations = "
            f"{limits.max_operations}"
        )
    limit = limits.max_change_quantity()
    if limit is None:
        return violations
    too_big = []
    for row in writes:
        change = _change(row)
        if change is not None and change > _limit_in(limit, row):
            before = "unknown (counted from 0)" if row.before is None else str(row.before)
            too_big.append(
                f"sync {row.sync}, employee {row.employee_label}, type {row.type_label}: "
                f"{row.operation.value} from {before} to {row.after} changes more than "
                f"max_change = {limits.max_change}"
            )
    violations.extend(too_big[:MAX_LISTED])
    if len(too_big) > MAX_LISTED:
        violations.append(f"... and {len(too_big) - MAX_LISTED} more balances over max_change")
    return violations
