"""Zeitstrom <-> canonical balances: a ledger written as deltas, exactly once.

Reading: the net balance per employee and absence type (the aggregate with `balance=true`)
becomes a canonical `Balance` in days: `entitled` = credited (manual and rule transactions),
`used` = debited (absences), `remaining` = the net. The leave type id is the `missing_type`
(e.g. "holiday"). The aggregate counts every transaction whatever its date (ASSUMED: it takes no
date filter), so `as_of` is the date the balance is stamped with.

Writing (`WriteKind.LEDGER`): the target remaining balance is reached by a delta.
- Higher: one `manual` transaction crediting the difference, labelled
  `balance-gateway <operation_id>` (ASSUMED label format: our constant prefix, one space, the
  engine's operation id). Before creating, the adapter looks for that label: a retried or
  resumed operation finds its own earlier transaction and never credits twice.
- Lower: amounts are >= 0, so a balance can only be lowered by lowering (PUT) or deleting
  manual transactions this project created earlier (found by the label prefix), newest first.
  Nobody else's transaction is ever touched. When those are not enough, the write is
  `blocked` and nothing is written (`WriteBlocked` from `apply_write`).
- Nothing is trusted from the plan: `apply_write` reads the net again before acting.

Options (`AdapterConfig.options`):
- `step`: a rounding step for amounts in days (e.g. "0.5"); default none (exact days).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import partial

from balance_gateway.adapters._core.adapter import (
    AdapterConfig,
    Capabilities,
    Confirmation,
    OperationKind,
    PlannedWrite,
    TargetUnit,
    WriteBlocked,
    WriteIntent,
    WriteKind,
    WriteOutcome,
)
from balance_gateway.adapters._core.concurrency import gather_limited
from balance_gateway.adapters._core.errors import NotFoundError
from balance_gateway.adapters.zeitstrom.client import AsyncClient
from balance_gateway.adapters.zeitstrom.models import AbsenceTransaction, BalanceAggregate, Source
from balance_gateway.canonical import Balance, EmployeeRef, LeaveTypeRef, Provenance, Quantity, Unit

CREDENTIAL_KEYS: tuple[tuple[str, ...], ...] = (("token",),)
OPTION_KEYS: tuple[str, ...] = ("step",)

# ASSUMED label format for every transaction this project creates: prefix + operation id.
LABEL_PREFIX = "balance-gateway "
# Employees per aggregate request: keeps the pipe-joined query well under URL length limits.
_EMPLOYEE_CHUNK = 50


def label_for(operation_id: str) -> str:
    """The label of the transaction that operation `operation_id` creates."""
    return f"{LABEL_PREFIX}{operation_id}"


def is_own(tx: AbsenceTransaction) -> bool:
    """A manual transaction this project created (and so may lower or delete)."""
    return tx.source == Source.MANUAL.value and tx.label.startswith(LABEL_PREFIX)


def _days(value: Decimal) -> Quantity:
    return Quantity(value, Unit.DAYS)


def _fmt(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


class ZeitstromAdapter:
    """The `BalanceAdapter` for Zeitstrom over its `AsyncClient`."""

    vendor = "zeitstrom"
    capabilities = Capabilities(can_read=True, can_write=True, write_kind=WriteKind.LEDGER)

    def __init__(self, config: AdapterConfig, client: AsyncClient | None = None) -> None:
        self.system = config.system
        self._config = config
        step = config.options.get("step")
        self._step = Decimal(str(step)) if step is not None else None
        self._client = client or AsyncClient(
            config.base_url,
            token=config.credential("token"),
            transport=config.transport,
            retry=config.retry,
            timeout=config.timeout,
        )

    def target_unit(self, leave_type_id: str) -> TargetUnit:
        """Days for every absence type; rounded only when the `step` option is set."""
        return TargetUnit(Unit.DAYS, step=self._step)

    # -- reading --------------------------------------------------------------------------------

    async def _aggregate(self, employee_ids: Sequence[str]) -> list[BalanceAggregate]:
        chunks = [
            list(employee_ids[start : start + _EMPLOYEE_CHUNK])
            for start in range(0, len(employee_ids), _EMPLOYEE_CHUNK)
        ]
        # Independent reads: concurrently (bounded), rows kept in chunk order.
        results = await gather_limited(
            [partial(self._client.aggregate_balances, employee_ids=chunk) for chunk in chunks]
        )
        return [row for result in results for row in result.results]

    async def read_balances(
        self, employee_ids: Sequence[str], leave_type_ids: Sequence[str], as_of: date
    ) -> list[Balance]:
        """Net balances (days) of the given employees and absence types (`missing_type`s); an
        empty `leave_type_ids` means every type. Pairs without transactions are absent."""
        if not employee_ids:
            return []
        wanted_employees = set(employee_ids)
        wanted_types = set(leave_type_ids)
        fetched_at = datetime.now(UTC)
        balances = []
        for row in await self._aggregate(list(dict.fromkeys(employee_ids))):
            if row.employee_id not in wanted_employees:
                continue
            if wanted_types and row.missing_type not in wanted_types:
                continue
            balances.append(self._balance(row, as_of, fetched_at))
        return balances

    async def list_employee_ids(self) -> list[str]:
        """Every employee with an absence transaction (the aggregate, unfiltered), in order."""
        result = await self._client.aggregate_balances()
        return sorted({row.employee_id for row in result.results})

    def _balance(self, row: BalanceAggregate, as_of: date, fetched_at: datetime) -> Balance:
        return Balance.build(
            employee=EmployeeRef(self.system, row.employee_id),
            leave_type=LeaveTypeRef(self.system, row.missing_type),
            unit=Unit.DAYS,
            entitled=row.credited,
            used=row.debited,
            remaining=row.balance,
            as_of=as_of,
            provenance=Provenance(
                system=self.system,
                record_id=f"{row.employee_id}/{row.missing_type}",
                fetched_at=fetched_at,
            ),
        )

    async def _net(self, employee_id: str, missing_type: str) -> Decimal:
        """The current net balance in days; 0 when the pair has no transactions."""
        result = await self._client.aggregate_balances(employee_ids=[employee_id])
        for row in result.results:
            if row.employee_id == employee_id and row.missing_type == missing_type:
                return row.balance
        return Decimal(0)

    async def _manual(self, employee_id: str, missing_type: str) -> list[AbsenceTransaction]:
        """Every manual transaction of the pair, oldest first (by date, then as listed)."""
        found = [
            tx
            async for tx in self._client.iter_transactions(
                employee_ids=[employee_id], sources=[Source.MANUAL]
            )
            if tx.missing_type == missing_type and tx.employee_id == employee_id
        ]
        return sorted(found, key=lambda tx: tx.date)

    @staticmethod
    def _target(intent: WriteIntent) -> Decimal:
        if intent.remaining.unit is not Unit.DAYS:
            raise ValueError(
                f"Zeitstrom stores days; operation {intent.operation_id} asks for "
                f"{intent.remaining} (convert to target_unit() first)"
            )
        return intent.remaining.value

    # -- writing --------------------------------------------------------------------------------

    @staticmethod
    def _blocked_reason(need: Decimal, own: Decimal) -> str:
        return (
            f"would need to remove {_fmt(need)} days, but only {_fmt(own)} days of our own "
            "manual credits exist; other transactions are never touched"
        )

    async def plan_write(self, intent: WriteIntent, current: Balance | None) -> PlannedWrite:
        """credit (target above the net), skip (equal), reduce (below, and our own manual
        credits cover the difference) or blocked (below, and they do not). Writes nothing."""
        target = self._target(intent)
        employee, kind = intent.employee.id, intent.leave_type.id
        if current is not None and current.remaining is not None and current.unit is Unit.DAYS:
            net = current.remaining
        else:
            net = await self._net(employee, kind)
        delta = target - net
        before, after = _days(net), _days(target)
        if delta > 0:
            label = label_for(intent.operation_id)
            note = f"credit {_fmt(delta)} days as a manual transaction '{label}'"
            return PlannedWrite(OperationKind.CREDIT, before, after, note)
        if delta == 0:
            return PlannedWrite(OperationKind.SKIP, before, after, "already at the target")
        own = sum(
            (tx.amount for tx in await self._manual(employee, kind) if is_own(tx)), Decimal(0)
        )
        if own >= -delta:
            note = f"lower our own manual credits by {_fmt(-delta)} days (of {_fmt(own)})"
            return PlannedWrite(OperationKind.REDUCE, before, after, note)
        return PlannedWrite(OperationKind.BLOCKED, before, None, self._blocked_reason(-delta, own))

    async def apply_write(self, intent: WriteIntent) -> WriteOutcome:
        """Bring the net balance to `intent.remaining` (days).

        Looks for this operation's own transaction first (label) and reports `skip` if it
        exists; then reads the net afresh. Raises `WriteBlocked` (nothing written) when our own
        manual credits cannot cover a reduction, and `WriteOutcomeUnknown` when a create was
        sent without an answer: resolve that with `confirm_write`, never by creating again."""
        target = self._target(intent)
        employee, kind = intent.employee.id, intent.leave_type.id
        label = label_for(intent.operation_id)
        # Both reads are needed whatever the first one shows: send them together (one round
        # trip instead of two). A failed listing is raised first, as when they were in turn.
        net_read = asyncio.ensure_future(self._net(employee, kind))
        try:
            manual = await self._manual(employee, kind)
        except BaseException:
            net_read.cancel()
            await asyncio.gather(net_read, return_exceptions=True)
            raise
        net = await net_read
        mine = [tx for tx in manual if tx.label == label]
        if mine:
            return WriteOutcome(
                OperationKind.SKIP,
                _days(net),
                f"already applied: transaction {mine[0].id} is labelled '{label}'",
                tuple(tx.id for tx in mine),
            )
        delta = target - net
        if delta == 0:
            return WriteOutcome(OperationKind.SKIP, _days(net), "already at the target")
        if delta > 0:
            created = await self._client.create_transaction(
                employee_id=employee,
                missing_type=kind,
                date=intent.as_of,
                amount=delta,
                label=label,
            )
            return WriteOutcome(
                OperationKind.CREDIT,
                _days(target),
                f"credited {_fmt(delta)} days",
                (created.id,),
            )
        return await self._reduce(intent, [tx for tx in manual if is_own(tx)], -delta, target)

    async def _reduce(
        self, intent: WriteIntent, own: list[AbsenceTransaction], need: Decimal, target: Decimal
    ) -> WriteOutcome:
        available = sum((tx.amount for tx in own), Decimal(0))
        if available < need:
            raise WriteBlocked(self._blocked_reason(need, available))
        touched: list[str] = []
        left = need
        # Newest first: the latest credits are the ones a lower target most likely undoes.
        for tx in reversed(own):
            if left <= 0:
                break
            if tx.amount <= left:
                # Gone already is fine (e.g. a retried DELETE whose first answer was lost).
                with contextlib.suppress(NotFoundError):
                    await self._client.delete_transaction(tx.id)
                left -= tx.amount
            else:
                await self._client.update_transaction(
                    tx.id,
                    employee_id=tx.employee_id,
                    missing_type=tx.missing_type,
                    date=tx.date,
                    amount=tx.amount - left,
                    label=tx.label,
                )
                left = Decimal(0)
            touched.append(tx.id)
        return WriteOutcome(
            OperationKind.REDUCE,
            _days(target),
            f"lowered our own manual credits by {_fmt(need)} days",
            tuple(touched),
        )

    async def confirm_write(self, intent: WriteIntent) -> Confirmation:
        """APPLIED when this operation's labelled transaction exists (a credit) or the net
        balance equals the target (a reduce or skip); NOT_APPLIED otherwise. Never writes."""
        target = self._target(intent)
        employee, kind = intent.employee.id, intent.leave_type.id
        label = label_for(intent.operation_id)
        if any(tx.label == label for tx in await self._manual(employee, kind)):
            return Confirmation.APPLIED
        if await self._net(employee, kind) == target:
            return Confirmation.APPLIED
        return Confirmation.NOT_APPLIED

    async def aclose(self) -> None:
        await self._client.aclose()


def build_adapter(config: AdapterConfig) -> ZeitstromAdapter:
    """The Zeitstrom adapter for `config` (credential `token`; option `step`)."""
    return ZeitstromAdapter(config)
