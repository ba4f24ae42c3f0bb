"""Zeitstrom wire models: the seed's shapes, Decimal amounts, unknown fields kept."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from balance_gateway.adapters.zeitstrom import (
    AbsenceTransaction,
    AbsenceTransactionPage,
    TotalsAggregateList,
    TransactionWrite,
)

SEED_T1: dict[str, Any] = {
    "id": "t1t1t1t1-t2t2-t3t3-t4t4-t5t5t5t5t5t5",
    "employee_id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
    "label": "Annual vacation entitlement 2024",
    "missing_type": "holiday",
    "date": "2024-01-01",
    "amount": 30.0,
    "source": "repeating-rule",
}
SEED_T2: dict[str, Any] = {
    "id": "t2t2t2t2-t3t3-t4t4-t5t5-t6t6t6t6t6t6",
    "employee_id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
    "label": "Summer vacation",
    "missing_type": "holiday",
    "date": "2024-06-10",
    "amount": 5.0,
    "source": "absence",
}
SEED_PAGE: dict[str, Any] = {"count": 3, "results": [SEED_T1, SEED_T2]}


def test_the_seed_page_parses_with_opaque_ids_and_decimal_days() -> None:
    page = AbsenceTransactionPage.model_validate(SEED_PAGE)
    first, second = page.results
    assert second.source == "absence"
    assert first.id == "t1t1t1t1-t2t2-t3t3-t4t4-t5t5t5t5t5t5"
    assert first.amount == Decimal("30.0")
    assert isinstance(first.amount, Decimal)
    assert first.date == date(2024, 1, 1)
    assert page.next is None
    assert page.previous is None
    assert first.model_extra == {}


@pytest.mark.parametrize(
    ("source", "signed"),
    [("absence", "-5"), ("manual", "5"), ("one-time-rule", "5"), ("repeating-rule", "5")],
)
def test_only_absences_debit(source: str, signed: str) -> None:
    tx = AbsenceTransaction.model_validate({**SEED_T2, "source": source})
    assert tx.signed_amount == Decimal(signed)


def test_fractional_wire_numbers_become_exact_decimals() -> None:
    tx = AbsenceTransaction.model_validate({**SEED_T1, "amount": 0.1})
    assert tx.amount == Decimal("0.1")


def test_unknown_fields_are_kept_and_visible() -> None:
    raw = {**SEED_T1, "created_at": "2024-01-01T00:00:00Z"}
    tx = AbsenceTransaction.model_validate(raw)
    assert tx.model_extra == {"created_at": "2024-01-01T00:00:00Z"}


def test_totals_use_the_wire_names_of_the_rule_sources() -> None:
    body = {
        "count": 1,
        "results": [
            {
                "employee_id": "e",
                "missing_type": "holiday",
                "totals": {"manual": 1, "absence": 2, "one-time-rule": 3, "repeating-rule": 4.5},
            }
        ],
    }
    totals = TotalsAggregateList.model_validate(body).results[0].totals
    assert (totals.one_time_rule, totals.repeating_rule) == (Decimal(3), Decimal("4.5"))
    assert totals.model_extra == {}


def test_the_write_body_matches_the_seed_request() -> None:
    body = TransactionWrite(
        employee_id="a1b2c3d4-e5f6-7890-abcd-ef1234567890",
        label="Carryover from 2023",
        missing_type="holiday",
        date=date(2024, 1, 1),
        amount=Decimal("5.0"),
    ).to_json()
    assert body == {
        "employee_id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
        "label": "Carryover from 2023",
        "missing_type": "holiday",
        "date": "2024-01-01",
        "amount": 5.0,
    }
