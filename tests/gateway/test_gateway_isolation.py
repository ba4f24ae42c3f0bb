"""One bad row fails one row (`gateway.isolation`), and only where one employee can be at
fault: a bulk answer over the size cap is the system's, never read again person by person."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import pytest

from balance_gateway.adapters._core.errors import ResponseParseError, ResponseTooLarge
from balance_gateway.canonical import Balance
from balance_gateway.gateway.isolation import IsolatingReads, per_employee
from tests.gateway.gateway_fakes import FakeAdapter, basic_systems

AS_OF = date(2025, 3, 31)


@dataclass
class _FailingBulk(FakeAdapter):
    """Fails any read of more than one employee with `error`; reads one employee as usual."""

    error: Exception = field(default_factory=lambda: ResponseParseError("unset"))
    asked: list[list[str]] = field(default_factory=list)

    async def read_balances(
        self, employee_ids: Sequence[str], leave_type_ids: Sequence[str], as_of: date
    ) -> list[Balance]:
        self.asked.append(list(employee_ids))
        if len(employee_ids) > 1:
            raise self.error
        return await super().read_balances(employee_ids, leave_type_ids, as_of)


def _failing(error: Exception) -> _FailingBulk:
    time = basic_systems()["time"]
    return _FailingBulk("time", units=time.units, balances=dict(time.balances), error=error)


def test_an_answer_over_the_cap_is_the_systems_fault() -> None:
    assert not per_employee(ResponseTooLarge("GET /aggregate: the answer is larger than the cap"))
    assert per_employee(ResponseParseError("GET /x: results.7.amount: not a number"))


async def test_a_bulk_answer_over_the_cap_is_raised_not_read_person_by_person() -> None:
    adapter = _failing(ResponseTooLarge("GET /aggregate: the answer is larger than the cap"))
    reads = IsolatingReads(adapter)

    with pytest.raises(ResponseTooLarge):
        await reads.read_balances(["U1", "U2", "U3"], ["Vacation"], AS_OF)

    assert adapter.asked == [["U1", "U2", "U3"]]  # one request, no one at a time
    assert reads.failures == {}


async def test_a_bad_item_in_a_bulk_answer_is_read_person_by_person() -> None:
    adapter = _failing(ResponseParseError("GET /x: results.1.amount: not a number"))
    reads = IsolatingReads(adapter)

    found = await reads.read_balances(["U1", "U2", "U3"], ["Vacation"], AS_OF)

    assert adapter.asked[0] == ["U1", "U2", "U3"]
    assert sorted(adapter.asked[1:]) == [["U1"], ["U2"], ["U3"]]
    assert {b.employee.id for b in found} <= {"U1", "U2", "U3"}
