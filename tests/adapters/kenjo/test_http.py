"""Issue 4's "done when", over real HTTP against `balance-gateway emulate kenjo --token T`."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from balance_gateway.adapters._core.errors import NotFoundError, RequestValidationError
from balance_gateway.adapters._emulator import EmulatorOptions, ServerThread, build_emulator
from balance_gateway.adapters.kenjo import Client
from balance_gateway.adapters.kenjo.emulator import (
    EMPLOYEE_PLANNED_ID,
    EMPLOYEE_TAKEN_ID,
    EMPLOYEE_UNASSIGNED_ID,
    VACATION_TYPE_ID,
)

T = "integration-api-key"


@pytest.fixture
def server() -> Iterator[ServerThread]:
    with ServerThread(build_emulator("kenjo", EmulatorOptions(token=T)).app) as running:
        yield running


def admin_balance(server: ServerThread, employee_id: str) -> dict[str, object]:
    response = httpx.get(f"{server.base_url}/_emulator/balances/{VACATION_TYPE_ID}/{employee_id}")
    response.raise_for_status()
    body: dict[str, object] = response.json()
    return body


def test_login_with_the_api_key_gives_a_token(server: ServerThread) -> None:
    with Client(server.base_url) as kenjo:
        login = kenjo.login(api_key=T)
        assert login.token.startswith("Bearer ")
        assert kenjo.list_employees().data


def test_set_10_with_4_days_taken_shows_allowance_14(server: ServerThread) -> None:
    with Client(server.base_url, api_key=T) as kenjo:
        kenjo.set_balance(VACATION_TYPE_ID, EMPLOYEE_TAKEN_ID, 10, description="seed example")
    assert admin_balance(server, EMPLOYEE_TAKEN_ID)["totalAllowance"] == 14


def test_set_10_with_4_days_planned_shows_available_6(server: ServerThread) -> None:
    with Client(server.base_url, api_key=T) as kenjo:
        kenjo.set_balance(VACATION_TYPE_ID, EMPLOYEE_PLANNED_ID, 10)
    assert admin_balance(server, EMPLOYEE_PLANNED_ID)["available"] == 6


def test_an_unassigned_pair_answers_404(server: ServerThread) -> None:
    with Client(server.base_url, api_key=T) as kenjo, pytest.raises(NotFoundError) as caught:
        kenjo.set_balance(VACATION_TYPE_ID, EMPLOYEE_UNASSIGNED_ID, 10)
    assert caught.value.status_code == 404


def test_a_1001_character_description_is_refused_by_sdk_and_emulator(server: ServerThread) -> None:
    description = "x" * 1001
    with Client(server.base_url, api_key=T) as kenjo:
        with pytest.raises(RequestValidationError) as caught:
            kenjo.set_balance(VACATION_TYPE_ID, EMPLOYEE_TAKEN_ID, 10, description=description)
        assert caught.value.field == "description"
        history = httpx.get(f"{server.base_url}/_emulator/history").json()["data"]
        assert history == []
    token = httpx.post(f"{server.base_url}/api/v1/auth/login", json={"apiKey": T}).json()["token"]
    response = httpx.put(
        f"{server.base_url}/api/v1/time-off/set-balance/{VACATION_TYPE_ID}/{EMPLOYEE_TAKEN_ID}",
        json={"balance": 10, "description": description},
        headers={"Authorization": token},
    )
    assert response.status_code == 400
    assert response.json()["code"] == 400
