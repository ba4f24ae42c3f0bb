"""What the service does, apart from HTTP: the engine's calls, the unified balance read, plans
and their application, scheduled runs, and reads of the journal. The API and the dashboard are
thin layers over `GatewayService`.

One run at a time: every run this process makes (scheduled, or an operator's apply) first takes
the service's own lock, then, inside `run_sync`, the state store's run lock (`gateway.lock`),
which also keeps out a `balance-gateway sync` started in another shell. An apply while a run is
going on is refused at once (409); a scheduled run waits its turn, and when another process
holds the state store it tries again every `lock_retry` seconds for up to `lock_wait`.

Reads (balances, drift, plans, the journal) take no lock: the state store is SQLite in WAL mode.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import httpx
import structlog

from balance_gateway.adapters._core.adapter import BalanceAdapter, Capabilities
from balance_gateway.adapters._core.errors import (
    GatewayError,
    NotFoundError,
    RequestValidationError,
    ValidationError,
)
from balance_gateway.adapters._core.retry import RetryPolicy
from balance_gateway.adapters._core.secrets import scrub
from balance_gateway.canonical import (
    Balance,
    CanonicalError,
    EmployeeRef,
    LeaveKind,
    LeaveTypeRef,
)
from balance_gateway.gateway.config import Config
from balance_gateway.gateway.errors import ConfigError, SetupError
from balance_gateway.gateway.guardrails import check_guardrails
from balance_gateway.gateway.journal import (
    OperationRecord,
    RunRecord,
    RunStatus,
)
from balance_gateway.gateway.lock import RunLocked
from balance_gateway.gateway.mapping import Person
from balance_gateway.gateway.plan import SyncPlan, current_from_last_written
from balance_gateway.gateway.results import RunReport
from balance_gateway.gateway.runner import run_plan, run_sync
from balance_gateway.gateway.service.metrics import Metrics
from balance_gateway.gateway.service.plans import (
    PLAN_TTL,
    PlanStore,
    StoredPlan,
    plan_differences,
)
from balance_gateway.gateway.service.scheduler import Clock, Scheduler, SystemClock
from balance_gateway.gateway.service.settings import ServiceSettings
from balance_gateway.gateway.store import open_state_store, store_exists
from balance_gateway.gateway.store.sql import SqlJournal
from balance_gateway.gateway.systems import open_systems, systems_of

logger = structlog.get_logger("balance_gateway.service")


class ServiceError(Exception):
    """A request the service cannot serve; `status_code` is the HTTP status it answers with.
    `details` are further lines (e.g. what changed since a plan)."""

    status_code = 400

    def __init__(self, message: str, details: Sequence[str] = ()) -> None:
        self.message = scrub(message)
        self.details = [scrub(d) for d in details]
        super().__init__(self.message)


class BadRequest(ServiceError):
    status_code = 400


class NotFound(ServiceError):
    status_code = 404


class Conflict(ServiceError):
    status_code = 409


class UpstreamError(ServiceError):
    """A configured system failed to answer (502: the gateway's upstream)."""

    status_code = 502


class Unavailable(ServiceError):
    """The service's own set-up cannot do this (503)."""

    status_code = 503


def person_id(person: Person) -> str:
    """A person's id in the mapping (ASSUMED): `SYSTEM:ID` of the first column of the mapping
    CSV in which they have an id, e.g. `companyflow:8f3e...`. Stable while that cell is, and any
    other `SYSTEM:ID` of theirs finds the same person."""
    system, employee = next(iter(person.ids.items()))
    return f"{system}:{employee}"


@dataclass(frozen=True)
class ReadBalance:
    """One balance as read from a system, with the person it belongs to in the mapping.
    `live` is False for a write-only system: the value is the one balance-gateway last wrote."""

    system: str
    vendor: str
    person_id: str | None
    balance: Balance
    live: bool = True
    kind: LeaveKind | None = None  # the configured `kind` of its leave type, if any


@dataclass(frozen=True)
class BalanceLookup:
    as_of: date
    person: Person | None
    balances: list[ReadBalance]
    unreadable: list[tuple[str, str]]  # (system, why)


@dataclass(frozen=True)
class SystemInfo:
    name: str
    vendor: str
    base_url: str
    capabilities: Capabilities
    requests_per_second: float | None
    source_of: list[str]
    target_of: list[str]


@dataclass(frozen=True)
class Attempt:
    """The latest run this process made or tried for a sync (kept in memory)."""

    at: datetime
    trigger: str  # schedule | api
    outcome: str  # succeeded | partial | stopped | error | locked
    run_id: str | None
    message: str = ""


@dataclass(frozen=True)
class RunningNow:
    sync: str
    trigger: str
    since: datetime


@dataclass(frozen=True)
class ApplyResult:
    """An applied plan: the run's report, and its journal status."""

    plan: StoredPlan
    report: RunReport
    outcome: str


@dataclass
class _Matcher:
    """The `confirm` of an apply: yes only when the fresh plan writes what was previewed."""

    previewed: Sequence[SyncPlan]
    differences: list[str] = field(default_factory=list)
    asked: bool = False

    def __call__(self, fresh: list[SyncPlan]) -> bool:
        self.asked = True
        self.differences = plan_differences(self.previewed, fresh)
        return not self.differences


def outcome_of(report: RunReport) -> str:
    """The journal status the engine gave a finished run (see `Engine.sync`)."""
    if report.stopped:
        return (RunStatus.PARTIAL if report.applied else RunStatus.STOPPED).value
    return (RunStatus.SUCCEEDED if report.exit_code == 0 else RunStatus.PARTIAL).value


class GatewayService:
    """The service over one configuration. `inner_transport(system)` replaces the network under
    every adapter (tests); `clock` gives the time (and the scheduler's sleeps)."""

    def __init__(
        self,
        config: Config,
        settings: ServiceSettings,
        *,
        clock: Clock | None = None,
        metrics: Metrics | None = None,
        inner_transport: Callable[[str], httpx.AsyncBaseTransport] | None = None,
        retry: RetryPolicy | None = None,
        lock_retry: timedelta = timedelta(seconds=30),
        lock_wait: timedelta = timedelta(minutes=10),
    ) -> None:
        if config.mapping is None:
            raise SetupError("the service needs the employee mapping (load_config(...))")
        self.config = config
        self.mapping = config.mapping
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.metrics = metrics or Metrics()
        self.plans = PlanStore(self.clock.now)
        self.scheduler = Scheduler(
            settings.schedules, self.run_scheduled, clock=self.clock, order=settings.run_order
        )
        self.attempts: dict[str, Attempt] = {}
        self.running: RunningNow | None = None
        self._inner = inner_transport
        self._retry = retry
        self._lock_retry = lock_retry
        self._lock_wait = lock_wait
        self._lock = asyncio.Lock()
        self.metrics.watch(
            runs=self.runs,
            next_runs=self.scheduler.next_runs,
            in_progress=lambda: self.running is not None,
            syncs=[s.name for s in config.file.syncs],
        )

    # -- the journal --------------------------------------------------------------------------

    @contextmanager
    def _journal(self) -> Iterator[SqlJournal | None]:
        """The state store, or None before anything was synced (never creates a file)."""
        if not store_exists(self.config):
            yield None
            return
        journal = open_state_store(self.config)
        try:
            yield journal
        finally:
            journal.close()

    def runs(self, limit: int | None = None) -> list[RunRecord]:
        """Runs in the journal, newest first."""
        with self._journal() as journal:
            return [] if journal is None else journal.runs(limit)

    def run(self, run_id: str) -> tuple[RunRecord, list[OperationRecord]]:
        """A run and its operations; NotFound when the journal has no such run."""
        with self._journal() as journal:
            found = None if journal is None else journal.run(run_id)
            if journal is None or found is None:
                raise NotFound(f"no run {run_id!r} in the journal {self.config.state}")
            return found, journal.operations(run_id)

    def unresolved(self) -> list[OperationRecord]:
        with self._journal() as journal:
            return [] if journal is None else journal.unresolved()

    def last_runs(self) -> dict[str, RunRecord]:
        """Sync name -> its latest run in the journal."""
        latest: dict[str, RunRecord] = {}
        for run in self.runs():
            for name in run.syncs:
                latest.setdefault(name, run)
        return latest

    # -- systems and balances -----------------------------------------------------------------

    def _sync_name(self, name: str) -> str:
        try:
            return self.config.sync(name).name
        except ConfigError:
            names = ", ".join(s.name for s in self.config.file.syncs)
            raise NotFound(f"no sync is called {name!r}; configured: {names}") from None

    def _system_name(self, name: str) -> str:
        if name not in self.config.file.systems:
            known = ", ".join(sorted(self.config.file.systems))
            raise NotFound(f"no system is called {name!r}; configured: {known}")
        return name

    def _transports(self, systems: Sequence[str]) -> dict[str, httpx.AsyncBaseTransport]:
        return self.metrics.transports(systems, self._inner)

    async def systems(self) -> list[SystemInfo]:
        """Every configured system: vendor, URL, what its dialect can do, the syncs using it.
        Builds the adapters to learn their capabilities; sends no request."""
        names = sorted(self.config.file.systems)
        found = []
        async with open_systems(self.config, names, transports=self._transports(names)) as built:
            for name in names:
                system = self.config.file.systems[name]
                found.append(
                    SystemInfo(
                        name=name,
                        vendor=system.vendor,
                        base_url=system.base_url,
                        capabilities=built[name].capabilities,
                        requests_per_second=system.requests_per_second,
                        source_of=[s.name for s in self.config.file.syncs if s.source == name],
                        target_of=[s.name for s in self.config.file.syncs if s.target == name],
                    )
                )
        return found

    def find_person(self, employee: str, system: str | None) -> tuple[str, str, Person | None]:
        """(system, employee id, mapped person) for the `employee` of a balance query:
        `SYSTEM:ID`, or a plain id in `system`. BadRequest when neither says the system."""
        head, sep, tail = employee.partition(":")
        if sep and head in self.config.file.systems and tail:
            if system is not None and system != head:
                # The person is looked up by one system's id and read in another.
                person = self.mapping.find(head, tail)
                if person is None:
                    raise NotFound(f"{employee} is not in the employee mapping")
                return head, tail, person
            return head, tail, self.mapping.find(head, tail)
        if system is None:
            systems = ", ".join(sorted(self.config.file.systems))
            raise BadRequest(
                f"employee {employee!r} does not say which system the id is from: write it as "
                f"SYSTEM:ID (systems: {systems}), or pass system="
            )
        return system, employee, self.mapping.find(system, employee)

    def _types_of(self, system: str) -> list[str]:
        """The leave types the configuration uses in `system` (as source or target)."""
        types: list[str] = []
        for sync in self.config.file.syncs:
            for pair in sync.types:
                for role, type_id in ((sync.source, pair.source), (sync.target, pair.target)):
                    if role == system and type_id not in types:
                        types.append(type_id)
        return types

    def _kinds_of(self, system: str) -> dict[str, LeaveKind]:
        """Leave type id -> the `kind` the configuration gives it in `system`."""
        kinds: dict[str, LeaveKind] = {}
        for sync in self.config.file.syncs:
            for pair in sync.types:
                if pair.kind is None:
                    continue
                if sync.source == system:
                    kinds.setdefault(pair.source, pair.kind)
                if sync.target == system:
                    kinds.setdefault(pair.target, pair.kind)
        return kinds

    def _remembered(
        self, adapter: BalanceAdapter, ids: Sequence[str], types: Sequence[str], as_of: date
    ) -> list[Balance]:
        """What balance-gateway last wrote to a system it cannot read (its best knowledge)."""
        found = []
        with self._journal() as journal:
            if journal is None:
                return []
            for employee in ids:
                person = self.mapping.find(adapter.system, employee)
                schedule = (
                    self.config.schedule
                    if person is None
                    else self.mapping.schedule(person, self.config.schedule)
                )
                for leave_type in types:
                    last = journal.last_written(adapter.system, employee, leave_type)
                    balance = current_from_last_written(
                        last,
                        EmployeeRef(adapter.system, employee),
                        LeaveTypeRef(adapter.system, leave_type),
                        adapter.target_unit(leave_type),
                        schedule,
                        as_of,
                    )
                    if balance is not None:
                        found.append(balance)
        return found

    async def balances(
        self,
        *,
        system: str | None = None,
        employee: str | None = None,
        leave_type: str | None = None,
        as_of: date | None = None,
    ) -> BalanceLookup:
        """Balances read live, in the canonical model, with each one's person id.

        `employee` (`SYSTEM:ID`, or an id in `system`) picks one person: every configured
        system they have an id in is read (only `system`, when given). Without `employee`,
        every mapped person of `system` is read. `leave_type` keeps one vendor leave type.
        A system that fails to answer is listed in `unreadable` (when it is the only one asked
        for: UpstreamError, or NotFound/BadRequest for an id it refuses)."""
        if system is not None:
            self._system_name(system)
        when = as_of or self.clock.now().date()
        person: Person | None = None
        targets: list[tuple[str, list[str]]]  # (system, employee ids)
        if employee is not None:
            id_system, employee_id, person = self.find_person(employee, system)
            if person is None:
                targets = [(id_system, [employee_id])]
            else:
                wanted = [system] if system is not None else list(person.ids)
                targets = [(s, [person.ids[s]]) for s in wanted if s in person.ids]
                if not targets:
                    raise NotFound(f"{employee} has no id in system {system!r} in the mapping")
        elif system is not None:
            ids = [p.ids[system] for p in self.mapping if system in p.ids]
            targets = [(system, ids)]
        else:
            raise BadRequest("give employee= (SYSTEM:ID) or system= (every mapped person)")
        names = sorted({s for s, _ in targets})
        single = len(names) == 1 and (system is not None or person is None)
        read: list[ReadBalance] = []
        unreadable: list[tuple[str, str]] = []
        async with open_systems(self.config, names, transports=self._transports(names)) as built:
            results = await asyncio.gather(
                *(self._read(built[s], ids, leave_type, when) for s, ids in targets),
                return_exceptions=True,
            )
        for (name, _ids), result in zip(targets, results, strict=True):
            if isinstance(result, ServiceError):
                if single:
                    raise result
                unreadable.append((name, result.message))
            elif isinstance(result, BaseException):
                raise result
            else:
                balances, live, note = result
                if note:
                    unreadable.append((name, note))
                vendor = self.config.file.systems[name].vendor
                kinds = self._kinds_of(name)
                for balance in balances:
                    found = self.mapping.find(name, balance.employee.id)
                    read.append(
                        ReadBalance(
                            system=name,
                            vendor=vendor,
                            person_id=None if found is None else person_id(found),
                            balance=balance,
                            live=live,
                            kind=kinds.get(balance.leave_type.id),
                        )
                    )
        if employee is not None and person is None and not read:
            raise NotFound(
                f"{employee} is not in the employee mapping, and {names[0]} shows no balance for it"
            )
        return BalanceLookup(as_of=when, person=person, balances=read, unreadable=unreadable)

    async def _read(
        self, adapter: BalanceAdapter, ids: Sequence[str], leave_type: str | None, as_of: date
    ) -> tuple[list[Balance], bool, str]:
        """(balances, live, note) of one system; ServiceError when it cannot answer."""
        types = [leave_type] if leave_type is not None else []
        if not adapter.capabilities.can_read:
            remembered = self._remembered(
                adapter, ids, types or self._types_of(adapter.system), as_of
            )
            note = (
                f"{adapter.system} ({adapter.vendor}) cannot be read back; shown: what "
                "balance-gateway last wrote there"
            )
            return remembered, False, note
        try:
            return await adapter.read_balances(list(ids), types, as_of), True, ""
        except NotFoundError as exc:
            raise NotFound(f"{adapter.system}: {exc.message}") from None
        except (RequestValidationError, ValidationError) as exc:
            raise BadRequest(f"{adapter.system}: {exc.message}") from None
        except GatewayError as exc:
            raise UpstreamError(f"{adapter.system} could not be read: {exc.message}") from None
        except (ValueError, CanonicalError) as exc:
            raise BadRequest(f"{adapter.system}: {exc}") from None

    # -- drift, plan, apply -------------------------------------------------------------------

    async def _plan(self, sync: str | None) -> RunReport:
        selected = [self._sync_name(sync)] if sync is not None else None
        systems = systems_of(self.config, selected)
        try:
            return await run_plan(
                self.config, sync, transports=self._transports(systems), retry=self._retry
            )
        except ConfigError as exc:
            raise NotFound(str(exc)) from None
        except SetupError as exc:
            raise Unavailable(str(exc)) from None

    async def drift(self, sync: str | None = None) -> RunReport:
        """A plan of `sync` (default: every sync) that writes nothing: source and target side
        by side, exactly what `balance-gateway plan --json` shows on the same state."""
        return await self._plan(sync)

    async def plan(self, sync: str) -> StoredPlan:
        """Plan `sync` (writes nothing) and keep the plan, to be applied by its id."""
        report = await self._plan(sync)
        violations = check_guardrails(report.plans, self.config.file.guardrails)
        return self.plans.add(sync, report, violations)

    def stored_plan(self, plan_id: str) -> StoredPlan:
        stored = self.plans.get(plan_id)
        if stored is None:
            minutes = int(PLAN_TTL.total_seconds() // 60)
            raise NotFound(
                f"no plan {plan_id!r}: plans are kept {minutes} minutes and applied once; "
                "plan again"
            )
        return stored

    def _busy(self) -> Conflict:
        running = self.running
        what = (
            f"a {running.trigger} run of {running.sync} (since {running.since:%H:%M:%S} UTC)"
            if running is not None
            else "another run"
        )
        return Conflict(f"{what} is using the state store; try again when it has finished")

    async def apply(self, sync: str, plan_id: str) -> ApplyResult:
        """Apply the plan `plan_id` of `sync`, within the guardrails.

        The engine resolves, plans afresh and writes only if the fresh plan's writes are the
        previewed ones (see `gateway.service.plans`). Raises NotFound (no such plan or sync),
        BadRequest (the plan is another sync's), Conflict (the plan cannot be applied: it
        failed, breaks a guardrail, the systems changed since, or a run holds the state store;
        the message says which and whether anything was written)."""
        name = self._sync_name(sync)
        stored = self.stored_plan(plan_id)
        if stored.sync != name:
            raise BadRequest(f"plan {plan_id} is a plan of sync {stored.sync}, not of {name}")
        if stored.error is not None:
            self.plans.discard(plan_id)
            raise Conflict(f"plan {plan_id} could not be made ({stored.error}); nothing to apply")
        if stored.violations:
            raise Conflict(
                f"a guardrail stops plan {plan_id}; nothing was written", stored.violations
            )
        if self._lock.locked():
            raise self._busy()
        async with self._lock:
            self.running = RunningNow(name, "api", self.clock.now())
            try:
                report, matcher = await self._apply_locked(name, stored)
            finally:
                self.running = None
        self.plans.discard(plan_id)
        outcome = outcome_of(report)
        self.metrics.count_report(name, "api", report, outcome)
        self.attempts[name] = Attempt(self.clock.now(), "api", outcome, report.run_id)
        differences = matcher.differences
        if not matcher.asked and any(r.writes for p in stored.report.plans for r in p.rows):
            differences = plan_differences(stored.report.plans, report.plans)
        if differences:
            raise Conflict(
                f"the systems changed since plan {plan_id} was made, so nothing was written "
                f"(run {report.run_id}); plan again",
                differences,
            )
        if report.violations:
            raise Conflict(
                f"a guardrail stopped run {report.run_id}; nothing was written", report.violations
            )
        return ApplyResult(plan=stored, report=report, outcome=outcome)

    async def _apply_locked(self, name: str, stored: StoredPlan) -> tuple[RunReport, _Matcher]:
        matcher = _Matcher(stored.report.plans)
        systems = systems_of(self.config, [name])
        try:
            report = await run_sync(
                self.config,
                name,
                confirm=matcher,
                transports=self._transports(systems),
                retry=self._retry,
            )
        except RunLocked as exc:
            raise Conflict(str(exc)) from None
        except SetupError as exc:
            self.metrics.count_run(name, "api", "error")
            raise Unavailable(str(exc)) from None
        return report, matcher

    # -- scheduled runs -----------------------------------------------------------------------

    async def run_scheduled(self, sync: str) -> None:
        """Run `sync` as its schedule says; never raises (the schedule goes on): every outcome
        is journalled by the engine, counted in the metrics and kept in `attempts`."""
        async with self._lock:
            started = self.clock.now()
            self.running = RunningNow(sync, "schedule", started)
            try:
                await self._run_scheduled_locked(sync, started)
            finally:
                self.running = None

    async def _run_scheduled_locked(self, sync: str, started: datetime) -> None:
        log = logger.bind(sync=sync, trigger="schedule")
        deadline = started + self._lock_wait
        systems = systems_of(self.config, [sync])
        while True:
            try:
                report = await run_sync(
                    self.config, sync, transports=self._transports(systems), retry=self._retry
                )
            except RunLocked as exc:
                if self.clock.now() + self._lock_retry > deadline:
                    log.warning("service.run.locked", message=str(exc))
                    self._attempted(sync, "locked", None, str(exc))
                    return
                await self.clock.sleep(self._lock_retry.total_seconds())
                continue
            except Exception as exc:  # a run that cannot start or crashes: the schedule goes on
                log.exception("service.run.error")
                self._attempted(sync, "error", None, scrub(f"{type(exc).__name__}: {exc}"))
                return
            outcome = outcome_of(report)
            self.metrics.count_report(sync, "schedule", report, outcome)
            self.attempts[sync] = Attempt(self.clock.now(), "schedule", outcome, report.run_id)
            # A run that did not fully succeed is worth a line where operators look (stderr).
            level = log.info if outcome == RunStatus.SUCCEEDED.value else log.warning
            level("service.run.finished", run_id=report.run_id, outcome=outcome)
            return

    def _attempted(self, sync: str, outcome: str, run_id: str | None, message: str) -> None:
        self.metrics.count_run(sync, "schedule", outcome)
        self.attempts[sync] = Attempt(self.clock.now(), "schedule", outcome, run_id, message)
