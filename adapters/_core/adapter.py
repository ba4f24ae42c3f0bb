"""What a vendor adapter promises the sync engine.

An adapter translates between one vendor's wire models and canonical `Balance`s. It declares
what its dialect can do (`Capabilities`); the engine plans around that instead of guessing.

The write cycle, per employee and leave type:
1. `plan_write(intent, current)`: which operation the write would be (set, import, credit,
   reduce, skip, blocked) and why; never writes. `current` is the balance the engine's bulk
   `read_balances` gave for the pair (or the value last written, for a target that cannot be
   read): plan from it, and from what that bulk read listed, with no request of its own
   whenever they hold what the decision needs.
2. The engine journals the intent, then calls `apply_write(intent)`.
3. After a crash or `WriteOutcomeUnknown`, the engine calls `confirm_write(intent)` to learn
   from the target itself whether the write took effect, before anything is written again.
4. The engine verifies the applied writes with one bulk read per target and date, taken a page
   at a time (`balance_pages`) where the adapter offers `iter_balances` (`PagedReads`).

Bulk in, one write per change out: an absolute write (a set) is sent alone; a write that is not
safe to repeat (a ledger credit, a dated import) reads first only what its exactly-once
guarantee needs, and shares that read with the rows written at the same time where the API
reads many employees at once (`adapters._core.batching.Coalescer`).

Adapters are async (the engine runs many operations concurrently). Every quantity an adapter
receives is already in the target's unit (`target_unit`) and rounded to its step.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

import httpx

from balance_gateway.adapters._core.client import ClientOptions
from balance_gateway.adapters._core.retry import RetryPolicy
from balance_gateway.adapters._core.secrets import Secret
from balance_gateway.canonical import (
    Balance,
    EmployeeRef,
    LeaveTypeRef,
    Quantity,
    RoundingMode,
    Unit,
)


class WriteKind(StrEnum):
    """What a write means in a dialect."""

    NONE = "none"  # read-only: nothing writes a balance
    SET = "set"  # absolute remaining (Kenjo, Journyx)
    IMPORT = "import"  # absolute as of a date (Bezala)
    LEDGER = "ledger"  # a delta credited or taken back as transactions (Zeitstrom)


class OperationKind(StrEnum):
    """One planned operation, as shown in a plan and recorded in the journal."""

    SET = "set"
    IMPORT = "import"
    CREDIT = "credit"
    REDUCE = "reduce"
    SKIP = "skip"
    BLOCKED = "blocked"
    UNMAPPED = "unmapped"


@dataclass(frozen=True)
class Capabilities:
    can_read: bool
    can_write: bool
    write_kind: WriteKind
    # A target that cannot be read: the engine must remember what it last wrote.
    remembers_writes: bool = False
    # False when the vendor documents no list of its leave types (`list_leave_types` gives only
    # those in use, `complete=False`): checking a configured type against it proves nothing.
    lists_every_leave_type: bool = True


@dataclass(frozen=True)
class TargetUnit:
    """The unit a target stores for a leave type, and the rounding it demands (if any)."""

    unit: Unit
    step: Decimal | None = None
    mode: RoundingMode = RoundingMode.HALF_EVEN


@dataclass(frozen=True, slots=True)
class WriteIntent:
    """One balance the engine wants the target to hold. `operation_id` is stable across
    retries and resumes: adapters label what they create with it, so a resumed write can find
    its own earlier attempt."""

    operation_id: str
    run_id: str
    employee: EmployeeRef
    leave_type: LeaveTypeRef
    remaining: Quantity
    as_of: date
    source: str  # the source system's configured name, for descriptions and labels
    allow_below_threshold: bool = False
    # The target's record that held this balance when it was planned (the bulk read's
    # `provenance.record_id`), so that a write applied in another process (a distributed work
    # unit, whose adapter has read nothing) can address it without reading it again. Adapters
    # that need it say how they use it; None when the plan saw no record.
    target_record: str | None = None
    # What the plan saw the target hold (`PlanRow.before`, in the target's unit), given by the
    # engine to an operation's first attempt only: the engine sends each operation id once,
    # after its intent is on disk, so nothing of that operation can be on the target yet. An
    # adapter whose write depends on the value held (a ledger's delta) may use it instead of
    # reading again; a change made since the plan then shows in verification. None: read.
    planned_before: Quantity | None = None
    # True on the intent the engine gives an operation's first attempt, with `planned_before`
    # (which is then None only when the plan saw no balance, not "read"): nothing of this
    # operation can be on the target yet, and what the plan saw is all that was known. False:
    # a re-attempt, or a caller that is not the engine; read what the write depends on.
    first_attempt: bool = False


@dataclass(frozen=True)
class PlannedWrite:
    kind: OperationKind
    before: Quantity | None
    after: Quantity | None
    note: str = ""


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    """What `apply_write` did. `kind` may differ from the plan (e.g. skip when already done)."""

    kind: OperationKind
    after: Quantity | None
    note: str = ""
    record_ids: tuple[str, ...] = field(default_factory=tuple)


class Confirmation(StrEnum):
    APPLIED = "applied"
    NOT_APPLIED = "not_applied"
    UNKNOWN = "unknown"  # the target cannot tell (write-only dialects)


@runtime_checkable
class BalanceAdapter(Protocol):
    """The engine's view of one configured system."""

    system: str  # the configured system name, e.g. "kenjo-prod"
    vendor: str  # the dialect, e.g. "kenjo"
    capabilities: Capabilities

    def target_unit(self, leave_type_id: str) -> TargetUnit:
        """The unit (and rounding) this system stores for `leave_type_id`."""
        ...

    async def read_balances(
        self, employee_ids: Sequence[str], leave_type_ids: Sequence[str], as_of: date
    ) -> list[Balance]:
        """Current balances of the given employees and leave types (vendor ids); an empty
        `leave_type_ids` means every type. Balances that do not exist are simply absent.
        Raises `NotImplementedError` when `can_read` is false."""
        ...

    async def plan_write(self, intent: WriteIntent, current: Balance | None) -> PlannedWrite:
        """The operation `apply_write(intent)` would perform; writes nothing. `current` is
        what the bulk read showed for the pair (None: it showed none); a request is sent only
        for what that read cannot tell (see the module docstring)."""
        ...

    async def apply_write(self, intent: WriteIntent) -> WriteOutcome:
        """Make the target hold `intent.remaining`, reading first only what exactly once
        needs. Raises `WriteBlocked` when the dialect cannot, `WriteOutcomeUnknown` when the
        fate of a sent write is unknown."""
        ...

    async def confirm_write(self, intent: WriteIntent) -> Confirmation:
        """Whether the target shows `intent` applied (read back; never writes)."""
        ...

    async def aclose(self) -> None: ...


@runtime_checkable
class EmployeeDirectory(Protocol):
    """Optional adapter capability: every employee id the system knows, so that a plan can
    show the people a mapping leaves out (`unmapped`) instead of silently skipping them."""

    async def list_employee_ids(self) -> list[str]: ...


@runtime_checkable
class PagedReads(Protocol):
    """Optional adapter capability: the bulk read of `read_balances` handed over a page at a
    time, so that a reader keeping only what it needs of each page (verification compares and
    lets go) never holds the whole read as Balances. Same balances, same requests, same
    errors as `read_balances`; an error may come after some pages were handed over."""

    def iter_balances(
        self, employee_ids: Sequence[str], leave_type_ids: Sequence[str], as_of: date
    ) -> AsyncIterator[Sequence[Balance]]: ...


async def balance_pages(
    adapter: BalanceAdapter,
    employee_ids: Sequence[str],
    leave_type_ids: Sequence[str],
    as_of: date,
) -> AsyncIterator[Sequence[Balance]]:
    """`adapter`'s bulk read, a page at a time: its `iter_balances` when it offers one
    (`PagedReads`), else the whole `read_balances` as one page."""
    if isinstance(adapter, PagedReads):
        async for page in adapter.iter_balances(employee_ids, leave_type_ids, as_of):
            yield page
        return
    yield await adapter.read_balances(employee_ids, leave_type_ids, as_of)


class WriteBlocked(Exception):
    """The dialect cannot reach the intended value; nothing was written. `reason` says why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def provenance_note(intent: WriteIntent, limit: int = 1000) -> str:
    """A human-readable description of where a written value came from, within `limit` chars."""
    text = (
        f"balance-gateway: remaining {intent.remaining} from {intent.source} "
        f"as of {intent.as_of.isoformat()} (run {intent.run_id}, op {intent.operation_id})"
    )
    return text[:limit]


@dataclass(frozen=True)
class AdapterConfig:
    """Everything needed to build one system's adapter (`adapters.<vendor>.build_adapter`).

    `credentials` keys are the vendor's own (each adapter module lists them in
    `CREDENTIAL_KEYS`); `options` holds vendor-specific settings, documented by the adapter.
    """

    system: str
    base_url: str
    credentials: Mapping[str, Secret] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    transport: httpx.AsyncBaseTransport | None = None
    retry: RetryPolicy | None = None
    timeout: float = 30.0

    def credential(self, key: str) -> Secret:
        """The credential `key`; a `KeyError` that names the missing key, never a value."""
        try:
            return self.credentials[key]
        except KeyError:
            have = ", ".join(sorted(self.credentials)) or "none"
            raise KeyError(
                f"system {self.system!r} needs credential {key!r} (has: {have})"
            ) from None

    def client_options(self) -> ClientOptions:
        """The options of this system's API client (`AsyncClient(base_url, <credentials>,
        **config.client_options())`): its transport, retry policy and timeout."""
        return {"transport": self.transport, "retry": self.retry, "timeout": self.timeout}
