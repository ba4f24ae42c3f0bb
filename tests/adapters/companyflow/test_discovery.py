"""CompanyFlow's discovery: who may list the employees, and what a static token cannot find
(the shared checks are `tests/adapters/test_discovery.py`)."""

from __future__ import annotations

import pytest

from balance_gateway.adapters._core.errors import AuthenticationError
from tests.adapters.test_discovery import TOKEN, _adapter


async def test_companyflow_refuses_an_employee_login_the_employee_list() -> None:
    adapter = await _adapter("companyflow", {"email": "jane.doe@example.com", "password": TOKEN})
    with pytest.raises(AuthenticationError):
        await adapter.list_people()
    await adapter.aclose()  # type: ignore[attr-defined]


async def test_companyflow_with_a_static_token_says_to_name_the_company() -> None:
    adapter = await _adapter("companyflow", {"token": "some-jwt"})
    listing = await adapter.list_people()
    assert not listing.available
    assert "company_id" in listing.how
    check = await adapter.check_connection()
    assert not check.checked
    await adapter.aclose()  # type: ignore[attr-defined]
