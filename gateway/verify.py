"""Verification: after the writes, read every readable target back and mark each applied
operation verified (the target holds the intended value) or not, in the journal too.
Write-only targets cannot be read back: their operations stay unverified (`None`)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import date

from balance_gateway.adapters._core.adapter import (
    BalanceAdapter,
    Confirmation,
    WriteIntent,
    balance_pages,
)
from balance_gateway.adapters._core.errors import GatewayError
from balance_gateway.canonical import CanonicalError, Quantity, convert
from balance_gateway.gateway.journal import OpStatus, Verification
from balance_gateway.gateway.plan import PlanRow, join_notes
from balance_gateway.gateway.results import RowResult
from balance_gateway.gateway.scope import RunScope

# Verifications journalled per transaction: a read back of 300,000 writes is not held whole.
VERIFY_CHUNK = 1000

_UNSEEN, _HELD, _DIFFERS = 0, 1, 2  # what the read back showed of a row, one byte each


async def verify(
    scope: RunScope, results: list[RowResult], tell: Callable[[str], None] | None = None
) -> list[RowResult]:
    """Read back every readable target that was written (one bulk read per target system and
    date, compared a page at a time) and mark each applied operation verified or not: each
    such result in `results` is replaced (in place, so that one copy of each is held) by one
    with `verified` set, and `results` is returned; operations on write-only targets stay
    `None`. `tell` hears a line per target read back: "read back <system>: 1,800 of 1,800
    write(s) as written", or that it could not be read back; a system written as of several
    dates has a line per date, which names it ("read back <system> as of 2026-12-01: ...")."""
    groups: dict[tuple[str, date], list[int]] = {}
    for index, result in enumerate(results):
        intent = result.row.intent
        if result.status is not OpStatus.APPLIED or intent is None:
            continue
        if not scope.adapter(result.row.target_system).capabilities.can_read:
            continue
        groups.setdefault((result.row.target_system, intent.as_of), []).append(index)
    # A system written as of several dates is read back once per date: its lines name it.
    dates_of = Counter(system for system, _ in groups)

    async def check(system: str, as_of: date, indexes: list[int]) -> None:
        adapter = scope.adapter(system)
        employees = sorted({results[i].row.target_employee or "" for i in indexes})
        types = sorted({results[i].row.target_type or "" for i in indexes})
        # Each applied row's figure is compared as the page showing it arrives; a page goes
        # once compared, so the read back is never held whole. Rows are found by their
        # position in `indexes`; a balance with more rows than one (a saved plan edited by
        # hand) keeps the others in `more`.
        first: dict[tuple[str, str], int] = {}
        more: dict[tuple[str, str], list[int]] = {}
        for position, i in enumerate(indexes):
            intent = results[i].row.intent
            assert intent is not None
            key = (intent.employee.id, intent.leave_type.id)
            if first.setdefault(key, position) != position:
                more.setdefault(key, []).append(position)
        shown = bytearray(len(indexes))
        differs: dict[int, str] = {}  # position -> note, for rows the target shows otherwise
        error = None
        try:
            async for page in balance_pages(adapter, employees, types, as_of):
                for balance in page:
                    key = (balance.employee.id, balance.leave_type.id)
                    found = first.get(key)
                    if found is None:
                        continue
                    # Every row of the balance is compared; a balance shown twice (paging
                    # while it changed), as it was shown last.
                    for p in (found, *more.get(key, ())):
                        differs.pop(p, None)
                        if balance.remaining is None:
                            shown[p] = _UNSEEN
                            continue
                        held, note = _compare(
                            Quantity(balance.remaining, balance.unit), results[indexes[p]].row
                        )
                        shown[p] = _HELD if held else _DIFFERS
                        if not held:
                            differs[p] = note
        except GatewayError as exc:
            error = f"could not read back: {exc.message}"
        checks: list[Verification] = []  # journalled a chunk at a time
        held_count = 0
        for position, i in enumerate(indexes):
            result = results[i]
            intent = result.row.intent
            assert intent is not None
            if error is not None:
                ok, note = False, error
            elif shown[position] == _HELD:
                ok, note = True, ""
            elif shown[position] == _DIFFERS:
                ok, note = False, differs[position]
            else:
                # Some dialects show nothing for an empty balance (a ledger with no
                # transactions left): let the adapter judge from the target itself.
                ok = await _confirmed(adapter, intent)
                note = (
                    "read back: no balance shown, and the target confirms the write"
                    if ok
                    else "read back: the target shows no balance"
                )
            results[i] = replace(result, verified=ok, note=join_notes(result.note, note))
            held_count += ok
            checks.append(Verification(result.operation_id, ok, None if ok else results[i].note))
            if len(checks) == VERIFY_CHUNK:
                _journal(scope, checks)
                checks = []
        _journal(scope, checks)
        label = system if dates_of[system] == 1 else f"{system} as of {as_of.isoformat()}"
        if tell is not None and error is not None:
            tell(f"{label}: {error}; {len(indexes):,} write(s) not verified")
        elif tell is not None:
            tell(f"read back {label}: {held_count:,} of {len(indexes):,} write(s) as written")

    await asyncio.gather(*(check(s, d, ix) for (s, d), ix in groups.items()))
    return results


def _journal(scope: RunScope, checks: list[Verification]) -> None:
    if scope.journal is not None and checks:
        scope.journal.set_verified_many(checks)


async def _confirmed(adapter: BalanceAdapter, intent: WriteIntent) -> bool:
    try:
        return await adapter.confirm_write(intent) is Confirmation.APPLIED
    except GatewayError:
        return False


def _compare(shown: Quantity, row: PlanRow) -> tuple[bool, str]:
    """Whether the target shows `row`'s intended value, and the note when it does not."""
    assert row.intent is not None
    expected = row.intent.remaining
    if _same(shown, expected, row):
        return True, ""
    return False, f"read back {shown}, expected {expected}"


def _same(a: Quantity, b: Quantity, row: PlanRow) -> bool:
    try:
        # Decimals compare exactly (1.0 == 1.00), as Fractions would, without building them.
        return convert(a, b.unit, row.schedule).value == b.value
    except CanonicalError:
        return False
