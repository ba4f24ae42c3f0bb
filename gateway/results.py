"""What a `plan` or `sync` run produced, and the exit-code policy read from it.

RowResult    what happened to one plan row (its journalled status, verified or not)
Resolution   what became of an operation an earlier run left unresolved
RunReport    the whole run: plans, results, resolutions, guardrail violations, stop reason;
             `exit_code` and `detailed_exit_code` are the CLI's
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from balance_gateway.adapters._core.adapter import OperationKind
from balance_gateway.canonical import Quantity
from balance_gateway.gateway.budget import Traffic
from balance_gateway.gateway.journal import OperationRecord, OpStatus
from balance_gateway.gateway.plan import PlanRow, SyncPlan

FAILED_STATUSES = frozenset(
    {OpStatus.BLOCKED, OpStatus.FAILED, OpStatus.UNKNOWN, OpStatus.NOT_APPLIED, OpStatus.INTENT}
)


@dataclass(frozen=True, slots=True)
class RowResult:
    """What happened to one plan row in a sync run."""

    row: PlanRow
    operation_id: str
    status: OpStatus
    kind: OperationKind
    after: Quantity | None = None
    verified: bool | None = None
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.status not in FAILED_STATUSES and self.verified is not False


@dataclass(frozen=True)
class Resolution:
    """How an operation left unresolved by an earlier run was resolved (or not) now."""

    operation: OperationRecord
    status: OpStatus
    note: str

    @property
    def resolved(self) -> bool:
        return self.status not in (OpStatus.INTENT, OpStatus.UNKNOWN)


@dataclass
class RunReport:
    """Everything a `plan` or `sync` run produced; `exit_code` is the CLI's."""

    run_id: str | None
    dry_run: bool
    plans: list[SyncPlan] = field(default_factory=list)
    results: list[RowResult] = field(default_factory=list)
    resolutions: list[Resolution] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    stopped: str | None = None
    applied: bool = False  # True once the apply phase ran (of at least one wave)
    # Operations still unresolved on systems the configuration no longer has: system -> count.
    # Nothing can resolve them from here; the report warns, the exit code is unchanged.
    unresolved_elsewhere: dict[str, int] = field(default_factory=dict)
    # Requests per system, 429s and retries (filled by `gateway.runner`; empty otherwise).
    traffic: dict[str, Traffic] = field(default_factory=dict)

    def __repr__(self) -> str:
        # Counts, not contents: whatever the run's size, the repr stays a line. `asyncio.run`
        # builds the repr of its main task's result as it returns (CPython 3.11 looks the
        # SIGINT handler, which holds that task, up in an enum, and the failed lookup formats
        # its repr), and the full repr of every plan row and result was the largest single
        # allocation of a large run: twice the memory the run held, for a string nobody reads.
        rows = sum(len(plan.rows) for plan in self.plans)
        return (
            f"RunReport(run_id={self.run_id!r}, dry_run={self.dry_run}, "
            f"plans={len(self.plans)} ({rows} rows), results={len(self.results)}, "
            f"resolutions={len(self.resolutions)}, violations={len(self.violations)}, "
            f"stopped={self.stopped!r}, applied={self.applied})"
        )

    @property
    def resolution_summary(self) -> dict[str, int]:
        """Counts of earlier unresolved operations by what this run resolved them to."""
        return dict(sorted(Counter(r.status.value for r in self.resolutions).items()))

    @property
    def summary(self) -> dict[str, int]:
        """Counts of results by status (a sync) or of plan rows by operation (a plan)."""
        if self.applied:
            counts = Counter(r.status.value for r in self.results)
            counts["verified"] = sum(1 for r in self.results if r.verified is True)
            counts["not_verified"] = sum(1 for r in self.results if r.verified is False)
        else:
            counts = Counter(row.operation.value for p in self.plans for row in p.rows)
        return dict(sorted(counts.items()))

    @property
    def exit_code(self) -> int:
        """0: everything applied (or nothing to do); 1: something failed, was blocked, not
        verified, left unresolved, or a guardrail/the user stopped the run. A plan exits 1
        only when a sync, or one employee's rows, could not be read or planned."""
        if self.stopped or self.violations:
            return 1
        if any(p.error for p in self.plans):
            return 1
        if any(not r.resolved for r in self.resolutions):
            return 1
        if self.applied:
            return 0 if all(r.ok for r in self.results) else 1
        if not self.dry_run:  # a plan: only unplannable syncs and rows fail it
            return 1 if any(row.failed for p in self.plans for row in p.rows) else 0
        return (
            1
            if any(row.operation is OperationKind.BLOCKED for p in self.plans for row in p.rows)
            else 0
        )

    @property
    def detailed_exit_code(self) -> int:
        """`plan --detailed-exitcode`, Terraform's convention: 1 when the plan exits 1 (a sync
        or a row could not be read or planned), else 2 when it has a write to apply, else 0
        (nothing to do; rows that are only skipped, blocked or unmapped write nothing)."""
        if self.exit_code != 0:
            return 1
        return 2 if any(row.writes for p in self.plans for row in p.rows) else 0

    @property
    def warnings(self) -> list[str]:
        """The lines the report (and the run's journal message) warns with."""
        return [unresolved_elsewhere_warning(s, n) for s, n in self.unresolved_elsewhere.items()]


def unresolved_elsewhere_warning(system: str, count: int) -> str:
    """The report's (and the run message's) line for operations left unresolved on a system
    the configuration no longer has."""
    return (
        f"warning: {count} operation(s) left unresolved on system {system!r}, which is no "
        "longer configured; nothing resolves them from here: check that system by hand "
        "(balance-gateway runs show RUN)"
    )
