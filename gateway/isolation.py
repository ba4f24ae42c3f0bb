"""One bad row fails one row: a read that fails because of one employee fails only that one.

Adapters read in bulk (pages, id batches, one request per employee gathered together), so one
stale id in the mapping (a 404 for that employee, an id the SDK refuses, figures that
contradict each other) used to fail the read of everyone. `IsolatingReads` wraps an adapter's
`read_balances`: when a bulk read fails with an error that can belong to one employee, it reads
the employees one at a time (bounded) and records, per employee id, the error that read gave.
The plan then blocks those employees' rows, naming the mapping line, and plans everyone else.

An error that cannot be one employee's (401, 429, a transport failure, a 5xx) is the system's:
it propagates as before. So does a per-employee kind of error that every employee gets (or the
first `PROBE` of them, in mapping order, before any succeeds): then the system, not the rows,
is what is wrong, and one error for the sync says so better than a blocked row per person.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date

from balance_gateway.adapters._core.adapter import (
    BalanceAdapter,
    Confirmation,
    PlannedWrite,
    TargetUnit,
    WriteIntent,
    WriteOutcome,
)
from balance_gateway.adapters._core.errors import (
    APIStatusError,
    RequestValidationError,
    ResponseParseError,
    ResponseTooLarge,
)
from balance_gateway.canonical import Balance, CanonicalError

# Reads at once while isolating (each read may itself send a few requests).
CONCURRENCY = 8
# This many failures in a row, in mapping order, before any success: the system is at fault.
PROBE = 8


def per_employee(exc: BaseException) -> bool:
    """Whether `exc` can be the fault of one employee's data rather than of the system: a 4xx
    other than 401 (credentials), 407 and 429 (rate limit), an id the SDK refuses, a body the
    wire model rejects, or figures the canonical model rejects. A bulk answer over the size cap
    is the system's (`ResponseTooLarge`)."""
    if isinstance(exc, APIStatusError):
        return 400 <= exc.status_code < 500 and exc.status_code not in (401, 407, 429)
    if isinstance(exc, ResponseTooLarge):
        # The bulk answer is too big, not anyone's data: reading each employee alone instead
        # would send one request per person (100,000 at a large tenant).
        return False
    return isinstance(exc, RequestValidationError | ResponseParseError | CanonicalError)


class IsolatingReads:
    """`adapter`, with a `read_balances` that isolates per-employee failures (see the module
    docstring); `failures` maps each employee id whose own read failed to its error. Every
    other method is the adapter's own."""

    def __init__(self, adapter: BalanceAdapter) -> None:
        self.adapter = adapter
        self.system = adapter.system
        self.vendor = adapter.vendor
        self.capabilities = adapter.capabilities
        self.failures: dict[str, BaseException] = {}

    async def read_balances(
        self, employee_ids: Sequence[str], leave_type_ids: Sequence[str], as_of: date
    ) -> list[Balance]:
        ids = [i for i in employee_ids if i not in self.failures]
        try:
            return await self.adapter.read_balances(ids, leave_type_ids, as_of)
        except Exception as exc:
            if not per_employee(exc):
                raise
            first = exc
        if len(ids) == 1:
            self.failures[ids[0]] = first
            return []
        semaphore = asyncio.Semaphore(CONCURRENCY)

        async def one(employee_id: str) -> list[Balance] | BaseException:
            async with semaphore:
                try:
                    return await self.adapter.read_balances([employee_id], leave_type_ids, as_of)
                except Exception as exc:
                    if not per_employee(exc):
                        raise
                    return exc

        # The first few alone, in order: a system refusing everyone is told apart cheaply.
        probe = [await one(i) for i in ids[:PROBE]]
        if all(isinstance(r, BaseException) for r in probe) and (
            len(ids) <= PROBE or len(probe) == PROBE
        ):
            raise first
        rest = await asyncio.gather(*(one(i) for i in ids[PROBE:]))
        balances: list[Balance] = []
        for employee_id, result in zip(ids, [*probe, *rest], strict=True):
            if isinstance(result, BaseException):
                self.failures[employee_id] = result
            else:
                balances.extend(result)
        return balances

    def target_unit(self, leave_type_id: str) -> TargetUnit:
        return self.adapter.target_unit(leave_type_id)

    async def plan_write(self, intent: WriteIntent, current: Balance | None) -> PlannedWrite:
        return await self.adapter.plan_write(intent, current)

    async def apply_write(self, intent: WriteIntent) -> WriteOutcome:
        return await self.adapter.apply_write(intent)

    async def confirm_write(self, intent: WriteIntent) -> Confirmation:
        return await self.adapter.confirm_write(intent)

    async def aclose(self) -> None:
        await self.adapter.aclose()


def failure_note(role: str, system: str, exc: BaseException, where: str) -> str:
    """The note of a row blocked because reading this employee failed."""
    text = getattr(exc, "message", None) or str(exc)
    return (
        f"{role} system {system!r} could not be read for this employee ({where}): {text}; "
        "fix the id in the mapping, or the employee in that system"
    )
