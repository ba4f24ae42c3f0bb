"""The CompanyFlow adapter against the in-process emulator: canonical balances, both login
modes, read-only."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from balance_gateway.adapters._core.adapter import (
    AdapterConfig,
    BalanceAdapter,
    WriteIntent,
    WriteKind,
)
from balance_gateway.adapters._core.errors import AuthenticationError, NotFoundError
from balance_gateway.adapters._core.registry import build_adapter as registry_build_adapter
from balance_gateway.adapters._core.secrets import Secret
from balance_gateway.adapters._emulator import EmulatorOptions
from balance_gateway.adapters.companyflow import CREDENTIAL_KEYS, CompanyFlowAdapter, build_adapter
from balance_gateway.adapters.companyflow.emulator import (
    ADMIN_ID,
    ANNUAL_LEAVE_ID,
    MANAGER_ID,
    SECOND_EMPLOYEE_ID,
    SEED_EMPLOYEE_ID,
    SICK_LEAVE_ID,
    CompanyFlowEmulator,
)
from balance_gateway.canonical import (
    BalanceInconsistentError,
    EmployeeRef,
    LeaveTypeRef,
    Period,
    Quantity,
    Unit,
)

AS_OF = date(2025, 6, 1)
UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000"
# For adapters that must fail before any request.
UNUSED = httpx.MockTransport(lambda request: httpx.Response(500))


@pytest.fixture
def emulator() -> CompanyFlowEmulator:
    return CompanyFlowEmulator(EmulatorOptions(token="demo-token"))


def config(
    emulator: CompanyFlowEmulator | None,
    credentials: Mapping[str, str],
    options: Mapping[str, Any] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> AdapterConfig:
    if transport is None:
        assert emulator is not None
        transport = httpx.ASGITransport(app=emulator.app)
    return AdapterConfig(
        system="cf",
        base_url="http://emulator",
        credentials={k: Secret(v) for k, v in credentials.items()},
        options=options or {},
        transport=transport,
    )


ADMIN_LOGIN = {"email": "admin@example.com", "password": "demo-token"}


@pytest.fixture
async def admin_adapter(emulator: CompanyFlowEmulator) -> AsyncIterator[CompanyFlowAdapter]:
    adapter = build_adapter(config(emulator, ADMIN_LOGIN))
    yield adapter
    await adapter.aclose()


async def test_the_seed_balance_becomes_a_full_canonical_balance(
    admin_adapter: CompanyFlowAdapter,
) -> None:
    (balance,) = await admin_adapter.read_balances([SEED_EMPLOYEE_ID], [ANNUAL_LEAVE_ID], AS_OF)

    assert balance.employee == EmployeeRef("cf", SEED_EMPLOYEE_ID)
    assert balance.leave_type == LeaveTypeRef("cf", ANNUAL_LEAVE_ID)
    assert balance.unit is Unit.DAYS
    assert balance.entitled == 22
    assert balance.carried_over == 2
    assert balance.used == 5
    assert balance.pending == Decimal("1.5")
    assert balance.remaining == 17  # entitled - used
    assert balance.available == Decimal("15.5")
    assert balance.as_of == AS_OF
    assert balance.period == Period.calendar_year(2025)
    assert balance.provenance.system == "cf"
    assert balance.provenance.record_id == "bal-001-uuid"
    assert balance.provenance.fetched_at.tzinfo is not None


async def test_every_type_of_every_employee_is_read_when_no_type_is_given(
    admin_adapter: CompanyFlowAdapter,
) -> None:
    balances = await admin_adapter.read_balances([SEED_EMPLOYEE_ID, SECOND_EMPLOYEE_ID], [], AS_OF)

    found = {(b.employee.id, b.leave_type.id): b.available for b in balances}
    assert found == {
        (SEED_EMPLOYEE_ID, ANNUAL_LEAVE_ID): Decimal("15.5"),
        (SEED_EMPLOYEE_ID, SICK_LEAVE_ID): Decimal(9),
        (SECOND_EMPLOYEE_ID, ANNUAL_LEAVE_ID): Decimal("13.5"),
        (SECOND_EMPLOYEE_ID, SICK_LEAVE_ID): Decimal("7.5"),
    }


async def test_the_year_is_the_year_of_as_of(admin_adapter: CompanyFlowAdapter) -> None:
    (balance,) = await admin_adapter.read_balances(
        [SEED_EMPLOYEE_ID], [ANNUAL_LEAVE_ID], date(2024, 12, 31)
    )

    assert balance.provenance.record_id == "bal-000-uuid"
    assert balance.period == Period.calendar_year(2024)
    assert balance.entitled == 21  # 20 allowed + 1 carried forward
    assert balance.used == 19
    assert balance.remaining == 2


async def test_missing_balances_are_absent(admin_adapter: CompanyFlowAdapter) -> None:
    assert await admin_adapter.read_balances([MANAGER_ID], [SICK_LEAVE_ID], AS_OF) == []
    assert await admin_adapter.read_balances([MANAGER_ID], [], date(2030, 1, 1)) == []


async def test_an_unknown_employee_is_not_found_not_absent(
    admin_adapter: CompanyFlowAdapter,
) -> None:
    # Raised, so that the engine blocks that employee's rows naming the mapping line
    # (`gateway.isolation`); read as "no balance", a stale id would go unnoticed.
    with pytest.raises(NotFoundError, match="Employee not found"):
        await admin_adapter.read_balances([MANAGER_ID, UNKNOWN_UUID], [SICK_LEAVE_ID], AS_OF)


async def test_a_static_token_works_as_well(emulator: CompanyFlowEmulator) -> None:
    adapter = build_adapter(config(emulator, {"token": emulator.mint_token(MANAGER_ID)}))

    balances = await adapter.read_balances([SECOND_EMPLOYEE_ID], [ANNUAL_LEAVE_ID], AS_OF)

    assert [b.provenance.record_id for b in balances] == ["bal-003-uuid"]
    await adapter.aclose()


async def test_an_employee_login_cannot_read_others_in_shared_mode(
    emulator: CompanyFlowEmulator,
) -> None:
    adapter = build_adapter(
        config(emulator, {"email": "jane.doe@example.com", "password": "demo-token"})
    )

    with pytest.raises(AuthenticationError, match="Insufficient permissions"):
        await adapter.read_balances([SECOND_EMPLOYEE_ID], [], AS_OF)
    await adapter.aclose()


EMPLOYEE_LOGINS = {
    SEED_EMPLOYEE_ID: {"email": "jane_email", "password": "jane_password"},
    SECOND_EMPLOYEE_ID: {"email": "john_email", "password": "john_password"},
}
EMPLOYEE_CREDENTIALS = {
    "jane_email": "jane.doe@example.com",
    "jane_password": "demo-token",
    "john_email": "john.smith@example.com",
    "john_password": "demo-token",
}


@pytest.fixture
async def employee_adapter(emulator: CompanyFlowEmulator) -> AsyncIterator[CompanyFlowAdapter]:
    adapter = build_adapter(
        config(emulator, EMPLOYEE_CREDENTIALS, {"employee_logins": EMPLOYEE_LOGINS})
    )
    yield adapter
    await adapter.aclose()


async def test_employee_logins_read_each_employees_own_balance(
    employee_adapter: CompanyFlowAdapter,
) -> None:
    balances = await employee_adapter.read_balances(
        [SEED_EMPLOYEE_ID, SECOND_EMPLOYEE_ID], [ANNUAL_LEAVE_ID], AS_OF
    )

    found = {b.employee.id: (b.provenance.record_id, b.available) for b in balances}
    assert found == {
        SEED_EMPLOYEE_ID: ("bal-001-uuid", Decimal("15.5")),
        SECOND_EMPLOYEE_ID: ("bal-003-uuid", Decimal("13.5")),
    }


async def test_employee_logins_list_the_leave_types_when_none_are_given(
    employee_adapter: CompanyFlowAdapter,
) -> None:
    balances = await employee_adapter.read_balances([SECOND_EMPLOYEE_ID], [], AS_OF)

    assert {b.leave_type.id for b in balances} == {ANNUAL_LEAVE_ID, SICK_LEAVE_ID}
    assert {b.employee.id for b in balances} == {SECOND_EMPLOYEE_ID}


async def test_employee_logins_skip_missing_balances(
    employee_adapter: CompanyFlowAdapter,
) -> None:
    balances = await employee_adapter.read_balances(
        [SEED_EMPLOYEE_ID], [ANNUAL_LEAVE_ID, UNKNOWN_UUID], date(2023, 5, 1)
    )
    assert balances == []


async def test_an_employee_without_a_login_is_named(employee_adapter: CompanyFlowAdapter) -> None:
    with pytest.raises(KeyError, match=MANAGER_ID):
        await employee_adapter.read_balances([MANAGER_ID], [ANNUAL_LEAVE_ID], AS_OF)


@pytest.mark.parametrize(
    "logins", ["jane", {SEED_EMPLOYEE_ID: {"email": "jane_email"}}, {SEED_EMPLOYEE_ID: "x"}]
)
def test_a_malformed_employee_logins_option_is_refused(logins: Any) -> None:
    with pytest.raises(ValueError, match="employee_logins"):
        build_adapter(config(None, EMPLOYEE_CREDENTIALS, {"employee_logins": logins}, UNUSED))


def test_missing_credentials_are_named_without_values() -> None:
    with pytest.raises(KeyError, match="'password'") as caught:
        build_adapter(config(None, {"email": "admin@example.com"}, transport=UNUSED))
    assert "admin@example.com" not in str(caught.value)


async def test_figures_that_contradict_the_arithmetic_are_rejected() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        record = {
            "id": "bal-x",
            "employee_id": SEED_EMPLOYEE_ID,
            "leave_type_id": ANNUAL_LEAVE_ID,
            "year": 2025,
            "total_days": 22,
            "used_days": 5,
            "pending_days": 1.5,
            "available_days": 16,  # should be 15.5
            "carried_forward_days": 2,
            "leave_type": {
                "id": ANNUAL_LEAVE_ID,
                "name": "Annual Leave",
                "code": "AL",
                "days_allowed": 20,
                "is_paid": True,
                "color_code": "#3B82F6",
            },
            "created_at": "2025-01-01T00:00:00Z",
            "updated_at": "2025-03-03T10:30:00Z",
        }
        return httpx.Response(200, json={"success": True, "data": [record]})

    transport = httpx.MockTransport(handler)
    adapter = build_adapter(config(None, {"token": "t0ken-value"}, transport=transport))

    with pytest.raises(BalanceInconsistentError, match="available"):
        await adapter.read_balances([SEED_EMPLOYEE_ID], [], AS_OF)
    await adapter.aclose()


# -- what the engine sees ---------------------------------------------------------------------


def test_the_adapter_is_read_only_in_days(emulator: CompanyFlowEmulator) -> None:
    adapter = registry_build_adapter("companyflow", config(emulator, ADMIN_LOGIN))

    assert isinstance(adapter, BalanceAdapter)
    assert adapter.vendor == "companyflow"
    assert adapter.system == "cf"
    assert adapter.capabilities.can_read
    assert not adapter.capabilities.can_write
    assert adapter.capabilities.write_kind is WriteKind.NONE
    target = adapter.target_unit(ANNUAL_LEAVE_ID)
    assert (target.unit, target.step) == (Unit.DAYS, Decimal("0.1"))
    assert CREDENTIAL_KEYS == (("email", "password"), ("token",))


async def test_writes_are_refused_with_a_clear_reason(
    admin_adapter: CompanyFlowAdapter,
) -> None:
    intent = WriteIntent(
        operation_id="op-1",
        run_id="run-1",
        employee=EmployeeRef("cf", SEED_EMPLOYEE_ID),
        leave_type=LeaveTypeRef("cf", ANNUAL_LEAVE_ID),
        remaining=Quantity(Decimal(10), Unit.DAYS),
        as_of=AS_OF,
        source="hr-prod",
    )

    with pytest.raises(NotImplementedError, match="read-only"):
        await admin_adapter.plan_write(intent, None)
    with pytest.raises(NotImplementedError, match="read-only"):
        await admin_adapter.apply_write(intent)
    with pytest.raises(NotImplementedError, match="read-only"):
        await admin_adapter.confirm_write(intent)


async def test_the_admin_login_happens_once_for_many_employees(
    emulator: CompanyFlowEmulator,
) -> None:
    logins: list[datetime] = []
    inner = httpx.ASGITransport(app=emulator.app)

    class Counting(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.path == "/auth/login":
                logins.append(datetime.now(UTC))
            return await inner.handle_async_request(request)

    adapter = build_adapter(config(emulator, ADMIN_LOGIN, transport=Counting()))
    balances = await adapter.read_balances(
        [SEED_EMPLOYEE_ID, SECOND_EMPLOYEE_ID, MANAGER_ID, ADMIN_ID], [ANNUAL_LEAVE_ID], AS_OF
    )
    await adapter.aclose()

    assert len(balances) == 4
    assert len(logins) == 1
