"""The Zeitstrom emulator in-process: the seed's examples, ledger arithmetic, DRF errors,
tenants, the admin API and faults."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from balance_gateway.adapters._emulator import EmulatorOptions, available_vendors, build_emulator
from balance_gateway.adapters.zeitstrom.emulator import ZeitstromEmulator
from tests.adapters._emulator.test_admin_balances import TOKEN as ADMIN_TOKEN
from tests.adapters._emulator.test_admin_balances import admin_balances

TOKEN = "emulator-test-token"
OTHER = "other-tenant-token"
ANNA = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
JONAS = "b2c3d4e5-f6a7-4890-9bcd-ef1234567891"
LIST = "/api/v2/timestamps/absence-transactions/"
AGG = LIST + "aggregate/"
T1 = "t1t1t1t1-t2t2-t3t3-t4t4-t5t5t5t5t5t5"
T2 = "t2t2t2t2-t3t3-t4t4-t5t5-t6t6t6t6t6t6"
AUTH = {"Authorization": f"Token {TOKEN}"}
CARRYOVER = {
    "employee_id": ANNA,
    "label": "Carryover from 2023",
    "missing_type": "holiday",
    "date": "2024-01-01",
    "amount": 5.0,
}


@pytest.fixture
def emulator() -> ZeitstromEmulator:
    return ZeitstromEmulator(EmulatorOptions(token=TOKEN, tenants={OTHER: "other"}))


@pytest.fixture
async def http(emulator: ZeitstromEmulator) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://emulator", headers=AUTH
    ) as client:
        yield client


async def net(http: httpx.AsyncClient, employee: str = ANNA, kind: str = "holiday") -> float:
    body = (await http.get(AGG, params={"employee_ids": employee, "balance": "true"})).json()
    rows = [r for r in body["results"] if r["missing_type"] == kind]
    return float(rows[0]["balance"]) if rows else 0.0


def test_the_registry_serves_zeitstrom() -> None:
    assert "zeitstrom" in available_vendors()
    emulator = build_emulator("zeitstrom", EmulatorOptions(token="T"))
    assert isinstance(emulator, ZeitstromEmulator)
    assert any("Token T" in line for line in emulator.credentials_text())


async def test_the_seed_list_request_answers_the_seed_transactions(
    http: httpx.AsyncClient,
) -> None:
    response = await http.get(
        LIST, params={"employee_ids": ANNA, "daterange": "2024-01-01|2024-12-31"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert body["next"] is None
    assert body["results"][:2] == [
        {
            "id": T1,
            "employee_id": ANNA,
            "label": "Annual vacation entitlement 2024",
            "missing_type": "holiday",
            "date": "2024-01-01",
            "amount": 30.0,
            "source": "repeating-rule",
        },
        {
            "id": T2,
            "employee_id": ANNA,
            "label": "Summer vacation",
            "missing_type": "holiday",
            "date": "2024-06-10",
            "amount": 5.0,
            "source": "absence",
        },
    ]
    assert b'"amount":30.0' in response.content.replace(b" ", b"")


@pytest.mark.parametrize(
    ("params", "ids"),
    [
        ({"employee_ids": f"{ANNA}|{JONAS}", "sources": "one-time-rule"}, ["0a1b2c3d"]),
        ({"employee_ids": ANNA, "quote_mode": "no-quota"}, ["5e1f0c2a"]),
        ({"employee_ids": ANNA, "sources": "absence,manual", "quote_mode": "quota"},
         ["t2t2t2t2", "t3t3t3t3"]),
        ({"daterange": "2025-01-01|2025-12-31"}, ["5e1f0c2a"]),
        ({"daterange": "2024-06-10|2024-06-10"}, ["t2t2t2t2"]),
        ({"employee_ids": "nobody"}, []),
    ],
)  # fmt: skip
async def test_list_filters(
    http: httpx.AsyncClient, params: dict[str, str], ids: list[str]
) -> None:
    body = (await http.get(LIST, params=params)).json()
    assert [r["id"][:8] for r in body["results"]] == ids
    assert body["count"] == len(ids)


async def test_pagination_walks_by_limit_and_offset(http: httpx.AsyncClient) -> None:
    first = (await http.get(LIST, params={"limit": "3"})).json()
    assert first["count"] == 7
    assert len(first["results"]) == 3
    assert first["previous"] is None
    second = (await http.get(first["next"])).json()
    third = (await http.get(second["next"])).json()
    assert third["next"] is None
    assert second["previous"] is not None
    seen = [r["id"] for page in (first, second, third) for r in page["results"]]
    assert len(seen) == len(set(seen)) == 7


async def test_limit_above_the_maximum_is_cut_to_1000(
    emulator: ZeitstromEmulator, http: httpx.AsyncClient
) -> None:
    state = emulator.state_for("default")
    template = state.transactions[0]
    state.transactions = [template.model_copy(update={"id": f"x{i}"}) for i in range(1200)]
    body = (await http.get(LIST, params={"limit": "5000"})).json()
    assert body["count"] == 1200
    assert len(body["results"]) == 1000
    assert (await http.get(LIST)).json()["results"].__len__() == 100


async def test_a_manual_credit_of_5_raises_the_net_by_exactly_5(http: httpx.AsyncClient) -> None:
    before = await net(http)
    response = await http.post(LIST, json=CARRYOVER)
    assert response.status_code == 201
    created = response.json()
    assert created["source"] == "manual"
    assert {k: created[k] for k in CARRYOVER} == CARRYOVER
    assert await net(http) == before + 5


async def test_source_is_read_only_on_create(http: httpx.AsyncClient) -> None:
    created = (await http.post(LIST, json={**CARRYOVER, "source": "absence"})).json()
    assert created["source"] == "manual"


async def test_aggregate_arithmetic_net_and_gross(http: httpx.AsyncClient) -> None:
    await http.post(LIST, json={**CARRYOVER, "employee_id": JONAS, "amount": "1.25"})
    body = (await http.get(AGG, params={"employee_ids": JONAS, "balance": "true"})).json()
    assert body == {
        "count": 1,
        "results": [
            {
                "employee_id": JONAS,
                "missing_type": "holiday",
                "credited": 28.25,
                "debited": 7.0,
                "balance": 21.25,
            }
        ],
    }
    gross = (await http.get(AGG, params={"employee_ids": JONAS, "balance": "false"})).json()
    assert gross["results"][0]["totals"] == {
        "manual": 1.25,
        "absence": 7.0,
        "one-time-rule": 2.0,
        "repeating-rule": 25.0,
    }
    everyone = (await http.get(AGG, params={"balance": "true"})).json()
    assert [(r["employee_id"], r["missing_type"]) for r in everyone["results"]] == [
        (ANNA, "holiday"),
        (ANNA, "sickness"),
        (JONAS, "holiday"),
    ]


async def test_update_and_delete_of_a_manual_transaction(http: httpx.AsyncClient) -> None:
    created = (await http.post(LIST, json=CARRYOVER)).json()
    path = f"{LIST}{created['id']}/"
    updated = await http.put(path, json={**CARRYOVER, "label": "Updated", "amount": 7.0})
    assert updated.status_code == 200
    assert updated.json()["amount"] == 7.0
    assert updated.json()["source"] == "manual"
    assert await net(http) == 22 + 7
    deleted = await http.delete(path)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert await net(http) == 22
    assert (await http.delete(path)).json() == {"detail": "Not found."}


@pytest.mark.parametrize("target", [T1, T2])
async def test_non_manual_transactions_cannot_be_changed_or_deleted(
    emulator: ZeitstromEmulator, http: httpx.AsyncClient, target: str
) -> None:
    before = emulator.dump_state()
    put = await http.put(f"{LIST}{target}/", json=CARRYOVER)
    delete = await http.delete(f"{LIST}{target}/")
    assert (put.status_code, delete.status_code) == (403, 403)
    assert "manual" in delete.json()["detail"]
    assert emulator.dump_state() == before


NEGATIVE = "Ensure this value is greater than or equal to 0."
NOT_A_NUMBER = "A valid number is required."
BAD_DATE = "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({**CARRYOVER, "amount": -1}, {"amount": [NEGATIVE]}),
        ({**CARRYOVER, "amount": "abc"}, {"amount": [NOT_A_NUMBER]}),
        ({**CARRYOVER, "amount": True}, {"amount": [NOT_A_NUMBER]}),
        ({**CARRYOVER, "amount": "NaN"}, {"amount": [NOT_A_NUMBER]}),
        ({**CARRYOVER, "date": "2024-02-30"}, {"date": [BAD_DATE]}),
        ({**CARRYOVER, "missing_type": "x"}, {"missing_type": ['"x" is not a valid choice.']}),
        ({**CARRYOVER, "employee_id": "x"}, {"employee_id": ['Invalid pk "x" - object does not '
                                                             "exist."]}),
        ({**CARRYOVER, "label": 5}, {"label": ["Not a valid string."]}),
        ([CARRYOVER], {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}),
    ],
)  # fmt: skip
async def test_validation_errors_are_drf_style(
    emulator: ZeitstromEmulator, http: httpx.AsyncClient, body: Any, errors: dict[str, Any]
) -> None:
    before = emulator.dump_state()
    response = await http.post(LIST, json=body)
    assert response.status_code == 400
    assert response.json() == errors
    assert emulator.dump_state() == before


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "field"),
    [
        ("GET", LIST, {"params": {"daterange": "2024-12-31|2024-01-01"}}, "daterange"),
        ("GET", LIST, {"params": {"daterange": "2024-01-01"}}, "daterange"),
        ("GET", LIST, {"params": {"sources": "manual,bonus"}}, "sources"),
        ("GET", LIST, {"params": {"quote_mode": "some"}}, "quote_mode"),
        ("GET", AGG, {"params": {"balance": "maybe"}}, "balance"),
    ],
)
async def test_bad_filters_answer_400_naming_the_parameter(
    http: httpx.AsyncClient, method: str, path: str, kwargs: dict[str, Any], field: str
) -> None:
    response = await http.request(method, path, **kwargs)
    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("POST", LIST, {"content": b"{not json", "headers": {"content-type": "application/json"}}),
        ("POST", LIST, {"content": b"\xff\xfe", "headers": {"content-type": "application/json"}}),
        ("PUT", f"{LIST}{T1}/", {"content": b"[", "headers": {}}),
        ("PATCH", f"{LIST}{T1}/", {"json": {}}),
        ("GET", "/api/v2/nothing-here/", {}),
        ("GET", LIST, {"params": {"limit": "-5", "offset": "zz"}}),
    ],
)  # fmt: skip
async def test_nothing_answers_500(
    http: httpx.AsyncClient, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    response = await http.request(method, path, **kwargs)
    assert response.status_code < 500
    assert isinstance(response.json(), dict)


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ({}, "Authentication credentials were not provided."),
        ({"Authorization": "Bearer " + TOKEN}, "Authentication credentials were not provided."),
        ({"Authorization": "Token wrong-token"}, "Invalid token."),
    ],
)
async def test_auth_errors(
    emulator: ZeitstromEmulator, headers: dict[str, str], detail: str
) -> None:
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as client:
        response = await client.get(LIST, headers=headers)
    assert response.status_code == 401
    assert response.json() == {"detail": detail}


async def test_tenants_are_isolated(http: httpx.AsyncClient) -> None:
    other = {"Authorization": f"Token {OTHER}"}
    created = (await http.post(LIST, json=CARRYOVER)).json()
    other_list = (await http.get(LIST, headers=other, params={"sources": "manual"})).json()
    assert other_list["count"] == 0
    assert (await http.delete(f"{LIST}{created['id']}/", headers=other)).status_code == 404
    assert (await http.get(LIST, params={"sources": "manual"})).json()["count"] == 1


async def test_admin_state_round_trip(emulator: ZeitstromEmulator, http: httpx.AsyncClient) -> None:
    await http.post(LIST, json=CARRYOVER)
    dumped = (await http.get("/_emulator/state")).json()
    assert (await http.post("/_emulator/reset")).status_code == 200
    assert (await http.get(LIST, params={"sources": "manual"})).json()["count"] == 0
    assert (await http.put("/_emulator/state", json=dumped)).status_code == 200
    manual = (await http.get(LIST, params={"sources": "manual"})).json()
    assert manual["results"][0]["amount"] == 5.0
    assert (await http.get("/_emulator/state")).json() == dumped


async def test_apply_then_fail_applies_the_post_and_answers_500(
    http: httpx.AsyncClient,
) -> None:
    config = {"apply_then_fail_rate": 1, "methods": ["POST"]}
    assert (await http.put("/_emulator/faults", json=config)).status_code == 200
    response = await http.post(LIST, json=CARRYOVER)
    assert response.status_code == 500
    assert response.json() == {"detail": "injected failure after apply"}
    assert await net(http) == 27  # applied all the same
    faults = (await http.get("/_emulator/faults")).json()
    assert faults["counts"] == {"apply_then_fail": 1}


async def test_injected_errors_use_the_drf_detail(http: httpx.AsyncClient) -> None:
    await http.put("/_emulator/faults", json={"throttle_rate": 1, "retry_after_seconds": 2})
    response = await http.get(LIST)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "2"
    assert response.json() == {"detail": "rate limit exceeded"}


def test_openapi_documents_the_vendor_routes(emulator: ZeitstromEmulator) -> None:
    paths = emulator.app.openapi()["paths"]
    assert set(paths[LIST]) == {"get", "post"}
    assert set(paths[AGG]) == {"get"}
    assert set(paths[LIST + "{transaction_id}/"]) == {"put", "delete"}
    assert not any(p.startswith("/_emulator") for p in paths)


async def test_employees_are_listed_with_drf_pagination(http: httpx.AsyncClient) -> None:
    first = await http.get("/api/v2/employees/employees/", params={"limit": "1"})
    body = first.json()
    assert first.status_code == 200
    assert body["count"] == 2
    assert body["previous"] is None
    assert body["results"] == [
        {
            "id": ANNA,
            "first_name": "Anna",
            "last_name": "Becker",
            "email": "anna.becker@example.com",
            "accounting_number": "1",
            "archived_at": None,
        }
    ]
    following = await http.get(httpx.URL(body["next"]).raw_path.decode())
    assert [e["last_name"] for e in following.json()["results"]] == ["Weber"]
    assert following.json()["next"] is None


async def test_the_employee_list_needs_the_token(emulator: ZeitstromEmulator) -> None:
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as bare:
        response = await bare.get("/api/v2/employees/employees/")
    assert response.status_code == 401


# -- the admin read (GET /_emulator/balances; tests/adapters/_emulator/test_admin_balances.py)


async def test_zeitstrom_as_of_counts_later_absences_as_pending_and_later_credits_not() -> None:
    emulator = build_emulator("zeitstrom", EmulatorOptions(token=ADMIN_TOKEN))
    employee = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
    # The sample ledger: a credit of 30 on 2024-01-01, absences of 5 (2024-06-10) and 3
    # (2024-10-14). As of 2024-07-01 the October absence is planned, not taken.
    body = await admin_balances(emulator.app, as_of="2024-07-01")
    holiday = next(
        b for b in body["balances"] if (b["employee"], b["leave_type"]) == (employee, "holiday")
    )
    assert (holiday["entitled"], holiday["used"], holiday["pending"]) == ("30.0", "5.0", "3.0")
    assert Decimal(holiday["remaining"]) == 25
    before = await admin_balances(emulator.app, as_of="2023-12-31")
    early = next(
        b for b in before["balances"] if (b["employee"], b["leave_type"]) == (employee, "holiday")
    )
    assert Decimal(early["entitled"]) == 0  # the 2024 credit is not in effect yet
