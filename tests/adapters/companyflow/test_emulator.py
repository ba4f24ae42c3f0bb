"""The CompanyFlow emulator in-process: the seed verbatim, arithmetic, JWTs, roles, errors,
tenants, the admin API and faults."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import jwt
import pytest

from balance_gateway.adapters._emulator import (
    DEFAULT_TENANT,
    EmulatorOptions,
    available_vendors,
    build_emulator,
)
from balance_gateway.adapters.companyflow.emulator import (
    ADMIN_ID,
    ANNUAL_LEAVE_ID,
    COMPANY_ID,
    MANAGER_ID,
    SECOND_EMPLOYEE_ID,
    SEED_EMPLOYEE_ID,
    SICK_LEAVE_ID,
    CompanyFlowEmulator,
    render_days,
)

SEED_PATH = f"/leave-balance/{ANNUAL_LEAVE_ID}"
JSON_HEADERS = {"Content-Type": "application/json"}
UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000"
EMAILS = {
    SEED_EMPLOYEE_ID: "jane.doe@example.com",
    SECOND_EMPLOYEE_ID: "john.smith@example.com",
    MANAGER_ID: "maria.manager@example.com",
    ADMIN_ID: "admin@example.com",
}


@pytest.fixture
def emulator() -> CompanyFlowEmulator:
    return CompanyFlowEmulator(EmulatorOptions(token="demo-token"))


@pytest.fixture
async def http(emulator: CompanyFlowEmulator) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as client:
        yield client


async def login(http: httpx.AsyncClient, employee_id: str, password: str = "demo-token") -> str:
    response = await http.post(
        "/auth/login", json={"email": EMAILS[employee_id], "password": password}
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["data"]["token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_vendor_error(response: httpx.Response, status: int, text: str | None = None) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert set(body) == {"success", "error"}
    if text is not None:
        assert text in body["error"]


# -- the seed ---------------------------------------------------------------------------------


async def test_the_seed_example_answers_verbatim(http: httpx.AsyncClient, seed_text: str) -> None:
    token = await login(http, SEED_EMPLOYEE_ID)

    response = await http.get(SEED_PATH, params={"year": "2025"}, headers=bearer(token))

    assert response.status_code == 200
    # Same keys in the same order, integers where the seed shows integers.
    assert json.dumps(response.json(), indent=2) == seed_text


async def test_check_balance_is_the_seed_available_figure(http: httpx.AsyncClient) -> None:
    token = await login(http, SEED_EMPLOYEE_ID)

    response = await http.get(
        "/leave-balance",
        params={"leaveTypeId": ANNUAL_LEAVE_ID, "year": "2025"},
        headers=bearer(token),
    )

    assert response.json() == {"success": True, "data": 15.5}


def test_the_emulator_is_registered() -> None:
    assert "companyflow" in available_vendors()
    emulator = build_emulator("companyflow", EmulatorOptions(token="demo-token"))
    assert isinstance(emulator, CompanyFlowEmulator)


# -- JWTs and whose balance -------------------------------------------------------------------


async def test_login_issues_a_signed_jwt_for_the_employee(
    emulator: CompanyFlowEmulator, http: httpx.AsyncClient
) -> None:
    response = await http.post(
        "/auth/login", json={"email": "JANE.DOE@example.com", "password": "demo-token"}
    )

    data = response.json()["data"]
    assert data["expires_in"] == 86400
    assert data["user"]["id"] == SEED_EMPLOYEE_ID
    claims = jwt.decode(data["token"], options={"verify_signature": False})
    assert claims["sub"] == SEED_EMPLOYEE_ID
    assert claims["role"] == "employee"
    assert claims["company_id"] == COMPANY_ID
    assert claims["exp"] - claims["iat"] == 86400


async def test_each_token_sees_its_own_employees_balance_only(http: httpx.AsyncClient) -> None:
    jane = await login(http, SEED_EMPLOYEE_ID)
    john = await login(http, SECOND_EMPLOYEE_ID)

    mine = (await http.get(SEED_PATH, params={"year": "2025"}, headers=bearer(jane))).json()
    his = (await http.get(SEED_PATH, params={"year": "2025"}, headers=bearer(john))).json()

    assert mine["data"]["id"] == "bal-001-uuid"
    assert his["data"]["employee_id"] == SECOND_EMPLOYEE_ID
    assert his["data"]["id"] != "bal-001-uuid"
    # 20 allowed + 3.5 carried = 23.5; 23.5 - 8 used - 2 pending = 13.5
    assert (his["data"]["total_days"], his["data"]["available_days"]) == (23.5, 13.5)


async def test_the_manager_reads_their_own_balance_too(http: httpx.AsyncClient) -> None:
    token = await login(http, MANAGER_ID)

    response = await http.get(SEED_PATH, params={"year": "2025"}, headers=bearer(token))

    assert response.json()["data"]["employee_id"] == MANAGER_ID


@pytest.mark.parametrize(
    ("headers", "text"),
    [
        ({}, "No token"),
        ({"Authorization": "Bearer not-a-jwt"}, "Invalid token"),
        ({"Authorization": "Basic ZGVtby10b2tlbg=="}, "No token"),
        ({"Authorization": "Bearer demo-token"}, "Invalid token"),  # the password is no token
    ],
)
async def test_requests_without_a_valid_token_get_401(
    http: httpx.AsyncClient, headers: dict[str, str], text: str
) -> None:
    response = await http.get(SEED_PATH, params={"year": "2025"}, headers=headers)
    assert_vendor_error(response, 401, text)


async def test_an_expired_token_gets_401(
    emulator: CompanyFlowEmulator, http: httpx.AsyncClient
) -> None:
    token = emulator.mint_token(SEED_EMPLOYEE_ID, lifetime=timedelta(seconds=-5))

    response = await http.get(SEED_PATH, params={"year": "2025"}, headers=bearer(token))

    assert_vendor_error(response, 401, "expired")


async def test_a_token_signed_with_another_key_gets_401(http: httpx.AsyncClient) -> None:
    forged = jwt.encode(
        {"sub": SEED_EMPLOYEE_ID, "role": "admin", "exp": 4102444800},
        "x" * 64,
        algorithm="HS256",
    )

    response = await http.get(SEED_PATH, params={"year": "2025"}, headers=bearer(forged))

    assert_vendor_error(response, 401, "Invalid token")


async def test_a_token_of_another_emulator_gets_401(http: httpx.AsyncClient) -> None:
    other = CompanyFlowEmulator(EmulatorOptions(token="demo-token"))
    token = other.mint_token(SEED_EMPLOYEE_ID)

    response = await http.get(SEED_PATH, params={"year": "2025"}, headers=bearer(token))

    assert_vendor_error(response, 401)


@pytest.mark.parametrize(
    "body",
    [
        {"email": "jane.doe@example.com", "password": "wrong-password"},
        {"email": "nobody@example.com", "password": "demo-token"},
    ],
)
async def test_a_wrong_login_gets_401(http: httpx.AsyncClient, body: dict[str, str]) -> None:
    assert_vendor_error(await http.post("/auth/login", json=body), 401, "Invalid email or password")


async def test_the_token_option_sets_the_sample_users_password() -> None:
    emulator = CompanyFlowEmulator(EmulatorOptions(token="s3cret-pass"))
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://e") as http:
        old = {"email": EMAILS[ADMIN_ID], "password": "demo-token"}
        assert (await http.post("/auth/login", json=old)).status_code == 401
        assert await login(http, ADMIN_ID, "s3cret-pass")


def test_credentials_text_lists_every_login_seed_employee_first(
    emulator: CompanyFlowEmulator,
) -> None:
    lines = emulator.credentials_text()

    assert "POST /auth/login" in lines[0]
    assert EMAILS[SEED_EMPLOYEE_ID] in lines[1]
    for employee_id, email in EMAILS.items():
        (line,) = [line for line in lines if email in line]
        assert "demo-token" in line
        assert employee_id in line
    assert any("manager" in line for line in lines)
    assert any("admin" in line for line in lines)


# -- roles ------------------------------------------------------------------------------------


async def test_an_admin_may_not_use_the_own_balance_endpoint(http: httpx.AsyncClient) -> None:
    # [seed] available to Employee and Manager only; role failures answer 401 [docs].
    token = await login(http, ADMIN_ID)

    response = await http.get(SEED_PATH, params={"year": "2025"}, headers=bearer(token))

    assert_vendor_error(response, 401, "Insufficient permissions")


@pytest.mark.parametrize("reader", [MANAGER_ID, ADMIN_ID])
async def test_managers_and_admins_read_any_employees_balances(
    http: httpx.AsyncClient, reader: str
) -> None:
    token = await login(http, reader)

    response = await http.get(
        f"/employees/{SEED_EMPLOYEE_ID}/leave-balances",
        params={"year": "2025"},
        headers=bearer(token),
    )

    data = response.json()["data"]
    assert [b["id"] for b in data] == ["bal-001-uuid", "bal-002-uuid"]
    assert {b["leave_type_id"] for b in data} == {ANNUAL_LEAVE_ID, SICK_LEAVE_ID}
    assert all(b["employee_id"] == SEED_EMPLOYEE_ID for b in data)


async def test_an_employee_reads_their_own_balances_but_nobody_elses(
    http: httpx.AsyncClient,
) -> None:
    token = await login(http, SEED_EMPLOYEE_ID)

    own = await http.get(
        f"/employees/{SEED_EMPLOYEE_ID}/leave-balances",
        params={"year": "2025"},
        headers=bearer(token),
    )
    other = await http.get(
        f"/employees/{SECOND_EMPLOYEE_ID}/leave-balances",
        params={"year": "2025"},
        headers=bearer(token),
    )

    assert len(own.json()["data"]) == 2
    assert_vendor_error(other, 401, "Insufficient permissions")


async def test_a_year_without_balances_is_an_empty_list(http: httpx.AsyncClient) -> None:
    token = await login(http, ADMIN_ID)

    response = await http.get(
        f"/employees/{MANAGER_ID}/leave-balances", params={"year": "2030"}, headers=bearer(token)
    )

    assert response.json() == {"success": True, "data": []}


# -- arithmetic -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("allowed", "carried", "used", "pending", "total", "available"),
    [
        ("20", "2", "5", "1.5", 22, 15.5),
        ("25", "0", "0", "0", 25, 25),
        ("20", "4.5", "12.5", "3", 24.5, 9),
        ("10", "0", "8", "4", 10, -2),  # overbooked: the arithmetic does not clamp
        ("20", "0.25", "1.04", "0", 20.3, 19.3),  # stored with one decimal (DECIMAL(6,1))
    ],
)
async def test_total_and_available_follow_the_seed_arithmetic(
    emulator: CompanyFlowEmulator,
    http: httpx.AsyncClient,
    allowed: str,
    carried: str,
    used: str,
    pending: str,
    total: float,
    available: float,
) -> None:
    state = emulator.state_for(DEFAULT_TENANT).model_dump(mode="json")
    state["leave_types"][0]["days_allowed"] = allowed
    balance = state["balances"][0]
    balance.update(carried_forward_days=carried, used_days=used, pending_days=pending)
    assert (await http.put("/_emulator/state", json=state)).status_code == 200
    token = await login(http, SEED_EMPLOYEE_ID)

    data = (await http.get(SEED_PATH, params={"year": "2025"}, headers=bearer(token))).json()[
        "data"
    ]

    assert (data["total_days"], data["available_days"]) == (total, available)
    exact = Decimal(str(data["total_days"])) - Decimal(str(data["used_days"]))
    assert exact - Decimal(str(data["pending_days"])) == Decimal(str(data["available_days"]))


@pytest.mark.parametrize(
    ("value", "rendered"),
    [(Decimal(22), "22"), (Decimal("22.0"), "22"), (Decimal("1.5"), "1.5"), (Decimal("-2"), "-2")],
)
def test_days_render_as_the_seed_writes_them(value: Decimal, rendered: str) -> None:
    assert json.dumps(render_days(value)) == rendered


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "status", "text"),
    [
        (SEED_PATH, {}, 400, "Year is required"),
        (SEED_PATH, {"year": "2019"}, 400, "between 2020 and 2100"),
        (SEED_PATH, {"year": "2101"}, 400, "between 2020 and 2100"),
        (SEED_PATH, {"year": "twenty"}, 400, "between 2020 and 2100"),
        (SEED_PATH, {"year": "2025.5"}, 400, "between 2020 and 2100"),
        (SEED_PATH, {"year": "99999999999999999999"}, 400, "between 2020 and 2100"),
        ("/leave-balance/annual", {"year": "2025"}, 400, "Invalid leave type ID format"),
        (f"/leave-balance/{UNKNOWN_UUID}", {"year": "2025"}, 404, "Leave type not found"),
        (SEED_PATH, {"year": "2023"}, 404, "Leave balance not found"),
        ("/leave-balance", {"year": "2025"}, 400, "leave type ID is required"),
        ("/leave-balance", {"leaveTypeId": ANNUAL_LEAVE_ID}, 400, "Year is required"),
        (f"/employees/{SEED_EMPLOYEE_ID}/leave-balances", {}, 400, "Year is required"),
        ("/employees/42/leave-balances", {"year": "2025"}, 400, "Invalid employee ID format"),
        (f"/companies/{COMPANY_ID}/leave-types", {"pageSize": "101"}, 400, "pageSize"),
        (f"/companies/{COMPANY_ID}/leave-types", {"page": "0"}, 400, "page"),
        (f"/companies/{UNKNOWN_UUID}/leave-types", {}, 404, "Company not found"),
        ("/companies/acme/leave-types", {}, 400, "Invalid company ID format"),
        ("/no-such-route", {}, 404, "Route not found"),
    ],
)
async def test_bad_requests_get_vendor_errors(
    http: httpx.AsyncClient, path: str, params: dict[str, str], status: int, text: str
) -> None:
    token = await login(http, SEED_EMPLOYEE_ID)

    response = await http.get(path, params=params, headers=bearer(token))

    assert_vendor_error(response, status, text)


async def test_an_unknown_employee_is_404_for_a_manager(http: httpx.AsyncClient) -> None:
    token = await login(http, MANAGER_ID)

    response = await http.get(
        f"/employees/{UNKNOWN_UUID}/leave-balances", params={"year": "2025"}, headers=bearer(token)
    )

    assert_vendor_error(response, 404, "Employee not found")


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("POST", "/auth/login", {"content": b"{not json", "headers": JSON_HEADERS}),
        ("POST", "/auth/login", {"json": {"email": "jane.doe@example.com"}}),
        ("POST", "/auth/login", {"json": {"email": 7, "password": ["x"]}}),
        ("POST", "/auth/login", {"json": [1, 2]}),
        ("DELETE", SEED_PATH, {}),
        ("PUT", "/leave-balance", {"json": {"year": 2025}}),
    ],
)  # fmt: skip
async def test_malformed_requests_never_answer_500(
    http: httpx.AsyncClient, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    response = await http.request(method, path, **kwargs)

    assert 400 <= response.status_code < 500
    assert_vendor_error(response, response.status_code)


def test_openapi_documents_the_vendor_routes(emulator: CompanyFlowEmulator) -> None:
    paths = emulator.app.openapi()["paths"]

    assert set(paths) >= {
        "/auth/login",
        "/leave-balance/{leave_type_id}",
        "/leave-balance",
        "/employees/{employee_id}/leave-balances",
        "/companies/{company_id}/leave-types",
    }
    assert not any(p.startswith("/_emulator") for p in paths)


# -- leave types ------------------------------------------------------------------------------


async def test_leave_types_are_paginated(http: httpx.AsyncClient) -> None:
    token = await login(http, SEED_EMPLOYEE_ID)
    path = f"/companies/{COMPANY_ID}/leave-types"

    first = (await http.get(path, params={"pageSize": "1"}, headers=bearer(token))).json()
    page_two = {"page": "2", "pageSize": "1"}
    second = (await http.get(path, params=page_two, headers=bearer(token))).json()
    default = (await http.get(path, headers=bearer(token))).json()

    assert [t["code"] for t in first["data"]] == ["AL"]
    assert [t["code"] for t in second["data"]] == ["SL"]
    assert first["pagination"] == {"page": 1, "pageSize": 1, "total": 2, "totalPages": 2}
    assert default["pagination"] == {"page": 1, "pageSize": 10, "total": 2, "totalPages": 1}


# -- tenants, admin API, faults ---------------------------------------------------------------


async def test_tenants_are_isolated() -> None:
    emulator = CompanyFlowEmulator(
        EmulatorOptions(token="demo-token", tenants={"other-pass": "other"})
    )
    state = emulator.state_for(DEFAULT_TENANT).model_dump(mode="json")
    state["balances"][0]["used_days"] = "9"
    emulator.load_state(state)
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://e") as http:
        default_token = await login(http, SEED_EMPLOYEE_ID)
        other_token = await login(http, SEED_EMPLOYEE_ID, "other-pass")

        default = await http.get(SEED_PATH, params={"year": "2025"}, headers=bearer(default_token))
        other = await http.get(SEED_PATH, params={"year": "2025"}, headers=bearer(other_token))

    assert default.json()["data"]["used_days"] == 9
    assert other.json()["data"]["used_days"] == 5  # the other tenant's untouched sample


async def test_state_round_trips_through_the_admin_api(http: httpx.AsyncClient) -> None:
    dumped = (await http.get("/_emulator/state")).json()

    reloaded = await http.put("/_emulator/state", json=dumped)

    assert reloaded.json() == dumped
    assert dumped["tenants"][DEFAULT_TENANT]["balances"][0]["pending_days"] == "1.5"


async def test_loaded_state_is_served_and_reset_restores_the_sample(
    http: httpx.AsyncClient, seed_text: str
) -> None:
    state = (await http.get("/_emulator/state")).json()["tenants"][DEFAULT_TENANT]
    state["balances"][0]["pending_days"] = "0"
    await http.put("/_emulator/state", json=state)
    token = await login(http, SEED_EMPLOYEE_ID)

    loaded = await http.get(SEED_PATH, params={"year": "2025"}, headers=bearer(token))
    await http.post("/_emulator/reset")
    restored = await http.get(SEED_PATH, params={"year": "2025"}, headers=bearer(token))

    assert loaded.json()["data"]["available_days"] == 17
    assert json.dumps(restored.json(), indent=2) == seed_text


async def test_an_invalid_state_is_refused(http: httpx.AsyncClient) -> None:
    response = await http.put("/_emulator/state", json={"balances": [{"id": 1}]})
    assert response.status_code == 400


async def test_injected_faults_answer_in_the_vendor_style(http: httpx.AsyncClient) -> None:
    await http.put("/_emulator/faults", json={"error_rate": 1, "error_status": 503})

    response = await http.post(
        "/auth/login", json={"email": EMAILS[SEED_EMPLOYEE_ID], "password": "demo-token"}
    )

    assert_vendor_error(response, 503, "injected fault")


async def test_throttling_sends_retry_after(http: httpx.AsyncClient) -> None:
    await http.put("/_emulator/faults", json={"throttle_rate": 1, "retry_after_seconds": 2})

    response = await http.get(SEED_PATH, params={"year": "2025"})

    assert_vendor_error(response, 429)
    assert response.headers["retry-after"] == "2"


async def test_managers_and_admins_list_the_company_employees_in_pages(
    http: httpx.AsyncClient,
) -> None:
    token = await login(http, MANAGER_ID)
    path = f"/companies/{COMPANY_ID}/employees"
    first = await http.get(path, params={"page_size": "3"}, headers=bearer(token))
    second = await http.get(path, params={"page": "2", "page_size": "3"}, headers=bearer(token))

    assert first.status_code == second.status_code == 200
    data = first.json()["data"]
    assert data["pagination"] == {"page": 1, "page_size": 3, "total_items": 4, "total_pages": 2}
    employees = data["employees"] + second.json()["data"]["employees"]
    assert [e["email"] for e in employees] == list(EMAILS.values())
    assert {e["employee_code"] for e in employees} == {"EMP001", "EMP002", "EMP003", "EMP004"}
    assert all("password" not in e for e in employees)


async def test_an_employee_may_not_list_the_company_employees(http: httpx.AsyncClient) -> None:
    token = await login(http, SEED_EMPLOYEE_ID)
    response = await http.get(f"/companies/{COMPANY_ID}/employees", headers=bearer(token))
    assert response.status_code == 401
    assert response.json() == {"success": False, "error": "Insufficient permissions"}
