"""The sync engine: resolve earlier unresolved writes, plan, check guardrails, apply exactly
once, verify by reading back, and journal every step.

    resolve -> for each wave: plan -> guardrails -> confirm -> apply (intent, write, outcome)
    -> verify

This module runs the phases in order and applies the writes; each other phase is a module of
its own: `gateway.resolution`, `gateway.plan`, `gateway.guardrails`, `gateway.recheck` (the
targets read again after the confirmation, a saved plan's rows checked), `gateway.verify`;
what a run produced and its exit code are `gateway.results`.

Exactly once: each write's intent (the full `WriteIntent`) is committed to the journal before
`apply_write` is called, and its outcome after (`gateway.journal_batch`: concurrent writes'
intents and outcomes share transactions; every outcome is committed before verification). A run
that starts with intents left without an outcome (a crash) or with an unknown outcome
(`WriteOutcomeUnknown`) first asks the target (`confirm_write`): applied -> recorded as
applied; not applied -> recorded, and the fresh plan writes it again. Resolution only reads: it
never writes to a vendor, so a guardrail stop or a declined confirmation leaves every target
untouched. When the target cannot tell (a write-only `set` target, Kenjo), the operation is
recorded `superseded` and the value last written there is forgotten: the fresh plan then sets
the *current* source value, through the guardrails and the confirmation, instead of re-sending
a stale one. On any other target an intent that stays unresolved blocks its balance until
someone looks. Unresolved operations on systems the configuration no longer has are listed in
the report (`unresolved_elsewhere`), never dropped.

Waves: a sync whose source system and type is another selected sync's target system and type
(`gateway.config.sync_dependencies`) is planned only after that sync was applied, so that it
carries the value just written: the selected syncs run in waves of independent syncs, each
wave planned, checked against the guardrails (counting the writes of earlier waves), confirmed
and applied before the next is planned. A cycle is refused when the configuration is loaded.
`plan` alone cannot apply anything, so it shows dependent syncs as they stand before the run.

A saved plan (`gateway.saved_plan`, `sync --plan`) is applied as reviewed: `sync(reviewed=...)`
plans nothing; each wave takes the saved rows of its syncs, blocks those whose target no longer
holds what the plan saw (read again; the journal's last written value for a write-only target)
or whose source another sync of the plan writes, and goes on as above: guardrails, confirm,
apply, verify.

One run at a time per state store: the caller holds the run lock (`gateway.store.run_lock_for`:
a file lock or a PostgreSQL advisory lock, taken by `gateway.runner.run_sync`) for the whole
of `sync`.

Concurrency: the engine runs up to `max_in_flight` operations at once; the adapters' requests
are further bounded by the per-system token bucket and the shared in-flight semaphore in
`gateway.budget`.

Distributed runs (`gateway.distributed`): `sync` is given an `Applier` that applies each wave's
writes elsewhere (work units on Celery workers); every other phase runs here as above. A worker
applies its unit with `apply_rows`, which is safe to call twice with the same rows.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Protocol

from balance_gateway.adapters._core.adapter import (
    BalanceAdapter,
    Confirmation,
    OperationKind,
    WriteBlocked,
    WriteIntent,
    WriteOutcome,
)
from balance_gateway.adapters._core.errors import (
    AuthenticationError,
    GatewayError,
    RateLimitError,
    ResponseParseError,
    ServerError,
    TransportError,
    WriteOutcomeUnknown,
)
from balance_gateway.adapters._core.secrets import scrub
from balance_gateway.canonical import CanonicalError
from balance_gateway.gateway.attempts import (
    attempt_operation_id,
    latest_attempt,
    recorded_attempts,
    result_from_record,
)
from balance_gateway.gateway.bounded import map_bounded
from balance_gateway.gateway.checks import Check, passed_first, start_check
from balance_gateway.gateway.config import Config, SyncConfig, sync_waves
from balance_gateway.gateway.errors import ConfigError, SetupError
from balance_gateway.gateway.guardrails import GuardrailTally, check_guardrails
from balance_gateway.gateway.heap import freeze_the_plan, with_frozen_heap
from balance_gateway.gateway.journal import (
    Journal,
    OperationRecord,
    OpStatus,
    Outcome,
    RunRecord,
    RunStatus,
    now_utc,
)
from balance_gateway.gateway.journal_batch import JournalBatch
from balance_gateway.gateway.lock import LockLost
from balance_gateway.gateway.plan import (
    WRITE_OPERATIONS,
    Key,
    PlanContext,
    PlanRow,
    SyncPlan,
    join_notes,
    plan_sync,
    utc_today,
)
from balance_gateway.gateway.recheck import (
    block_double_writes,
    check_reviewed,
    contested_targets,
    recheck,
)
from balance_gateway.gateway.resolution import (
    resolve_operation,
    resolve_unresolved,
    unresolved_elsewhere,
)
from balance_gateway.gateway.results import Resolution, RowResult, RunReport
from balance_gateway.gateway.scope import RunScope
from balance_gateway.gateway.verify import verify

# RowResult and RunReport live in `gateway.results`; re-exported here, where the demo and the
# stress tests import them from.
__all__ = ["Applier", "Engine", "ProgressSink", "RowResult", "RunReport", "new_run_id"]


class ProgressSink(Protocol):
    """Told how a run goes, e.g. to draw a progress bar: `step` as each system is read and
    each sync planned (a line such as "read hr for hr-to-time: 40 balances of 20 people"),
    then `start`, `advance` per write and `finish` around the apply phase, then `step` again
    as each target is read back."""

    def step(self, line: str) -> None: ...

    def start(self, total: int) -> None: ...

    def advance(self, description: str) -> None: ...

    def finish(self) -> None: ...


class Applier(Protocol):
    """Applies the rows of one wave's confirmed `plans` in place of `Engine.apply`, e.g. spread
    over workers (`gateway.distributed`), journalling each operation; returns one result per
    row, in the plans' row order."""

    async def __call__(
        self, engine: Engine, plans: Sequence[SyncPlan], progress: ProgressSink | None
    ) -> list[RowResult]: ...


def new_run_id(now: datetime | None = None) -> str:
    """A sortable, unique run id, e.g. `20250131T101500Z-3fa2c1`."""
    when = (now or now_utc()).astimezone(UTC)
    return f"{when:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def _status_of(outcome: WriteOutcome) -> OpStatus:
    if outcome.kind in WRITE_OPERATIONS:
        return OpStatus.APPLIED
    if outcome.kind is OperationKind.BLOCKED:
        return OpStatus.BLOCKED
    return OpStatus.SKIPPED


def _record_for(row: PlanRow, run_id: str, operation_id: str, status: OpStatus) -> OperationRecord:
    intent = row.intent
    after = row.after if row.after is not None else (None if intent is None else intent.remaining)
    unit = after.unit if after is not None else None
    before = row.before.value if row.before is not None and row.before.unit is unit else None
    return OperationRecord(
        operation_id=operation_id,
        run_id=run_id,
        sync=row.sync,
        source_system=row.source_system,
        system=row.target_system,
        employee=row.target_employee or "",
        leave_type=row.target_type or "",
        kind=row.operation,
        status=status,
        unit=unit,
        before=before,
        after=None if after is None else after.value,
        source_employee=row.source_employee,
        source_type=row.source_type,
        source_value=None if row.source_value is None else str(row.source_value),
        leave_kind=row.leave_kind,
        as_of=None if intent is None else intent.as_of,
        allow_below_threshold=False if intent is None else intent.allow_below_threshold,
        note=row.note,
    )


class Engine:
    """Runs the configured syncs against `adapters` (system name -> adapter), journalling to
    `journal` (None: plan only, nothing can be remembered)."""

    def __init__(
        self,
        config: Config,
        adapters: Mapping[str, BalanceAdapter],
        journal: Journal | None,
        *,
        today: date | None = None,
        run_id: str | None = None,
    ) -> None:
        if config.mapping is None:
            raise SetupError(
                "the engine needs the employee mapping (load_config(with_mapping=True))"
            )
        self.config = config
        self.mapping = config.mapping
        self.adapters = adapters
        self.journal = journal
        self.today = today or utc_today()
        self.run_id = run_id or new_run_id()
        self._sequence = itertools.count(1)
        self._max_in_flight = config.file.concurrency.max_in_flight
        self.scope = RunScope(self.run_id, adapters, journal, self._max_in_flight)
        # Only these systems can have two syncs write one balance (`block_double_writes`).
        self._contested = contested_targets(s.target for s in config.file.syncs)
        self._lock = _LockWatch(None)

    def new_operation_id(self) -> str:
        """`<run id>-<n>`: unique, and stable from intent to outcome to any later resume."""
        return f"{self.run_id}-{next(self._sequence):05d}"

    def _adapter(self, system: str) -> BalanceAdapter:
        return self.scope.adapter(system)

    # -- plan ---------------------------------------------------------------------------------

    async def plan(
        self,
        sync_names: Collection[str] | None = None,
        *,
        block_unresolved: bool = False,
        progress: ProgressSink | None = None,
        check: Check | None = None,
    ) -> list[SyncPlan]:
        """Plan the selected syncs (default: all), concurrently. Reads only.

        Earlier unresolved operations are noted on their rows, or block them when
        `block_unresolved` (a sync, after resolving what it could). `check` (of the
        configuration against the systems) runs while the syncs are planned; its error is
        raised instead of the plans (`gateway.checks.passed_first`).

        Every selected sync is planned against the systems as they are now: a sync fed by
        another selected sync (see the module docstring, "Waves") shows the values before that
        one is applied; `sync` plans it again after."""
        syncs = self._selected(sync_names)
        checking = start_check(check)
        return await passed_first(
            checking,
            self._plan_syncs(
                syncs, block_unresolved=block_unresolved, writers={}, progress=progress
            ),
        )

    @staticmethod
    def _of(plans: Sequence[SyncPlan], sync_names: Collection[str] | None) -> list[SyncPlan]:
        return [p for p in plans if sync_names is None or p.sync in sync_names]

    def _selected(self, sync_names: Collection[str] | None) -> list[SyncConfig]:
        return [s for s in self.config.file.syncs if sync_names is None or s.name in sync_names]

    async def _plan_syncs(
        self,
        syncs: Sequence[SyncConfig],
        *,
        block_unresolved: bool,
        writers: dict[Key, str],
        progress: ProgressSink | None = None,
    ) -> list[SyncPlan]:
        """Plan `syncs` concurrently; `writers` (target balance -> sync) carries over from
        earlier waves, so that two syncs writing one balance are caught across waves too."""
        self._check_writable(syncs)
        unresolved: dict[Key, OperationRecord] = {}
        if self.journal is not None:
            for op in self.journal.unresolved({s.target for s in syncs}):
                unresolved[(op.system, op.employee, op.leave_type)] = op
        context = PlanContext(
            mapping=self.mapping,
            default_schedule=self.config.schedule,
            run_id=self.run_id,
            new_operation_id=self.new_operation_id,
            today=self.today,
            journal=self.journal,
            unresolved=unresolved,
            block_unresolved=block_unresolved,
            max_concurrent=self._max_in_flight,
            progress=None if progress is None else progress.step,
        )
        plans = await asyncio.gather(
            *(
                plan_sync(sync, self._adapter(sync.source), self._adapter(sync.target), context)
                for sync in syncs
            )
        )
        return block_double_writes(
            [self._with_credential_hint(p) for p in plans], writers, self._contested
        )

    def credential_hint(self, system: str) -> str:
        """Where `system`'s credentials came from, for a 401: the environment variables (their
        names, never their values)."""
        configured = self.config.file.systems.get(system)
        if configured is None or not configured.credentials:
            return f"system {system!r} has no credentials configured"
        names = ", ".join(
            f"{variable} ({key})" for key, variable in sorted(configured.credentials.items())
        )
        return (
            f"system {system!r} refused its credentials, read from the environment variables "
            f"{names}: check that they hold valid credentials for {configured.base_url}"
        )

    def _with_credential_hint(self, plan: SyncPlan) -> SyncPlan:
        if plan.error is None or plan.refused_system is None:
            return plan
        return replace(plan, error=f"{plan.error}; {self.credential_hint(plan.refused_system)}")

    def _check_writable(self, syncs: Sequence[SyncConfig]) -> None:
        for sync in syncs:
            target = self._adapter(sync.target)
            if not target.capabilities.can_write:
                raise SetupError(
                    f"sync {sync.name!r}: target {sync.target!r} ({target.vendor}) cannot be "
                    "written; it can only be a source"
                )

    def unresolved_elsewhere(self) -> dict[str, int]:
        """Unresolved operations on systems the configuration no longer has: system -> count."""
        return unresolved_elsewhere(self.journal, self.config.file.systems)

    # -- resolve ------------------------------------------------------------------------------

    async def resolve(self) -> list[Resolution]:
        """Resolve every unresolved operation aimed at a configured system, before planning
        (`gateway.resolution`). Only reads the targets back: nothing is written to any vendor
        here. Never raises for a vendor error: the operation stays unresolved and the
        resolution says why."""
        return await resolve_unresolved(self.scope)

    # -- apply --------------------------------------------------------------------------------

    async def _write(self, intent: WriteIntent) -> tuple[OpStatus, str, WriteOutcome | None]:
        """Send one write; map every way it can end to a status and a note. Never raises a
        vendor error (cancellation and programming errors still propagate)."""
        adapter = self._adapter(intent.employee.system)
        try:
            outcome = await adapter.apply_write(intent)
        except WriteBlocked as exc:
            return OpStatus.BLOCKED, exc.reason, None
        except (WriteOutcomeUnknown, ResponseParseError) as exc:
            # A parse error is a 2xx answer: the target took the request, so it is no more
            # `failed` than a lost answer; both are settled by reading the target back.
            message = (
                exc.message
                if isinstance(exc, WriteOutcomeUnknown)
                else f"{intent.employee.system}: the write was answered 2xx but the answer "
                f"could not be read: {exc.message}"
            )
            try:
                confirmation = await adapter.confirm_write(intent)
            except GatewayError:
                confirmation = Confirmation.UNKNOWN
            if confirmation is Confirmation.APPLIED:
                return OpStatus.APPLIED, f"{message}; read back: applied", None
            if confirmation is Confirmation.NOT_APPLIED:
                return OpStatus.NOT_APPLIED, f"{message}; read back: not applied", None
            return OpStatus.UNKNOWN, message, None
        except GatewayError as exc:
            if adapter.capabilities.remembers_writes and isinstance(
                exc, ServerError | TransportError | RateLimitError
            ):
                # A target that cannot be read back may have taken it: a 5xx or a lost answer
                # after sending, or any attempt before the retried one that finally failed (a
                # dropped answer, then 429s). `failed` would leave the remembered value at the
                # earlier write, and a later plan would skip a balance that does not hold it.
                # Unknown makes the next run resolve it (the remembered value is forgotten).
                note = "the target may have applied it and cannot be read back"
                return OpStatus.UNKNOWN, f"{intent.employee.system}: {exc.message}; {note}", None
            # Named: "401" alone does not say whose credential was refused (`runs show`).
            note = f"{intent.employee.system}: {exc.message}"
            if isinstance(exc, AuthenticationError):
                note += f"; {self.credential_hint(intent.employee.system)}"
            return OpStatus.FAILED, note, None
        except (ValueError, KeyError, CanonicalError) as exc:
            return OpStatus.FAILED, scrub(f"{type(exc).__name__}: {exc}"), None
        return _status_of(outcome), outcome.note, outcome

    async def _apply_row(
        self, row: PlanRow, batch: JournalBatch, *, first_attempt: bool = True
    ) -> RowResult:
        operation_id = (
            row.intent.operation_id if row.intent is not None else self.new_operation_id()
        )
        if not row.writes or row.intent is None:
            status = {
                OperationKind.BLOCKED: OpStatus.BLOCKED,
            }.get(row.operation, OpStatus.SKIPPED)
            batch.record(_record_for(row, self.run_id, operation_id, status))
            return RowResult(row, operation_id, status, row.operation, row.after, note=row.note)
        # The intent is on disk before the write leaves: a crash from here on is resolvable.
        intent = _record_for(row, self.run_id, operation_id, OpStatus.INTENT)
        await batch.intent(intent)
        sent = (
            replace(row.intent, planned_before=row.before, first_attempt=True)
            if first_attempt
            else row.intent
        )
        status, note, outcome = await self._write(sent)
        if status is OpStatus.FAILED and row.mapping_line is not None:
            note = f"{note} (mapping {self.mapping.file}, line {row.mapping_line})"
        kind = outcome.kind if outcome is not None else row.operation
        after = outcome.after if outcome is not None and outcome.after is not None else row.after
        record_ids = outcome.record_ids if outcome is not None else ()
        # A skip reported by the target (the value was already there) is still what it holds.
        remember = status is OpStatus.APPLIED or (status is OpStatus.SKIPPED and after is not None)
        # A write-only target that may or may not hold the new value no longer holds a known
        # one: forget the value remembered, so that no plan skips a balance on its word.
        forget = (
            status is OpStatus.UNKNOWN
            and self._adapter(row.target_system).capabilities.remembers_writes
        )
        note = join_notes(row.note, note)
        stands = replace(
            intent,
            status=status,
            after=intent.after if after is None else after.value,
            note=note,
            record_ids=tuple(record_ids) or intent.record_ids,
            kind=kind,
        )
        batch.outcome(Outcome(stands, remember=remember and not forget, forget=forget))
        return RowResult(row, operation_id, status, kind, after, note=note)

    def _batch(self) -> JournalBatch:
        assert self.journal is not None
        return JournalBatch(self.journal)

    async def apply(
        self, plans: Sequence[SyncPlan], progress: ProgressSink | None = None
    ) -> list[RowResult]:
        """Journal and apply every row of `plans`, in their order, by `max_in_flight` tasks
        (`gateway.bounded`: at most that many writes at once, and no task per row); rows that
        write nothing are journalled as they are."""
        if progress is not None:
            progress.start(sum(1 for plan in plans for r in plan.rows if r.writes))

        async def one(row: PlanRow) -> RowResult:
            if row.writes:
                self._lock.check()
            result = await self._apply_row(row, batch)
            if progress is not None and row.writes:
                progress.advance(f"{row.target_system} {row.target_employee}")
            return result

        rows = (row for plan in plans for row in plan.rows)
        batch = self._batch()
        try:
            return await map_bounded(rows, one, self._max_in_flight)
        finally:
            batch.flush()  # every outcome on disk before verification and the run's end
            if progress is not None:
                progress.finish()

    async def apply_rows(self, rows: Sequence[PlanRow]) -> list[RowResult]:
        """Apply writes planned for this run (`run_id`) by another process: a work unit of a
        distributed run. Safe to call again with the same rows (a unit delivered twice): an
        operation the journal already has an outcome for is not written again; one left
        unresolved (its worker died mid-write) is first resolved by reading the target back,
        as a resumed run does (`resolve`), and written again under the next attempt's id
        (`attempt_operation_id`) only when the target shows it was not applied."""
        assert self.journal is not None
        planned = [row.intent.operation_id for row in rows if row.intent is not None]
        recorded = recorded_attempts(self.journal, self.run_id, planned)

        batch = self._batch()

        async def one(row: PlanRow) -> RowResult:
            return await self._apply_planned(row, recorded, batch)

        try:
            return await map_bounded(rows, one, self._max_in_flight)
        finally:
            batch.flush()

    def record_not_sent(self, row: PlanRow, note: str) -> RowResult:
        """Journal planned write `row` as failed, never sent (e.g. its work unit was refused by
        every worker, or failed before its intent was recorded); `note` says why."""
        assert self.journal is not None
        if row.intent is None:
            raise ValueError("record_not_sent records planned writes only")
        operation_id = row.intent.operation_id
        note = join_notes(row.note, note)
        record = replace(
            _record_for(row, self.run_id, operation_id, OpStatus.FAILED), note=scrub(note)
        )
        self.journal.record(record)
        return RowResult(row, operation_id, OpStatus.FAILED, row.operation, row.after, note=note)

    async def _apply_planned(
        self, row: PlanRow, recorded: Mapping[str, OperationRecord], batch: JournalBatch
    ) -> RowResult:
        if row.intent is None or not row.writes:
            raise ValueError(f"apply_rows applies planned writes only, not {row.operation}")
        attempt, last = latest_attempt(row.intent.operation_id, recorded)
        if last is None:
            return await self._apply_row(row, batch)
        if last.unresolved:
            resolution = await resolve_operation(self.scope, last)
            if resolution.status is OpStatus.NOT_APPLIED:
                again = attempt_operation_id(row.intent.operation_id, attempt + 1)
                # The plan's view predates the earlier attempt: the adapter reads afresh.
                return await self._apply_row(
                    replace(row, intent=replace(row.intent, operation_id=again)),
                    batch,
                    first_attempt=False,
                )
            last = replace(last, status=resolution.status, note=resolution.note)
        return result_from_record(row, last)

    # -- verify -------------------------------------------------------------------------------

    async def verify(
        self, results: list[RowResult], progress: ProgressSink | None = None
    ) -> list[RowResult]:
        """Read back every readable target that was written and mark each applied operation
        verified or not, replacing its result in `results` (`gateway.verify`; `progress` hears
        a step per target read back); operations on write-only targets stay `None`."""
        return await verify(self.scope, results, None if progress is None else progress.step)

    # -- the whole run ------------------------------------------------------------------------

    @with_frozen_heap  # the collector skips what exists at the start (`gateway.heap`)
    async def sync(
        self,
        sync_names: Collection[str] | None = None,
        *,
        dry_run: bool = False,
        confirm: Callable[[list[SyncPlan]], bool] | None = None,
        progress: ProgressSink | None = None,
        applier: Applier | None = None,
        reviewed: Sequence[SyncPlan] | None = None,
        origin: str = "",
        lock_check: Callable[[], None] | None = None,
        check: Check | None = None,
    ) -> RunReport:
        """Run the selected syncs: resolve, then per wave (see the module docstring): plan,
        check guardrails, confirm, apply, verify. `applier` applies each wave instead of
        `apply` (a distributed run; see the module docstring).

        With `reviewed` (a saved plan, `gateway.saved_plan`), nothing is planned: each wave
        applies the reviewed rows of its syncs, checked against the targets first (see
        `_check_reviewed`); the rest of the run is the same. `origin` (e.g. which saved plan)
        opens the run's journal message.

        `dry_run` stops after the guardrail check and records nothing (every sync planned as
        things stand, like `plan`). `confirm` is asked once per wave that has something to
        write, and may decline; an exception from it (Ctrl-C at a prompt) records the run as
        stopped (partial, if an earlier wave was applied) and propagates. A guardrail or a
        declined confirmation stops the run before that wave's writes; earlier waves stay
        applied (the run is then `partial`). Raises
        SetupError for a target that cannot be written; vendor errors end up in the report,
        never as exceptions. The caller holds the run lock (see the module docstring);
        `lock_check` raises `LockLost` once it is gone, and is called before each wave's writes
        and every `LOCK_CHECK_SECONDS` while writing: the run then stops, partial.

        `check` (of the configuration against the systems) runs while the first wave is
        planned, and must pass before anything is written: its error (a `ConfigError`) is
        raised, and the run, when recorded, ends `stopped` with that error as its message."""
        report = RunReport(run_id=None if dry_run else self.run_id, dry_run=dry_run)
        self._lock = _LockWatch(lock_check)
        report.unresolved_elsewhere = self.unresolved_elsewhere()
        if dry_run or self.journal is None:
            report.plans = (
                await self.plan(sync_names, progress=progress, check=check)
                if reviewed is None
                else await passed_first(
                    start_check(check),
                    self._check_reviewed(self._of(reviewed, sync_names), reviewed, {}),
                )
            )
            report.violations = check_guardrails(report.plans, self.config.file.guardrails)
            return report
        journal = self.journal
        selected = self._selected(sync_names)
        waves = sync_waves(selected)  # the config was checked for cycles when loaded
        self._check_writable(selected)  # before anything is recorded or any wave written
        checking: asyncio.Future[None] | None = None  # awaited with the first wave's plan
        journal.start_run(
            RunRecord(
                run_id=self.run_id,
                started_at=now_utc(),
                config_path=str(self.config.path),
                syncs=tuple(s.name for s in selected),
            )
        )
        finished = False

        def finish_stopped(why: str) -> None:
            nonlocal finished
            report.stopped = why
            lines = [why, *report.violations, *report.warnings]
            message = "\n".join([origin, *lines] if origin else lines)
            # Stopped before any write: `stopped`; after an earlier wave wrote: `partial`.
            status = RunStatus.PARTIAL if report.applied else RunStatus.STOPPED
            journal.finish_run(self.run_id, status, report.summary, message)
            finished = True

        writers: dict[Key, str] = {}
        # The writes of the waves so far, as confirmed: max_operations limits the whole run.
        tally = GuardrailTally(self.config.file.guardrails)
        try:
            checking = start_check(check)
            report.resolutions = await self.resolve()
            for number, wave in enumerate(waves, 1):
                planning = (
                    self._plan_syncs(
                        wave, block_unresolved=True, writers=writers, progress=progress
                    )
                    if reviewed is None
                    else self._check_reviewed(
                        self._of(reviewed, [s.name for s in wave]), reviewed, writers
                    )
                )
                plans = await passed_first(checking, planning)
                checking = None  # passed
                report.plans.extend(plans)
                freeze_the_plan()  # held to the end: not scanned again while writing
                checked = tally.copy()
                checked.add_plans(plans)
                report.violations = checked.violations()
                later = _later_wave(number, len(waves), wave) if report.applied else ""
                if report.violations:
                    finish_stopped(
                        f"a guardrail stopped the run before the writes of {later}"
                        if later
                        else "a guardrail stopped the run before any write"
                    )
                    break
                if confirm is not None and any(r.writes for p in plans for r in p.rows):
                    try:
                        confirmed = confirm(plans)
                    except BaseException:
                        nothing = (
                            f"nothing was written for {later}" if later else "nothing was written"
                        )
                        finish_stopped(f"interrupted at the confirmation; {nothing}")
                        raise
                    if not confirmed:
                        nothing = (
                            f"nothing was written for {later}" if later else "nothing was written"
                        )
                        finish_stopped(f"not confirmed; {nothing}")
                        break
                    # The prompt may have waited long: what was confirmed holds only while the
                    # targets still hold what the plan showed.
                    plans = await recheck(self.scope, plans, self.config.file.guardrails)
                    report.plans[-len(plans) :] = plans
                    checked = tally.copy()
                    checked.add_plans(plans)  # as rechecked: the writes that go on
                tally = checked
                try:
                    self._lock.check(now=True)
                except LockLost as lost:
                    finish_stopped(str(lost))  # before this wave's writes: stopped or partial
                    raise
                if applier is None:
                    results = await self.apply(plans, progress)
                else:
                    results = await applier(self, plans, progress)
                report.results.extend(await self.verify(results, progress))
                report.applied = True
        except BaseException as exc:
            if checking is not None:  # given up before the first plan: never left running
                checking.cancel()
                await asyncio.gather(checking, return_exceptions=True)
            if not finished:
                if isinstance(exc, ConfigError):
                    journal.finish_run(
                        self.run_id, RunStatus.STOPPED, {}, f"{exc}; nothing was written"
                    )
                elif isinstance(exc, KeyboardInterrupt | asyncio.CancelledError):
                    journal.finish_run(
                        self.run_id,
                        RunStatus.INTERRUPTED,
                        {},
                        "interrupted (Ctrl-C or SIGTERM); the writes in flight are resolved by "
                        "the next run",
                    )
                else:
                    why = str(exc) if isinstance(exc, LockLost) else "the run ended with an error"
                    journal.finish_run(self.run_id, RunStatus.PARTIAL, {}, why)
            raise
        report.plans = _in_config_order(report.plans, selected)
        if report.stopped:
            return report
        errors = [f"sync {p.sync}: {p.error}" for p in report.plans if p.error]
        status = RunStatus.SUCCEEDED if report.exit_code == 0 else RunStatus.PARTIAL
        lines = [*errors, *report.warnings]
        message = "\n".join([origin, *lines] if origin else lines)
        journal.finish_run(self.run_id, status, report.summary, message)
        return report

    async def _check_reviewed(
        self, plans: Sequence[SyncPlan], everything: Sequence[SyncPlan], writers: dict[Key, str]
    ) -> list[SyncPlan]:
        # A saved plan may hold syncs the configuration has since dropped: theirs count too.
        contested = self._contested | contested_targets(p.target for p in everything)
        return await check_reviewed(
            self.scope, plans, everything, writers, self.new_operation_id, contested
        )


# How often a run writing asks whether it still holds its run lock (a cheap query).
LOCK_CHECK_SECONDS = 5.0


class _LockWatch:
    """Asks `check` (the run lock's: raises `LockLost`) at most every `LOCK_CHECK_SECONDS`,
    or at once (`now`); once lost, every later call raises again, so that every task
    applying rows stops at its next write."""

    def __init__(self, check: Callable[[], None] | None) -> None:
        self._check = check
        self._last = float("-inf")
        self._lost: LockLost | None = None

    def check(self, *, now: bool = False) -> None:
        if self._lost is not None:
            raise self._lost
        if self._check is None or (not now and time.monotonic() - self._last < LOCK_CHECK_SECONDS):
            return
        try:
            self._check()
        except LockLost as exc:
            self._lost = exc
            raise
        self._last = time.monotonic()


def _later_wave(number: int, total: int, wave: Sequence[SyncConfig]) -> str:
    """Names a wave stopped after earlier waves were applied, for the stop message."""
    names = ", ".join(s.name for s in wave)
    return f"{names} (wave {number} of {total}; the waves before it were applied)"


def _in_config_order(plans: list[SyncPlan], selected: Sequence[SyncConfig]) -> list[SyncPlan]:
    order = {s.name: i for i, s in enumerate(selected)}
    return sorted(plans, key=lambda p: order.get(p.sync, len(order)))
