"""Kenjo wire models: documented names, exact decimals, unknown fields kept."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from balance_gateway.adapters.kenjo import (
    Employee,
    LoginResponse,
    SetBalanceRequest,
    TimeOffBalance,
    TimeOffRequest,
    TimeOffRequestPage,
)


def test_login_response_reads_the_hyphenated_expiry_as_an_aware_datetime() -> None:
    login = LoginResponse.model_validate(
        {"token": "Bearer a.b.c", "X-Expires-After": "2025-06-03T10:00:00.000Z"}
    )
    assert login.token == "Bearer a.b.c"
    assert login.expires_after == datetime(2025, 6, 3, 10, tzinfo=UTC)


def test_employee_maps_underscore_id_and_keeps_unknown_fields() -> None:
    employee = Employee.model_validate({"_id": "abc", "firstName": "Ana", "workPhone": "123"})
    assert employee.id == "abc"
    assert employee.firstName == "Ana"
    assert employee.model_extra == {"workPhone": "123"}


def test_time_off_request_maps_wire_names_and_takes_the_day_of_a_datetime() -> None:
    request = TimeOffRequest.model_validate(
        {
            "_id": "r1",
            "_userId": "u1",
            "_timeOffTypeId": "t1",
            "from": "2025-02-03T00:00:00.000Z",
            "to": "2025-02-06",
        }
    )
    assert (request.id, request.userId, request.timeOffTypeId) == ("r1", "u1", "t1")
    assert (request.from_, request.to) == (date(2025, 2, 3), date(2025, 2, 6))
    assert request.model_dump(by_alias=True, exclude_none=True)["from"] == date(2025, 2, 3)


def test_balance_figures_are_exact_decimals() -> None:
    balance = TimeOffBalance.model_validate(
        {"balance": 0.1, "totalAllowance": 4.1, "taken": 4, "available": -0.2}
    )
    assert balance.balance == Decimal("0.1")
    assert balance.totalAllowance == Decimal("4.1")
    assert balance.available == Decimal("-0.2")
    assert balance.planned is None


@pytest.mark.parametrize(
    ("balance", "description", "expected"),
    [
        (Decimal(10), None, {"balance": 10}),
        (Decimal("-2.5"), "note", {"balance": -2.5, "description": "note"}),
        (Decimal("7.50"), "", {"balance": 7.5, "description": ""}),
    ],
)
def test_set_balance_body_is_a_json_number_and_omits_a_missing_description(
    balance: Decimal, description: str | None, expected: dict[str, object]
) -> None:
    body = SetBalanceRequest(balance=balance, description=description).to_json()
    assert body == expected
    assert type(body["balance"]) is type(expected["balance"])


@pytest.mark.parametrize(
    ("offset", "limit", "total", "items", "expected"),
    [
        (1, 25, 60, 25, 2),
        (2, 25, 60, 25, 3),
        (3, 25, 60, 10, None),
        (1, 50, 50, 50, None),
        (1, 50, 0, 0, None),
        (4, 25, 60, 0, None),  # an empty page ends the walk even if total disagrees
    ],
)
def test_page_knows_its_next_page_number(
    offset: int, limit: int, total: int, items: int, expected: int | None
) -> None:
    item = {
        "_id": "r",
        "_userId": "u",
        "_timeOffTypeId": "t",
        "from": "2025-01-01",
        "to": "2025-01-01",
    }
    page = TimeOffRequestPage.model_validate(
        {
            "data": [item] * items,
            "metadata": {"count": items, "offset": offset, "limit": limit, "total": total},
        }
    )
    assert page.next_offset() == expected
