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


def recheck_row(row: PlanRow, now: Quantity | None, limits: GuardrailsConfig) -> str | None:
    """Why `row`'s write may no longer be sent now that the target holds `now` (read again
    after the confirmation), or None when it may.

    The write is what was confirmed when the target still holds the plan's `before`. When it
    changed, the write it would now take (from `now` to `row.after`) must stay within what was
    confirmed (no larger, and in the same direction: a confirmed credit never becomes a
    reduction) and within `max_change`. A value that cannot be compared blocks the write."""
    after = row.after
    if after is None:
        return None
    if same_value(now, row.before):
        return None
    now_text = "nothing" if now is None else str(now)
    before_text = "nothing" if row.before is None else str(row.before)
    base = Quantity(Decimal(0), after.unit) if now is None else now
    if base.unit is not after.unit:
        return (
            f"the target changed since the plan was confirmed (it showed {before_text}, it "
            f"now holds {now_text}, in another unit); run again to plan from what it holds"
        )
    confirmed = _change(row)
    new = abs(Fraction(after.value) - Fraction(base.value))
    if new == 0:
        return None  # already there: the target itself will skip it
    reasons = []
    # As `_change` counts it: from the plan's `before`, or from 0 when that was not known.
    planned = row.before if row.before is not None and row.before.unit is after.unit else None
    old_direction = Fraction(after.value) - (Fraction(planned.value) if planned else 0)
    new_direction = Fraction(after.value) - Fraction(base.value)
    if confirmed is not None and new > confirmed:
        reasons.append("a larger change than was confirmed")
    if old_direction * new_direction < 0:
        reasons.append("the opposite direction to what was confirmed")
    limit = limits.max_change_quantity()
    if limit is not None and new > _limit_in(limit, row):
        reasons.append(f"more than max_change = {limits.max_change}")
    if not reasons:
        return None
    return (
        f"the target changed since the plan was confirmed: it showed {before_text} and now "
        f"holds {now_text}, so writing {after} would be " + " and ".join(reasons) + "; not "
        "written: run again to plan from what the target holds now"
    )


def same_value(a: Quantity | None, b: Quantity | None) -> bool:
    """Equal quantities in the same unit (None only equals None)."""
    if a is None or b is None:
        return a is b
    return a.unit is b.unit and Fraction(a.value) == Fraction(b.value)
