"""CompanyFlow wire models: the seed's body parses exactly, quantities are Decimal."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from balance_gateway.adapters.companyflow import (
    AvailableResponse,
    BalanceResponse,
    LeaveTypePage,
    LoginResponse,
    Pagination,
)


def test_seed_body_parses_with_every_field_declared(seed_body: dict[str, Any]) -> None:
    balance = BalanceResponse.model_validate(seed_body).data

    assert balance.model_extra == {}
    assert balance.leave_type.model_extra == {}
    assert balance.id == "bal-001-uuid"
    assert balance.year == 2025
    assert balance.total_days == 22
    assert balance.used_days == 5
    assert balance.pending_days == Decimal("1.5")
    assert balance.available_days == Decimal("15.5")
    assert balance.carried_forward_days == 2
    assert balance.leave_type.days_allowed == 20
    assert balance.updated_at == datetime(2025, 3, 3, 10, 30, tzinfo=UTC)


def test_quantities_are_decimals_converted_through_their_text(seed_body: dict[str, Any]) -> None:
    seed_body["data"]["pending_days"] = 0.1
    balance = BalanceResponse.model_validate(seed_body).data

    for value in (balance.total_days, balance.pending_days, balance.available_days):
        assert isinstance(value, Decimal)
    assert balance.pending_days == Decimal("0.1")  # not 0.1000000000000000055...


def test_unknown_fields_are_kept_and_visible(seed_body: dict[str, Any]) -> None:
    seed_body["data"]["half_day_policy"] = "am"
    balance = BalanceResponse.model_validate(seed_body).data

    assert balance.model_extra == {"half_day_policy": "am"}


def test_a_missing_documented_field_is_rejected(seed_body: dict[str, Any]) -> None:
    del seed_body["data"]["available_days"]
    with pytest.raises(ValidationError, match="available_days"):
        BalanceResponse.model_validate(seed_body)


def test_available_number_is_a_decimal() -> None:
    assert AvailableResponse.model_validate({"success": True, "data": 15.5}).data == Decimal("15.5")


@pytest.mark.parametrize(
    ("page", "total_pages", "expected"), [(1, 3, 2), (3, 3, None), (1, 0, None)]
)
def test_pagination_knows_the_next_page(page: int, total_pages: int, expected: int | None) -> None:
    pagination = Pagination(page=page, pageSize=10, total=25, totalPages=total_pages)
    assert pagination.next_page() == expected


def test_leave_type_page_exposes_its_items() -> None:
    page = LeaveTypePage.model_validate(
        {
            "success": True,
            "data": [
                {
                    "id": "x",
                    "name": "Annual Leave",
                    "code": "AL",
                    "days_allowed": 20,
                    "is_paid": True,
                    "color_code": "#3B82F6",
                }
            ],
            "pagination": {"page": 1, "pageSize": 10, "total": 1, "totalPages": 1},
        }
    )
    assert [t.code for t in page.items] == ["AL"]
    assert page.next_page() is None


def test_login_token_never_shows_in_a_repr() -> None:
    body = {
        "success": True,
        "data": {
            "token": "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl",
            "expires_in": 86400,
            "user": {
                "id": "u",
                "email": "jane.doe@example.com",
                "first_name": "Jane",
                "last_name": "Doe",
                "role": "employee",
                "company_id": "c",
            },
        },
    }
    grant = LoginResponse.model_validate(body).data

    assert "eyJ" not in repr(grant)
    assert grant.token.get_secret_value() == body["data"]["token"]  # type: ignore[index]
