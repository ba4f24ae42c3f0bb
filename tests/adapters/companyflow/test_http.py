"""Issue 5's "done when", over real HTTP against a fresh CompanyFlow emulator on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from balance_gateway.adapters._core.errors import AuthenticationError, RequestValidationError
from balance_gateway.adapters._emulator import EmulatorOptions, ServerThread, build_emulator
from balance_gateway.adapters.companyflow import AsyncClient, Client

ANNUAL_LEAVE = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
SEED_FIXTURE = (
    Path(__file__).resolve().parents[3]
    / "contracts"
    / "companyflow"
    / "get_balance"
    / "seed_example.json"
)


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    # What `balance-gateway emulate companyflow --token demo-token` serves.
    emulator = build_emulator("companyflow", EmulatorOptions(token="demo-token"))
    with ServerThread(emulator.app) as running:
        yield running


@pytest.fixture
def seed_body() -> Any:
    return json.loads(SEED_FIXTURE.read_text())["response"]["json"]


def test_the_sample_employee_gets_the_seed_example_body(
    server: ServerThread, seed_body: Any
) -> None:
    with Client(server.base_url, email="jane.doe@example.com", password="demo-token") as client:
        token = client.login().token.get_secret_value()
        balance = client.get_balance(ANNUAL_LEAVE, 2025)

    raw = httpx.get(
        f"{server.base_url}/leave-balance/{ANNUAL_LEAVE}",
        params={"year": 2025},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert raw.json() == seed_body
    assert json.dumps(raw.json()) == json.dumps(seed_body)  # integers stay integers
    assert balance.id == "bal-001-uuid"
    assert (balance.total_days, balance.available_days) == (Decimal(22), Decimal("15.5"))


async def test_another_employee_gets_their_own_balance_never_the_first(
    server: ServerThread,
) -> None:
    async with (
        AsyncClient(server.base_url, email="jane.doe@example.com", password="demo-token") as jane,
        AsyncClient(server.base_url, email="john.smith@example.com", password="demo-token") as john,
    ):
        hers = await jane.get_balance(ANNUAL_LEAVE, 2025)
        his = await john.get_balance(ANNUAL_LEAVE, 2025)
        his_available = await john.check_balance(ANNUAL_LEAVE, 2025)

    assert his.employee_id != hers.employee_id
    assert his.id != hers.id
    assert his.available_days == his_available == Decimal("13.5")
    assert hers.available_days == Decimal("15.5")


def test_year_2019_is_refused_by_the_sdk_before_sending_and_by_the_emulator(
    server: ServerThread,
) -> None:
    sent: list[httpx.Request] = []
    # The SDK does not own a client it is given: this test closes it, however it ends.
    with (
        httpx.Client(event_hooks={"request": [sent.append]}) as http,
        Client(
            server.base_url, email="jane.doe@example.com", password="demo-token", http_client=http
        ) as client,
    ):
        with pytest.raises(RequestValidationError, match="year"):
            client.get_balance(ANNUAL_LEAVE, 2019)
        assert sent == []
        token = client.login().token.get_secret_value()

    raw = httpx.get(
        f"{server.base_url}/leave-balance/{ANNUAL_LEAVE}",
        params={"year": 2019},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert 400 <= raw.status_code < 500
    assert raw.json()["success"] is False


def test_a_manager_reads_every_balance_of_an_employee_and_an_employee_cannot(
    server: ServerThread,
) -> None:
    employee = "987e6543-e21b-12d3-a456-426614174000"
    other = "3c9d1e7a-2b4f-4a6c-9d8e-1f2a3b4c5d6e"
    with Client(server.base_url, email="maria.manager@example.com", password="demo-token") as m:
        balances = m.employee_balances(employee, 2025)
    with (
        Client(server.base_url, email="jane.doe@example.com", password="demo-token") as jane,
        pytest.raises(AuthenticationError),
    ):
        jane.employee_balances(other, 2025)

    assert {b.leave_type.code for b in balances} == {"AL", "SL"}
