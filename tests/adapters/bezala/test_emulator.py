"""The Bezala emulator in-process: the seed's examples verbatim, arithmetic, errors, tenants,
the admin API and faults."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from balance_gateway.adapters._emulator import EmulatorOptions, build_emulator
from balance_gateway.adapters.bezala.emulator import BezalaEmulator
from tests.adapters._emulator.test_admin_balances import TOKEN as ADMIN_TOKEN
from tests.adapters._emulator.test_admin_balances import admin_balances

TOKEN = "emulator-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
LIST = "/api/users/819/time_balances"

# The example body of `GET /api/users/:user_id/time_balances` in seed 001, character for character.
SEED_LIST_BODY = """{
  "collection": [
    {
      "id": 2,
      "user_id": 819,
      "balance_type": "vacation",
      "date": "2025-03-31",
      "value": 5.0,
      "units": "days",
      "creator_id": 42,
      "creator_name": "John Smith"
    },
    {
      "id": 1,
      "user_id": 819,
      "balance_type": "work_time",
      "date": "2025-03-15",
      "value": 75,
      "units": "minutes",
      "creator_id": 42,
      "creator_name": "John Smith"
    }
  ],
  "pagination": {
    "current_page": 1,
    "total_pages": 1,
    "total_count": 2
  }
}"""


def make(**options: Any) -> BezalaEmulator:
    emulator = build_emulator("bezala", EmulatorOptions(token=TOKEN, **options))
    assert isinstance(emulator, BezalaEmulator)
    return emulator


@pytest.fixture
def emulator() -> BezalaEmulator:
    return make()


@pytest.fixture
async def api(emulator: BezalaEmulator) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://emulator", headers=AUTH
    ) as client:
        yield client


def vacation(date: str, value: Any) -> dict[str, Any]:
    return {"time_balance": {"balance_type": "vacation", "date": date, "value": value}}


# -- the seed's examples ----------------------------------------------------------------------


async def test_the_seed_list_example_answers_verbatim(api: httpx.AsyncClient) -> None:
    response = await api.get(LIST)

    assert response.status_code == 200
    assert response.json() == json.loads(SEED_LIST_BODY)
    # The exact JSON numbers of the example: 5.0 (days) and 75 (integer minutes).
    assert json.dumps(response.json(), indent=2) == SEED_LIST_BODY


async def test_the_seed_latest_examples_answer_verbatim(api: httpx.AsyncClient) -> None:
    latest = await api.get(f"{LIST}/latest")
    none_yet = await api.get("/api/users/42/time_balances/latest")

    assert latest.json() == json.loads(SEED_LIST_BODY)["collection"][0]
    assert none_yet.status_code == 200
    assert none_yet.json() == {}


# -- arithmetic: filters, sorting, pagination, latest -----------------------------------------


async def test_import_then_latest_returns_it_and_delete_removes_it(api: httpx.AsyncClient) -> None:
    created = await api.post(LIST, json=vacation("2025-06-30", 7.5))
    latest = await api.get(f"{LIST}/latest", params={"balance_type": "vacation"})
    deleted = await api.delete(f"{LIST}/{created.json()['id']}")
    after = await api.get(f"{LIST}/latest", params={"balance_type": "vacation"})
    again = await api.delete(f"{LIST}/{created.json()['id']}")

    assert created.status_code == 201
    assert created.json() == {
        "id": 3,
        "user_id": 819,
        "balance_type": "vacation",
        "date": "2025-06-30",
        "value": 7.5,
        "units": "days",
        "creator_id": 42,
        "creator_name": "John Smith",
    }
    assert latest.json() == created.json()
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert after.json()["id"] == 2
    assert again.status_code == 404


async def test_ids_increase_per_tenant(api: httpx.AsyncClient) -> None:
    ids = [(await api.post(LIST, json=vacation("2025-01-01", n))).json()["id"] for n in range(3)]
    await api.delete(f"{LIST}/{ids[-1]}")
    following = (await api.post(LIST, json=vacation("2025-01-01", 9))).json()["id"]

    assert ids == [3, 4, 5]
    assert following == 6


async def test_latest_breaks_a_date_tie_by_the_highest_id(api: httpx.AsyncClient) -> None:
    await api.post(LIST, json=vacation("2025-03-31", 3))
    newest = await api.post(LIST, json=vacation("2025-03-31", 4))

    latest = await api.get(f"{LIST}/latest")

    assert latest.json() == newest.json()


async def test_latest_filters_by_type(api: httpx.AsyncClient) -> None:
    latest = await api.get(f"{LIST}/latest", params={"balance_type": "work_time"})

    assert latest.json()["id"] == 1
    assert latest.json()["value"] == 75


async def test_form_fields_import_like_json(api: httpx.AsyncClient) -> None:
    created = await api.post(
        LIST,
        data={
            "time_balance[balance_type]": "work_time",
            "time_balance[date]": "2025-04-30",
            "time_balance[value]": "-90",
        },
    )

    assert created.status_code == 201
    assert created.json()["value"] == -90
    assert created.json()["units"] == "minutes"


async def test_list_filters_sorts_and_paginates(api: httpx.AsyncClient) -> None:
    for day, value in [("2024-03-31", 2.5), ("2023-03-31", 1), ("2022-03-31", 9)]:
        await api.post(LIST, json=vacation(day, value))

    page_2 = await api.get(LIST, params={"balance_type": "vacation", "per_page": 3, "page": 2})
    by_value = await api.get(
        LIST, params={"balance_type": "vacation", "sort_by": "value", "order": "asc"}
    )
    beyond = await api.get(LIST, params={"page": 9})

    assert [r["date"] for r in page_2.json()["collection"]] == ["2022-03-31"]
    assert page_2.json()["pagination"] == {"current_page": 2, "total_pages": 2, "total_count": 4}
    assert [r["value"] for r in by_value.json()["collection"]] == [1.0, 2.5, 5.0, 9.0]
    assert beyond.json() == {
        "collection": [],
        "pagination": {"current_page": 9, "total_pages": 1, "total_count": 5},
    }


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}]
)
async def test_requests_without_a_valid_bearer_token_answer_401(
    api: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    api.headers.pop("Authorization")

    response = await api.get(LIST, headers=headers)

    assert response.status_code == 401
    assert response.json() == {"error": "Invalid or missing access token"}
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/users/1/time_balances"),
        ("GET", "/api/users/1/time_balances/latest"),
        ("POST", "/api/users/1/time_balances"),
        ("DELETE", "/api/users/1/time_balances/1"),
        ("DELETE", "/api/users/42/time_balances/1"),  # a record of another user
        ("GET", "/api/nothing/here"),
    ],
)
async def test_unknown_users_records_and_routes_answer_404(
    api: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await api.request(method, path, json=vacation("2025-01-01", 1))

    assert response.status_code == 404
    assert isinstance(response.json()["error"], str)


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {"time_balance": {"balance_type": "work_time", "date": "2025-03-15", "value": 1.5}},
            {"value": ["must be an integer number of minutes for work_time"]},
        ),
        (vacation("2025-02-30", 1), {"date": ["is not a valid date (YYYY-MM-DD)"]}),
        (vacation("2025-3-1", 1), {"date": ["is not a valid date (YYYY-MM-DD)"]}),
        (vacation("2025-03-01", "four"), {"value": ["must be a Numeric"]}),
        (vacation("2025-03-01", True), {"value": ["must be a Numeric"]}),
        (vacation("2025-03-01", 1e12), {"value": ["must be between -1000000000 and 1000000000"]}),
        (
            {"time_balance": {"balance_type": "sick", "date": 20250301}},
            {
                "balance_type": ["must be one of: work_time, vacation"],
                "date": ["must be a String"],
                "value": ["can't be blank"],
            },
        ),
        ({"time_balance": [1, 2]}, {"time_balance": ["must be a Hash"]}),
        ({}, {"time_balance": ["is missing"]}),
    ],
)
async def test_invalid_imports_answer_422_with_field_detail(
    api: httpx.AsyncClient, body: Any, errors: dict[str, list[str]]
) -> None:
    response = await api.post(LIST, json=body)

    assert response.status_code == 422
    assert response.json() == {"error": "Validation failed", "errors": errors}


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/users/abc/time_balances", {}, "user_id"),
        (LIST, {"page": "0"}, "page"),
        (LIST, {"per_page": "x"}, "per_page"),
        (LIST, {"order": "up"}, "order"),
        (LIST, {"balance_type": "sick"}, "balance_type"),
        (LIST, {"sort_by": "colour"}, "sort_by"),
        (f"{LIST}/latest", {"balance_type": "sick"}, "balance_type"),
    ],
)
async def test_invalid_parameters_answer_422_naming_the_field(
    api: httpx.AsyncClient, path: str, params: dict[str, str], field: str
) -> None:
    response = await api.get(path, params=params)

    assert response.status_code == 422
    assert list(response.json()["errors"]) == [field]


async def test_a_non_integer_record_id_answers_422(api: httpx.AsyncClient) -> None:
    response = await api.delete(f"{LIST}/latest")

    assert response.status_code == 422
    assert response.json()["errors"] == {"id": ["must be an Integer"]}


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"\xff\xfe", "application/json"),
        (b"time_balance[value]=%ZZ&&=", "application/x-www-form-urlencoded"),
        (b'{"time_balance": {"balance_type": "vacation", "date": "2025-01-01", "value": NaN}}', ""),
    ],
)
async def test_malformed_bodies_get_a_4xx(
    api: httpx.AsyncClient, content: bytes, content_type: str
) -> None:
    response = await api.post(LIST, content=content, headers={"Content-Type": content_type})

    assert 400 <= response.status_code < 500
    assert isinstance(response.json()["error"], str)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    time_balance=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=8,
    )
    | st.fixed_dictionaries(
        {
            "balance_type": st.sampled_from(["vacation", "work_time", "", "x"]),
            "date": st.text(max_size=12) | st.dates().map(str),
            "value": st.integers() | st.floats() | st.text(max_size=8),
        }
    ),
)
async def test_nothing_posted_makes_it_answer_500(time_balance: Any) -> None:
    transport = httpx.ASGITransport(app=make().app)
    async with httpx.AsyncClient(transport=transport, base_url="http://e", headers=AUTH) as api:
        body = json.dumps({"time_balance": time_balance}).encode()
        response = await api.post(LIST, content=body, headers={"Content-Type": "application/json"})

    assert response.status_code in (201, 422)
    assert response.json()


# -- login and tenants ------------------------------------------------------------------------


@pytest.mark.parametrize("as_form", [False, True])
async def test_login_issues_a_token_acting_as_the_login_user(
    api: httpx.AsyncClient, as_form: bool
) -> None:
    api.headers.pop("Authorization")
    credentials = {"email": "admin@example.com", "password": "demo-password"}

    if as_form:
        login = await api.post("/api/auth/token", data=credentials)
    else:
        login = await api.post("/api/auth/token", json=credentials)
    token = login.json()["token"]
    created = await api.post(
        LIST, json=vacation("2025-05-31", 1), headers={"Authorization": f"Bearer {token}"}
    )

    assert login.status_code == 200
    assert login.json()["expires_in"] == 86400
    assert created.status_code == 201
    assert created.json()["creator_id"] == 42


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"email": "admin@example.com", "password": "wrong"}, 401),
        ({"email": "nobody@example.com", "password": "demo-password"}, 401),
        ({"email": "admin@example.com"}, 422),
    ],
)
async def test_refused_logins(api: httpx.AsyncClient, body: Any, status: int) -> None:
    response = await api.post("/api/auth/token", json=body)

    assert response.status_code == status
    assert "token" not in response.json()


async def test_tenants_do_not_see_each_other() -> None:
    emulator = make(tenants={"other-token": "other"})
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://e") as api:
        await api.post(LIST, json=vacation("2025-09-30", 3), headers=AUTH)
        mine = await api.get(LIST, headers=AUTH)
        theirs = await api.get(LIST, headers={"Authorization": "Bearer other-token"})

    assert mine.json()["pagination"]["total_count"] == 3
    assert theirs.json()["pagination"]["total_count"] == 2


# -- admin API and faults ---------------------------------------------------------------------


async def test_state_round_trips_through_the_admin_api(api: httpx.AsyncClient) -> None:
    await api.post(LIST, json=vacation("2025-09-30", 3.25))
    dumped = (await api.get("/_emulator/state")).json()

    fresh = make()
    transport = httpx.ASGITransport(app=fresh.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://e", headers=AUTH) as other:
        loaded = await other.put("/_emulator/state", json=dumped)
        listed = await other.get(LIST)
        next_one = await other.post(LIST, json=vacation("2025-10-31", 1))

    assert loaded.status_code == 200
    assert listed.json() == (await api.get(LIST)).json()
    assert listed.json()["collection"][0]["value"] == 3.25
    assert next_one.json()["id"] == 4


async def test_loaded_state_from_a_file(tmp_path: Path) -> None:
    state = {"users": [{"id": 7, "name": "Ann"}], "time_balances": []}
    path = tmp_path / "state.json"
    path.write_text(json.dumps({"tenants": {"default": state}}))
    transport = httpx.ASGITransport(app=make(data=path).app)
    async with httpx.AsyncClient(transport=transport, base_url="http://e", headers=AUTH) as api:
        ann = await api.get("/api/users/7/time_balances")
        gone = await api.get(LIST)

    assert ann.json()["pagination"]["total_count"] == 0
    assert gone.status_code == 404


async def test_reset_restores_the_sample(api: httpx.AsyncClient) -> None:
    await api.delete(f"{LIST}/1")

    await api.post("/_emulator/reset")

    assert (await api.get(LIST)).json() == json.loads(SEED_LIST_BODY)


async def test_injected_errors_use_the_vendor_style(api: httpx.AsyncClient) -> None:
    await api.put("/_emulator/faults", json={"error_rate": 1, "error_status": 503})

    response = await api.get(LIST)

    assert response.status_code == 503
    assert response.json() == {"error": "injected fault"}


async def test_throttling_answers_429_with_retry_after(api: httpx.AsyncClient) -> None:
    await api.put("/_emulator/faults", json={"throttle_rate": 1, "retry_after_seconds": 3})

    response = await api.get(LIST)

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"
    assert response.json() == {"error": "rate limit exceeded"}


async def test_apply_then_fail_keeps_the_import(api: httpx.AsyncClient) -> None:
    await api.put("/_emulator/faults", json={"apply_then_fail_rate": 1})

    failed = await api.post(LIST, json=vacation("2025-12-31", 2))
    await api.put("/_emulator/faults", json={})
    latest = await api.get(f"{LIST}/latest")

    assert failed.status_code == 500
    assert latest.json()["date"] == "2025-12-31"


async def test_openapi_documents_the_vendor_routes(api: httpx.AsyncClient) -> None:
    paths = (await api.get("/openapi.json")).json()["paths"]

    assert set(paths) == {
        "/api/auth/token",
        "/api/users",
        "/api/users/{user_id}/time_balances",
        "/api/users/{user_id}/time_balances/latest",
        "/api/users/{user_id}/time_balances/{id}",
    }


def test_credentials_text_names_token_login_and_creator(emulator: BezalaEmulator) -> None:
    text = "\n".join(emulator.credentials_text())

    assert TOKEN in text
    assert "creator_id=42" in text
    assert "admin@example.com" in text
    assert "demo-password" in text


async def test_users_are_listed_in_pages_without_passwords(api: httpx.AsyncClient) -> None:
    first = await api.get("/api/users", params={"per_page": 1})
    second = await api.get("/api/users", params={"per_page": 1, "page": 2})
    past = await api.get("/api/users", params={"per_page": 1, "page": 3})

    assert first.status_code == second.status_code == 200
    assert [u["id"] for u in first.json() + second.json()] == [42, 819]
    assert second.json()[0] == {
        "id": 819,
        "name": "Aino Virtanen",
        "email": "aino.virtanen@example.com",
        "external_id": "1001",
    }
    assert past.json() == []
    assert "password" not in first.text


# -- the admin read (GET /_emulator/balances; tests/adapters/_emulator/test_admin_balances.py)


async def test_bezala_as_of_ignores_later_imports_and_dates_the_figure() -> None:
    emulator = build_emulator("bezala", EmulatorOptions(token=ADMIN_TOKEN))
    body = await admin_balances(emulator.app, as_of="2025-03-20")
    shown = {(b["employee"], b["leave_type"]): b for b in body["balances"]}
    # The vacation import of 2025-03-31 is later: only the work_time one of 2025-03-15 counts.
    assert set(shown) == {("819", "work_time")}
    assert shown[("819", "work_time")]["as_of"] == "2025-03-15"
