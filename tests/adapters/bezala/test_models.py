"""Bezala wire models: documented names, Decimal quantities, string ids, unknown fields kept."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from balance_gateway.adapters.bezala import (
    AuthToken,
    BalanceType,
    TimeBalance,
    TimeBalancePage,
    TimeBalanceParams,
)

SEED_LIST: dict[str, Any] = {
    "collection": [
        {
            "id": 2,
            "user_id": 819,
            "balance_type": "vacation",
            "date": "2025-03-31",
            "value": 5.0,
            "units": "days",
            "creator_id": 42,
            "creator_name": "John Smith",
        },
        {
            "id": 1,
            "user_id": 819,
            "balance_type": "work_time",
            "date": "2025-03-15",
            "value": 75,
            "units": "minutes",
            "creator_id": 42,
            "creator_name": "John Smith",
        },
    ],
    "pagination": {"current_page": 1, "total_pages": 1, "total_count": 2},
}


def test_seed_list_parses_into_typed_records() -> None:
    page = TimeBalancePage.model_validate(SEED_LIST)

    vacation, work_time = page.collection
    assert vacation.id == "2"
    assert vacation.user_id == "819"
    assert vacation.creator_id == "42"
    assert vacation.date == dt.date(2025, 3, 31)
    assert vacation.value == Decimal("5.0")
    assert isinstance(vacation.value, Decimal)
    assert work_time.value == Decimal(75)
    assert work_time.units == "minutes"
    assert page.pagination is not None
    assert page.pagination.total_count == 2
    assert not vacation.model_extra


def test_wire_floats_become_the_decimal_they_print_as() -> None:
    record = TimeBalance.model_validate({**SEED_LIST["collection"][0], "value": 0.1})

    assert record.value == Decimal("0.1")


def test_unknown_fields_are_kept_and_visible() -> None:
    record = TimeBalance.model_validate({**SEED_LIST["collection"][0], "comment": "new field"})

    assert record.model_extra == {"comment": "new field"}


def test_a_record_without_a_documented_field_is_rejected() -> None:
    body = dict(SEED_LIST["collection"][0])
    del body["value"]

    with pytest.raises(ValueError, match="value"):
        TimeBalance.model_validate(body)


@pytest.mark.parametrize(
    ("balance_type", "value", "expected"),
    [
        ("work_time", Decimal(75), 75),
        ("work_time", Decimal(-90), -90),
        ("vacation", Decimal(4), 4),
        ("vacation", Decimal("4.5"), 4.5),
        ("vacation", Decimal("-0.25"), -0.25),
    ],
)
def test_import_body_is_the_documented_hash(
    balance_type: str, value: Decimal, expected: float
) -> None:
    params = TimeBalanceParams.model_validate(
        {"balance_type": balance_type, "date": "2025-03-31", "value": value}
    )

    body = params.to_json()

    assert body == {
        "time_balance": {"balance_type": balance_type, "date": "2025-03-31", "value": expected}
    }
    assert type(body["time_balance"]["value"]) is type(expected)


def test_balance_types_name_their_units() -> None:
    assert BalanceType.WORK_TIME.units == "minutes"
    assert BalanceType.VACATION.units == "days"


def test_a_login_answer_never_shows_its_token() -> None:
    answer = AuthToken.model_validate({"token": "tok-abcdef123456", "expires_in": 3600})

    assert "tok-abcdef123456" not in repr(answer)
    assert "tok-abcdef123456" not in str(answer)
    assert answer.token == "tok-abcdef123456"
