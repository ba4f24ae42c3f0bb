"""Zeitstrom's "done when" over real HTTP: the emulator served by uvicorn on 127.0.0.1, driven by
the public SDK and the adapter."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import httpx
import pytest

from balance_gateway.adapters._core.adapter import (
    AdapterConfig,
    Confirmation,
    OperationKind,
    WriteBlocked,
)
from balance_gateway.adapters._core.adapter import WriteIntent as Intent
from balance_gateway.adapters._core.errors import (
    PermissionDeniedError,
    RequestValidationError,
    WriteOutcomeUnknown,
)
from balance_gateway.adapters._core.retry import RetryPolicy
from balance_gateway.adapters._core.secrets import Secret
from balance_gateway.adapters._emulator import EmulatorOptions, FaultConfig, ServerThread
from balance_gateway.adapters.zeitstrom import AsyncClient, Client, ZeitstromAdapter, build_adapter
from balance_gateway.adapters.zeitstrom.emulator import ZeitstromEmulator
from balance_gateway.canonical import EmployeeRef, LeaveTypeRef, Quantity, Unit

TOKEN = "T"
ANNA = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
JONAS = "b2c3d4e5-f6a7-4890-9bcd-ef1234567891"
LIST = "/api/v2/timestamps/absence-transactions/"
T2 = "t2t2t2t2-t3t3-t4t4-t5t5-t6t6t6t6t6t6"


@pytest.fixture
def emulator() -> ZeitstromEmulator:
    return ZeitstromEmulator(EmulatorOptions(token=TOKEN))


@pytest.fixture
def server(emulator: ZeitstromEmulator) -> Iterator[ServerThread]:
    with ServerThread(emulator.app) as running:
        yield running


@pytest.fixture
def client(server: ServerThread) -> Iterator[Client]:
    with Client(server.base_url, token=TOKEN) as sdk:
        yield sdk


def holiday_net(client: Client, employee: str) -> Decimal:
    rows = client.aggregate_balances(employee_ids=[employee]).results
    return next(r.balance for r in rows if r.missing_type == "holiday")


def test_the_seed_list_request_returns_its_example_transactions(client: Client) -> None:
    page = client.list_transactions(employee_ids=[ANNA], daterange=("2024-01-01", "2024-12-31"))
    assert page.count == 3
    first, second = page.results[:2]
    assert (first.id, first.label, first.amount, first.source) == (
        "t1t1t1t1-t2t2-t3t3-t4t4-t5t5t5t5t5t5",
        "Annual vacation entitlement 2024",
        Decimal("30.0"),
        "repeating-rule",
    )
    assert (second.id, second.label, second.amount, second.source) == (
        T2,
        "Summer vacation",
        Decimal("5.0"),
        "absence",
    )
    walked = list(client.iter_transactions(limit=2))
    assert len(walked) == 7
    assert len({tx.id for tx in walked}) == 7


def test_a_manual_credit_of_5_raises_the_net_by_exactly_5(client: Client) -> None:
    before = holiday_net(client, ANNA)
    created = client.create_transaction(
        employee_id=ANNA,
        label="Carryover from 2023",
        missing_type="holiday",
        date=date(2024, 1, 1),
        amount=Decimal("5.0"),
    )
    assert created.source == "manual"
    assert holiday_net(client, ANNA) - before == Decimal(5)


async def test_the_async_client_speaks_the_same_over_http(server: ServerThread) -> None:
    async with AsyncClient(server.base_url, token=TOKEN) as sdk:
        ids = [tx.id async for tx in sdk.iter_transactions(employee_ids=[JONAS], limit=1)]
        assert len(ids) == 3
        rows = (await sdk.aggregate_balances(employee_ids=[JONAS])).results
        assert [r.balance for r in rows] == [Decimal(20)]


def test_a_negative_amount_is_refused_by_the_sdk_and_by_the_emulator(
    client: Client, server: ServerThread, emulator: ZeitstromEmulator
) -> None:
    before = emulator.dump_state()
    with pytest.raises(RequestValidationError) as caught:
        client.create_transaction(
            employee_id=ANNA, missing_type="holiday", date="2024-01-01", amount=-1
        )
    assert caught.value.field == "amount"
    response = httpx.post(
        server.base_url + LIST,
        headers={"Authorization": f"Token {TOKEN}"},
        json={"employee_id": ANNA, "missing_type": "holiday", "date": "2024-01-01", "amount": -1},
    )
    assert response.status_code == 400
    assert response.json() == {"amount": ["Ensure this value is greater than or equal to 0."]}
    assert emulator.dump_state() == before


def test_deleting_an_absence_transaction_is_refused(client: Client) -> None:
    with pytest.raises(PermissionDeniedError):
        client.delete_transaction(T2)
    assert any(tx.id == T2 for tx in client.iter_transactions(employee_ids=[ANNA]))


def intent(remaining: int, op: str) -> Intent:
    return Intent(
        operation_id=op,
        run_id="run-http",
        employee=EmployeeRef("zs", JONAS),
        leave_type=LeaveTypeRef("zs", "holiday"),
        remaining=Quantity(Decimal(remaining), Unit.DAYS),
        as_of=date(2024, 12, 1),
        source="hr-prod",
    )


async def test_the_adapter_writes_exactly_once_over_http(
    server: ServerThread, emulator: ZeitstromEmulator, client: Client
) -> None:
    adapter: ZeitstromAdapter = build_adapter(
        AdapterConfig(
            system="zs",
            base_url=server.base_url,
            credentials={"token": Secret(TOKEN)},
            retry=RetryPolicy(max_attempts=3, backoff_initial=0, jitter=0),
        )
    )
    try:
        # 20 -> 25 through an apply-then-fail fault, then asked again.
        emulator.faults.configure(FaultConfig(apply_then_fail_rate=1, methods=["POST"]))
        with pytest.raises(WriteOutcomeUnknown):
            await adapter.apply_write(intent(25, "op-25"))
        assert await adapter.confirm_write(intent(25, "op-25")) is Confirmation.APPLIED
        assert (await adapter.apply_write(intent(25, "op-25"))).kind is OperationKind.SKIP
        emulator.faults.configure(FaultConfig())
        mine = list(client.iter_transactions(employee_ids=[JONAS], sources=["manual"]))
        assert [(tx.label, tx.amount) for tx in mine] == [("balance-gateway op-25", Decimal(5))]

        rules_and_absences = [
            tx for tx in client.iter_transactions(employee_ids=[JONAS]) if tx.source != "manual"
        ]
        assert (await adapter.apply_write(intent(22, "op-22"))).kind is OperationKind.REDUCE
        assert holiday_net(client, JONAS) == Decimal(22)
        assert [
            tx for tx in client.iter_transactions(employee_ids=[JONAS]) if tx.source != "manual"
        ] == rules_and_absences

        before = emulator.dump_state()
        assert (await adapter.plan_write(intent(15, "op-15"), None)).kind is OperationKind.BLOCKED
        with pytest.raises(WriteBlocked):
            await adapter.apply_write(intent(15, "op-15"))
        assert emulator.dump_state() == before
    finally:
        await adapter.aclose()
