"""Plans kept between `POST /api/syncs/{name}/plan` and `.../apply`, and the check that what is
applied is what was previewed.

Applying a plan id does not replay stored rows: a stored plan may be stale (a credit computed
against yesterday's ledger would be wrong today). Apply runs the engine as `sync` does (resolve,
plan afresh, guardrails) and writes only when the fresh plan's writes are exactly the previewed
ones (`plan_differences`); otherwise nothing is written and the caller is told what changed.
As with a saved Terraform plan, a preview is a promise: this, or nothing.

Plans live in memory, for `PLAN_TTL` (ASSUMED: 15 minutes; a preview older than that is not
what the systems hold), at most `MAX_PLANS` at once; a restart forgets them.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from balance_gateway.canonical import Quantity
from balance_gateway.gateway.plan import SyncPlan
from balance_gateway.gateway.results import RunReport

PLAN_TTL = timedelta(minutes=15)
MAX_PLANS = 64

_Key = tuple[str, str, str, str]  # (sync, target system, target employee, target type)
_Amount = tuple[str, Decimal] | None
_Write = tuple[str, _Amount, _Amount]  # (operation, target now, target after)


@dataclass(frozen=True)
class StoredPlan:
    """A plan preview: the report of `run_plan` for one sync, and its guardrail violations."""

    plan_id: str
    sync: str
    created_at: datetime
    expires_at: datetime
    report: RunReport
    violations: tuple[str, ...]

    @property
    def writes(self) -> int:
        return sum(1 for p in self.report.plans for r in p.rows if r.writes)

    @property
    def error(self) -> str | None:
        return next((p.error for p in self.report.plans if p.error), None)


def new_plan_id() -> str:
    return "plan-" + secrets.token_hex(8)


class PlanStore:
    """Stored plans by id; expired ones are dropped on access, the oldest beyond `limit`.
    Thread-safe: the dashboard's pages read it from the server's worker threads."""

    def __init__(
        self, now: Callable[[], datetime], ttl: timedelta = PLAN_TTL, limit: int = MAX_PLANS
    ) -> None:
        self._now = now
        self._ttl = ttl
        self._limit = limit
        self._plans: OrderedDict[str, StoredPlan] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, sync: str, report: RunReport, violations: Sequence[str]) -> StoredPlan:
        created = self._now()
        stored = StoredPlan(
            plan_id=new_plan_id(),
            sync=sync,
            created_at=created,
            expires_at=created + self._ttl,
            report=report,
            violations=tuple(violations),
        )
        with self._lock:
            self._drop_expired()
            self._plans[stored.plan_id] = stored
            while len(self._plans) > self._limit:
                self._plans.popitem(last=False)
        return stored

    def get(self, plan_id: str) -> StoredPlan | None:
        """The plan, or None when unknown, expired or already used."""
        with self._lock:
            self._drop_expired()
            return self._plans.get(plan_id)

    def discard(self, plan_id: str) -> None:
        with self._lock:
            self._plans.pop(plan_id, None)

    def _drop_expired(self) -> None:
        now = self._now()
        for plan_id in [k for k, p in self._plans.items() if p.expires_at <= now]:
            del self._plans[plan_id]


def _amount(q: Quantity | None) -> _Amount:
    return None if q is None else (q.unit.value, q.value)


def planned_writes(plans: Sequence[SyncPlan]) -> dict[_Key, _Write]:
    """Every write of `plans`: target balance -> (operation, target now, target after)."""
    found: dict[_Key, _Write] = {}
    for plan in plans:
        for row in plan.rows:
            if row.writes:
                employee, leave_type = row.target_employee or "", row.target_type or ""
                key = (row.sync, row.target_system, employee, leave_type)
                found[key] = (row.operation.value, _amount(row.before), _amount(row.after))
    return found


def _show(write: _Write | None) -> str:
    if write is None:
        return "no write"
    operation, before, after = write

    def text(amount: _Amount) -> str:
        return "-" if amount is None else f"{format(amount[1], 'f')} {amount[0]}"

    return f"{operation} {text(before)} -> {text(after)}"


def plan_differences(previewed: Sequence[SyncPlan], fresh: Sequence[SyncPlan]) -> list[str]:
    """What the fresh plan would write differently from the previewed one, one line per target
    balance (empty: the same writes). A sync that cannot be planned now is a difference too."""
    lines = [f"sync {p.sync}: {p.error}" for p in fresh if p.error]
    expected, now = planned_writes(previewed), planned_writes(fresh)
    for key in sorted(expected.keys() | now.keys()):
        if expected.get(key) != now.get(key):
            _sync, system, employee, leave_type = key
            lines.append(
                f"{system} {employee} {leave_type}: previewed {_show(expected.get(key))}, "
                f"now {_show(now.get(key))}"
            )
    return lines
