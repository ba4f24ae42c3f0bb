"""Guardrails: limits checked on the whole plan before anything is written, counted as the
plan's rows arrive (`GuardrailTally`), so that no list of rows is needed to check them.

They stop a bad mapping (a wrong column, a days/hours mix-up) from rewriting a company:
- `max_operations`: most write operations in one run (all selected syncs together);
- `max_change`: largest |after - before| of one balance, given with its unit and converted to
  each target's unit with that person's working day. A balance whose current value is unknown
  (a write-only target never written) counts from 0.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction

from balance_gateway.canonical import (
    Quantity,
    RoundingMode,
    Unit,
    WorkSchedule,
    convert_rounded,
)
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


def _limit_in(limit: Quantity, unit: Unit, schedule: WorkSchedule) -> Fraction:
    # The exact rational limit in the row's unit: no rounding enters the comparison.
    return convert_rounded(limit, unit, schedule, Decimal(1), RoundingMode.DOWN).exact


class GuardrailTally:
    """The guardrails counted as plan rows arrive (`add`), holding no row: the number of
    writes, the largest change seen and the lines of at most `MAX_LISTED` rows over
    `max_change` (the rest only counted). `violations` reads what `check_guardrails` reports;
    `copy` lets a run check a wave's rows on top of those of earlier waves."""

    def __init__(self, limits: GuardrailsConfig) -> None:
        self.limits = limits
        self.writes = 0
        # The largest |after - before| of one write, in its own unit (None: no change known).
        self.largest: tuple[Fraction, PlanRow] | None = None
        self.over_listed: list[str] = []
        self.over_unlisted = 0
        self._limit = limits.max_change_quantity()
        # max_change in each (unit, working day) met: a handful, where rows are thousands.
        self._limit_by: dict[tuple[Unit, WorkSchedule], Fraction] = {}

    def add(self, row: PlanRow) -> None:
        """Count `row` (only a write counts)."""
        if not row.writes:
            return
        self.writes += 1
        change = _change(row)
        if change is None:
            return
        if self.largest is None or change > self.largest[0]:
            self.largest = (change, row)
        if self._limit is None or change <= self._limit_for(row):
            return
        if len(self.over_listed) == MAX_LISTED:
            self.over_unlisted += 1
            return
        before = "unknown (counted from 0)" if row.before is None else str(row.before)
        self.over_listed.append(
            f"sync {row.sync}, employee {row.employee_label}, type {row.type_label}: "
            f"{row.operation.value} from {before} to {row.after} changes more than "
            f"max_change = {self.limits.max_change}"
        )

    def _limit_for(self, row: PlanRow) -> Fraction:
        assert self._limit is not None
        assert row.after is not None
        key = (row.after.unit, row.schedule)
        found = self._limit_by.get(key)
        if found is None:
            found = self._limit_by[key] = _limit_in(self._limit, *key)
        return found

    def add_plans(self, plans: Iterable[SyncPlan]) -> None:
        for plan in plans:
            for row in plan.rows:
                self.add(row)

    def copy(self) -> GuardrailTally:
        tally = copy.copy(self)
        tally.over_listed = list(self.over_listed)
        return tally

    def violations(self) -> list[str]:
        """Every guardrail broken so far, one human-readable line each (empty: all within)."""
        lines: list[str] = []
        limit = self.limits.max_operations
        if limit is not None and self.writes > limit:
            lines.append(
                f"{self.writes} write operations planned, more than max_operations = {limit}"
            )
        lines.extend(self.over_listed)
        if self.over_unlisted:
            lines.append(f"... and {self.over_unlisted} more balances over max_change")
        return lines


def check_guardrails(plans: Iterable[SyncPlan], limits: GuardrailsConfig) -> list[str]:
    """Every guardrail the plan breaks, one human-readable line each (empty: all within)."""
    tally = GuardrailTally(limits)
    tally.add_plans(plans)
    return tally.violations()


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
    if limit is not None and new > _limit_in(limit, after.unit, row.schedule):
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
