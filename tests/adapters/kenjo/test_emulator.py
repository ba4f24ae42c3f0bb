"""The Kenjo emulator in-process: the seed's examples, its arithmetic, errors, tenants, admin."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from balance_gateway.adapters._emulator import EmulatorOptions, available_vendors, build_emulator
from balance_gateway.adapters.kenjo.emulator import (
    EMPLOYEE_PLANNED_ID,
    EMPLOYEE_TAKEN_ID,
    EMPLOYEE_UNASSIGNED_ID,
    OVERTIME_TYPE_ID,
    VACATION_TYPE_ID,
    KenjoEmulator,
)
from tests.adapters._emulator.test_admin_balances import TOKEN as ADMIN_TOKEN
from tests.adapters._emulator.test_admin_balances import admin_balances

KEY = "tenant-a-key"
OTHER_KEY = "tenant-b-key"
UNKNOWN_ID = "65f1a0c0e4b0a1b2c3d4e5ff"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 5, 1, 12, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def emulator(clock: Clock) -> KenjoEmulator:
    return KenjoEmulator(EmulatorOptions(token=KEY, tenants={OTHER_KEY: "b"}), clock=clock)


@pytest.fixture
async def http(emulator: KenjoEmulator) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as client:
        yield client


async def login(http: httpx.AsyncClient, api_key: str = KEY) -> dict[str, str]:
    response = await http.post("/api/v1/auth/login", json={"apiKey": api_key})
    assert response.status_code == 200, response.text
    return {"Authorization": response.json()["token"]}


def set_path(type_id: str, employee_id: str) -> str:
    return f"/api/v1/time-off/set-balance/{type_id}/{employee_id}"


async def admin_balance(
    http: httpx.AsyncClient, type_id: str, employee_id: str, tenant: str = "default"
) -> Any:
    response = await http.get(
        f"/_emulator/balances/{type_id}/{employee_id}", params={"tenant": tenant}
    )
    assert response.status_code == 200, response.text
    return response.json()


async def history(http: httpx.AsyncClient, tenant: str = "default") -> list[Any]:
    response = await http.get("/_emulator/history", params={"tenant": tenant})
    return list(response.json()["data"])


# -- login ------------------------------------------------------------------------------------


async def test_login_with_the_api_key_gives_a_bearer_token_for_48_hours(
    http: httpx.AsyncClient, clock: Clock
) -> None:
    response = await http.post("/api/v1/auth/login", json={"apiKey": KEY})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "X-Expires-After"}
    assert body["token"].startswith("Bearer ey")
    assert body["token"].count(".") == 2
    expires = datetime.fromisoformat(body["X-Expires-After"])
    assert expires == clock.now + timedelta(hours=48)
    assert body["X-Expires-After"].endswith("Z")


async def test_the_api_key_itself_is_not_a_bearer_token(http: httpx.AsyncClient) -> None:
    response = await http.get("/api/v1/employees", headers={"Authorization": f"Bearer {KEY}"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"apiKey": "nope"}, 401),
        ({}, 400),
        ({"apiKey": 5}, 400),
        ([KEY], 400),
    ],
)
async def test_login_refusals(http: httpx.AsyncClient, body: Any, status: int) -> None:
    response = await http.post("/api/v1/auth/login", json=body)
    assert response.status_code == status
    assert response.json()["code"] == status
    assert isinstance(response.json()["message"], str)


async def test_a_session_expires_after_48_hours(http: httpx.AsyncClient, clock: Clock) -> None:
    headers = await login(http)
    clock.now += timedelta(hours=47, minutes=59)
    assert (await http.get("/api/v1/employees", headers=headers)).status_code == 200
    clock.now += timedelta(minutes=1)
    response = await http.get("/api/v1/employees", headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == 401


async def test_logout_ends_the_session(http: httpx.AsyncClient) -> None:
    headers = await login(http)
    assert (await http.post("/api/v1/auth/logout", headers=headers)).status_code == 204
    assert (await http.get("/api/v1/employees", headers=headers)).status_code == 401
    assert (await http.post("/api/v1/auth/logout", headers=headers)).status_code == 401


# -- set-balance: the seed --------------------------------------------------------------------


async def test_seed_four_days_taken_set_10_gives_allowance_14(http: httpx.AsyncClient) -> None:
    headers = await login(http)
    response = await http.put(
        set_path(VACATION_TYPE_ID, EMPLOYEE_TAKEN_ID),
        json={"balance": 10, "description": "corrected"},
        headers=headers,
    )
    assert response.status_code == 200
    assert response.json()["totalAllowance"] == 14
    balance = await admin_balance(http, VACATION_TYPE_ID, EMPLOYEE_TAKEN_ID)
    assert balance == {
        "timeOffTypeId": VACATION_TYPE_ID, "employeeId": EMPLOYEE_TAKEN_ID, "balance": 10,
        "totalAllowance": 14, "taken": 4, "planned": 0, "available": 10, "unit": "days",
    }  # fmt: skip


async def test_seed_four_days_planned_set_10_leaves_6_available(http: httpx.AsyncClient) -> None:
    headers = await login(http)
    response = await http.put(
        set_path(VACATION_TYPE_ID, EMPLOYEE_PLANNED_ID), json={"balance": 10}, headers=headers
    )
    assert response.status_code == 200
    balance = await admin_balance(http, VACATION_TYPE_ID, EMPLOYEE_PLANNED_ID)
    assert (balance["balance"], balance["planned"], balance["available"]) == (10, 4, 6)


@pytest.mark.parametrize(
    ("value", "allowance", "available"),
    [(-3, 1, -3), (0, 4, 0), (2.5, 6.5, 2.5), (0.1, 4.1, 0.1)],
)
async def test_any_finite_balance_back_solves_the_allowance_exactly(
    http: httpx.AsyncClient, value: float, allowance: float, available: float
) -> None:
    headers = await login(http)
    response = await http.put(
        set_path(VACATION_TYPE_ID, EMPLOYEE_TAKEN_ID), json={"balance": value}, headers=headers
    )
    assert response.status_code == 200
    balance = await admin_balance(http, VACATION_TYPE_ID, EMPLOYEE_TAKEN_ID)
    assert (balance["balance"], balance["totalAllowance"]) == (value, allowance)
    assert balance["available"] == available


async def test_hours_types_answer_in_hours(http: httpx.AsyncClient) -> None:
    headers = await login(http)
    response = await http.put(
        set_path(OVERTIME_TYPE_ID, EMPLOYEE_UNASSIGNED_ID), json={"balance": 7.5}, headers=headers
    )
    assert response.json()["unit"] == "hours"
    assert response.json()["balance"] == 7.5


async def test_every_set_is_written_to_the_history_with_its_description(
    http: httpx.AsyncClient, clock: Clock
) -> None:
    headers = await login(http)
    path = set_path(VACATION_TYPE_ID, EMPLOYEE_TAKEN_ID)
    await http.put(path, json={"balance": 10, "description": "first"}, headers=headers)
    await http.put(path, json={"balance": 10}, headers=headers)
    entries = await history(http)
    assert [(e["previousBalance"], e["newBalance"], e["description"]) for e in entries] == [
        (26, 10, "first"),
        (10, 10, None),
    ]
    assert entries[0]["createdAt"] == "2025-05-01T12:00:00.000Z"


async def test_a_1000_character_description_is_accepted(http: httpx.AsyncClient) -> None:
    headers = await login(http)
    response = await http.put(
        set_path(VACATION_TYPE_ID, EMPLOYEE_TAKEN_ID),
        json={"balance": 1, "description": "d" * 1000},
        headers=headers,
    )
    assert response.status_code == 200


# -- set-balance: errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_id", "employee_id", "message"),
    [
        (VACATION_TYPE_ID, EMPLOYEE_UNASSIGNED_ID, "not assigned"),
        (UNKNOWN_ID, EMPLOYEE_TAKEN_ID, "time off type not found"),
        (VACATION_TYPE_ID, UNKNOWN_ID, "employee not found"),
        ("not-an-object-id", EMPLOYEE_TAKEN_ID, "time off type not found"),
    ],
)
async def test_unknown_or_unassigned_pairs_answer_404(
    http: httpx.AsyncClient, type_id: str, employee_id: str, message: str
) -> None:
    headers = await login(http)
    response = await http.put(set_path(type_id, employee_id), json={"balance": 1}, headers=headers)
    assert response.status_code == 404
    assert response.json()["code"] == 404
    assert message in response.json()["message"]
    assert await history(http) == []


@pytest.mark.parametrize(
    "raw",
    [
        b'{"description": "no balance"}',
        b'{"balance": null}',
        b'{"balance": "10"}',
        b'{"balance": true}',
        b'{"balance": NaN}',
        b'{"balance": Infinity}',
        b'{"balance": 1e400}',
        b'{"balance": 1, "description": 7}',
        b'{"balance": 1, "description": "' + b"x" * 1001 + b'"}',
        b"[1]",
        b"{not json",
        b"",
    ],
)
async def test_bad_bodies_answer_400_and_change_nothing(
    http: httpx.AsyncClient, raw: bytes
) -> None:
    headers = {**await login(http), "Content-Type": "application/json"}
    path = set_path(VACATION_TYPE_ID, EMPLOYEE_TAKEN_ID)
    response = await http.put(path, content=raw, headers=headers)
    assert response.status_code == 400
    assert response.json()["code"] == 400
    assert response.json()["message"]
    assert (await admin_balance(http, VACATION_TYPE_ID, EMPLOYEE_TAKEN_ID))["balance"] == 26
    assert await history(http) == []


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer forged.token.value"}, {"Authorization": "Basic abc"}],
)
async def test_missing_or_wrong_tokens_answer_401(
    http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await http.put(
        set_path(VACATION_TYPE_ID, EMPLOYEE_TAKEN_ID), json={"balance": 1}, headers=headers
    )
    assert response.status_code == 401
    assert response.json()["code"] == 401


async def test_the_readonly_key_may_read_but_not_set_a_balance(http: httpx.AsyncClient) -> None:
    headers = await login(http, KEY + "-readonly")
    assert (await http.get("/api/v1/employees", headers=headers)).status_code == 200
    response = await http.put(
        set_path(VACATION_TYPE_ID, EMPLOYEE_TAKEN_ID), json={"balance": 1}, headers=headers
    )
    assert response.status_code == 403
    assert response.json()["code"] == 403
    # Permission is checked before the body and the ids.
    bad = await http.put(set_path(UNKNOWN_ID, UNKNOWN_ID), content=b"{", headers=headers)
    assert bad.status_code == 403


async def test_revoking_the_permission_in_state_answers_403(
    http: httpx.AsyncClient, emulator: KenjoEmulator
) -> None:
    headers = await login(http)
    emulator.state_for("default").set_balance_permission = False
    response = await http.put(
        set_path(VACATION_TYPE_ID, EMPLOYEE_TAKEN_ID), json={"balance": 1}, headers=headers
    )
    assert response.status_code == 403


# -- reads ------------------------------------------------------------------------------------


async def test_employees_come_in_a_data_envelope(http: httpx.AsyncClient) -> None:
    response = await http.get("/api/v1/employees", headers=await login(http))
    ids = [e["_id"] for e in response.json()["data"]]
    assert ids == [EMPLOYEE_TAKEN_ID, EMPLOYEE_PLANNED_ID, EMPLOYEE_UNASSIGNED_ID]


def many_requests(n: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"{i:024x}",
            "user_id": EMPLOYEE_TAKEN_ID,
            "time_off_type_id": VACATION_TYPE_ID,
            "start": f"2025-03-{1 + i % 28:02d}",
            "end": f"2025-03-{1 + i % 28:02d}",
            "status": "Approved" if i % 2 else "Pending",
        }
        for i in range(n)
    ]


async def test_requests_are_paged_by_page_number(
    http: httpx.AsyncClient, emulator: KenjoEmulator
) -> None:
    emulator.load_state({"requests": many_requests(60)})
    headers = await login(http)
    seen: list[str] = []
    for page in (1, 2, 3):
        response = await http.get(
            "/api/v1/time-off/requests",
            params={"from": "2025-03-01", "to": "2025-03-31", "offset": page, "limit": 25},
            headers=headers,
        )
        body = response.json()
        assert body["metadata"] == {
            "count": [25, 25, 10][page - 1], "offset": page, "limit": 25, "total": 60,
        }  # fmt: skip
        seen += [r["_id"] for r in body["data"]]
    assert sorted(seen) == sorted(f"{i:024x}" for i in range(60))
    default = await http.get(
        "/api/v1/time-off/requests", params={"from": "2025-03-01", "to": "2025-03-31"},
        headers=headers,
    )  # fmt: skip
    assert default.json()["metadata"] == {"count": 50, "offset": 1, "limit": 50, "total": 60}


async def test_requests_filter_by_status_and_window(
    http: httpx.AsyncClient, emulator: KenjoEmulator
) -> None:
    emulator.load_state({"requests": many_requests(10)})
    headers = await login(http)
    response = await http.get(
        "/api/v1/time-off/requests",
        params={"from": "2025-03-01", "to": "2025-03-03", "status": "Approved"},
        headers=headers,
    )
    assert [r["from"] for r in response.json()["data"]] == ["2025-03-02"]


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2025-01-01", "to": "2025-04-03"},
        {"from": "2025-02-01", "to": "2025-01-01"},
        {"to": "2025-01-31"},
        {"from": "2025-01-01"},
        {"from": "01.01.2025", "to": "2025-01-31"},
        {"from": "2025-01-01", "to": "2025-01-31", "limit": "30"},
        {"from": "2025-01-01", "to": "2025-01-31", "limit": "many"},
        {"from": "2025-01-01", "to": "2025-01-31", "offset": "0"},
        {"from": "2025-01-01", "to": "2025-01-31", "userId": "42"},
    ],
)
async def test_bad_request_queries_answer_400(
    http: httpx.AsyncClient, params: dict[str, str]
) -> None:
    response = await http.get("/api/v1/time-off/requests", params=params, headers=await login(http))
    assert response.status_code == 400
    assert response.json()["code"] == 400


async def test_a_92_day_window_is_accepted(http: httpx.AsyncClient) -> None:
    response = await http.get(
        "/api/v1/time-off/requests",
        params={"from": "2025-01-01", "to": "2025-04-02"},
        headers=await login(http),
    )
    assert response.status_code == 200


async def test_unknown_routes_and_methods_answer_in_kenjo_style(http: httpx.AsyncClient) -> None:
    missing = await http.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json() == {"code": 404, "message": "Not Found"}
    wrong = await http.delete("/api/v1/employees")
    assert wrong.status_code == 405
    assert wrong.json()["code"] == 405


# -- tenants, admin, faults -------------------------------------------------------------------


async def test_tenants_are_isolated(http: httpx.AsyncClient) -> None:
    await http.put(
        set_path(VACATION_TYPE_ID, EMPLOYEE_TAKEN_ID), json={"balance": 10},
        headers=await login(http, OTHER_KEY),
    )  # fmt: skip
    assert (await admin_balance(http, VACATION_TYPE_ID, EMPLOYEE_TAKEN_ID, "b"))["balance"] == 10
    assert (await admin_balance(http, VACATION_TYPE_ID, EMPLOYEE_TAKEN_ID))["balance"] == 26
    assert await history(http) == []
    assert len(await history(http, "b")) == 1


async def test_admin_state_round_trips_as_json(http: httpx.AsyncClient) -> None:
    await http.put(
        set_path(VACATION_TYPE_ID, EMPLOYEE_TAKEN_ID), json={"balance": 2.5},
        headers=await login(http),
    )  # fmt: skip
    dumped = (await http.get("/_emulator/state")).json()
    assert (await http.post("/_emulator/reset")).status_code == 200
    assert (await admin_balance(http, VACATION_TYPE_ID, EMPLOYEE_TAKEN_ID))["balance"] == 26
    assert (await http.put("/_emulator/state", json=dumped)).status_code == 200
    assert (await http.get("/_emulator/state")).json() == dumped
    assert (await admin_balance(http, VACATION_TYPE_ID, EMPLOYEE_TAKEN_ID))["balance"] == 2.5


async def test_admin_read_of_an_unassigned_pair_is_404(http: httpx.AsyncClient) -> None:
    response = await http.get(f"/_emulator/balances/{VACATION_TYPE_ID}/{EMPLOYEE_UNASSIGNED_ID}")
    assert response.status_code == 404


async def test_injected_faults_use_kenjo_error_bodies(http: httpx.AsyncClient) -> None:
    headers = await login(http)
    await http.put("/_emulator/faults", json={"error_rate": 1, "error_status": 500})
    response = await http.get("/api/v1/employees", headers=headers)
    assert response.status_code == 500
    assert response.json() == {"code": 500, "message": "injected fault"}


async def test_apply_then_fail_applies_the_set_but_answers_500(http: httpx.AsyncClient) -> None:
    headers = await login(http)
    await http.put("/_emulator/faults", json={"apply_then_fail_rate": 1, "methods": ["PUT"]})
    response = await http.put(
        set_path(VACATION_TYPE_ID, EMPLOYEE_TAKEN_ID), json={"balance": 10}, headers=headers
    )
    assert response.status_code == 500
    assert (await admin_balance(http, VACATION_TYPE_ID, EMPLOYEE_TAKEN_ID))["totalAllowance"] == 14


async def test_openapi_documents_the_kenjo_routes_only(http: httpx.AsyncClient) -> None:
    paths = set((await http.get("/openapi.json")).json()["paths"])
    assert paths == {
        "/api/v1/auth/login", "/api/v1/auth/logout", "/api/v1/employees",
        "/api/v1/time-off/requests", "/api/v1/time-off/set-balance/{timeOffTypeId}/{employeeId}",
    }  # fmt: skip


def test_the_registry_builds_it_and_it_prints_both_keys() -> None:
    assert "kenjo" in available_vendors()
    emulator = build_emulator("kenjo", EmulatorOptions(token="demo-token"))
    assert isinstance(emulator, KenjoEmulator)
    text = "\n".join(emulator.credentials_text())
    assert "demo-token" in text
    assert "demo-token-readonly" in text


# -- the admin read (GET /_emulator/balances; tests/adapters/_emulator/test_admin_balances.py)


async def test_kenjo_remaining_is_allowance_minus_taken() -> None:
    emulator = build_emulator("kenjo", EmulatorOptions(token=ADMIN_TOKEN))
    (state,) = emulator.tenants.values()
    body = await admin_balances(emulator.app)
    shown = {(b["employee"], b["leave_type"]): b for b in body["balances"]}
    assert len(shown) == len(state.assignments)
    for a in state.assignments:
        b = shown[(a.employee_id, a.time_off_type_id)]
        assert Decimal(b["remaining"]) == a.total_allowance - a.taken
        assert Decimal(b["pending"]) == a.planned
