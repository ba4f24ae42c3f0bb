"""The Journyx emulator in-process: the seed's example, generated fields, rules and errors."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from balance_gateway.adapters._emulator import EmulatorOptions
from balance_gateway.adapters.journyx.emulator import JournyxEmulator, build_emulator
from balance_gateway.adapters.journyx.models import (
    ACCRUAL_DEFAULT_KEYS,
    ACCRUAL_EXPANSIONS,
    ACCRUAL_KEYS,
)
from balance_gateway.contracts._harness.matching import compare

TOKEN = "journyx-test-api-key"
SEED_ID = "64BBA147B9AC41D9978062300826C89F"
JANE = "5CD906A3941C463B9CC98F49DBCC25AA"
JANE_SICK = "7D50783C4A141292108472803B0FB610"
ALEX_HIDDEN = "0C7E5A9D2B4F4E1A8D6C3B5A7E9F1D2C"
VACATION = "7FD02168BF7737FFAC2068C7DD76C31B"
SICK = "8F2B0F3C30F2F0FB26C7B5C61443E7E8"
SAMPLE_IDS = [
    SEED_ID,
    "B00F1292662CD06045C20D4305D72887",
    JANE_SICK,
    "D026C943761D49E454F45CAAC88F5F9E",
    ALEX_HIDDEN,
]
NOW = 1767225600.25  # 2026-01-01T00:00:00.25Z = 2025-12-31 18:00:00 CST
ACCRUAL = f"/api/v1/accruals/{SEED_ID}"


def assert_error(response: httpx.Response, status: int, fragment: str = "") -> None:
    assert response.status_code == status
    body = response.json()
    assert body["response_code"] == status
    assert body["success"] is False
    assert fragment in body["error"]


# -- the seed's example --


async def test_the_seed_example_answers_every_field(
    api: httpx.AsyncClient, seed_fixture: dict[str, Any]
) -> None:
    response = await api.get(ACCRUAL, params={"$keys": ",".join(ACCRUAL_KEYS)})
    assert response.status_code == 200
    expected = seed_fixture["response"]["json"]
    # Exact everywhere except where the seed's example is a placeholder (the fixture's matchers).
    assert compare(expected, response.json(), seed_fixture["matchers"]) == []
    results = response.json()["results"]
    assert list(results) == list(ACCRUAL_KEYS)
    assert results["limits_description"] == "Min 0.00"
    assert results["limits_description_full"] == "Minimum balance of 0.00 hours is enforced."
    assert results["pay_type_uris"] == [
        "/api/v1/entry_codes/codes_pay_types/Vacation",
        "/api/v1/entry_codes/codes_pay_types/Sick",
    ]
    assert results["id_user_properties"]["id_user"] == SEED_ID


async def test_timestamps_are_formatted_from_the_epoch(api: httpx.AsyncClient) -> None:
    results = (await api.get(ACCRUAL)).json()["results"]
    assert results["create_timestamp"] == 1696021987.01375
    assert results["create_timestamp_date_long"] == "Friday, September 29, 2023"
    assert results["create_timestamp_date_short"] == "09/29/2023"
    assert results["create_timestamp_datetime_long"] == "Friday, September 29, 2023 16:13:07 CDT"
    assert results["create_timestamp_datetime_short"] == "09/29/2023 16:13:07 CDT"
    assert results["create_timestamp_iso"] == "2023-09-29T16:13:07-05:00"


async def test_without_keys_the_expansions_are_absent(api: httpx.AsyncClient) -> None:
    results = (await api.get(ACCRUAL)).json()["results"]
    assert list(results) == list(ACCRUAL_DEFAULT_KEYS)
    assert not set(ACCRUAL_EXPANSIONS) & set(results)


async def test_keys_select_exactly_the_named_fields(api: httpx.AsyncClient) -> None:
    response = await api.get(ACCRUAL, params={"$keys": "hours_left,creator_properties"})
    results = response.json()["results"]
    assert list(results) == ["hours_left", "creator_properties"]
    assert results["creator_properties"]["first_name"] == "John"


async def test_unknown_keys_are_refused(api: httpx.AsyncClient) -> None:
    assert_error(await api.get(ACCRUAL, params={"$keys": "hours_left,balance"}), 400, "balance")


# -- writes and generated fields --


async def test_an_update_of_hours_left_reads_back_with_a_fresh_modify_timestamp(
    api: httpx.AsyncClient,
) -> None:
    response = await api.patch(ACCRUAL, json={"hours_left": 32.5})
    assert response.status_code == 200
    back = (await api.get(ACCRUAL)).json()["results"]
    assert back == response.json()["results"]
    assert back["hours_left"] == 32.5
    assert back["modify_timestamp"] == NOW
    assert back["modify_timestamp_iso"] == "2025-12-31T18:00:00-06:00"
    assert back["modify_timestamp_datetime_short"] == "12/31/2025 18:00:00 CST"
    assert back["create_timestamp"] == 1696021987.01375
    assert back["modifier_fullname"] == "John Doe"


async def test_generated_fields_follow_the_stored_values(api: httpx.AsyncClient) -> None:
    body = {"use_hard_threshold": False, "warning_threshold": 12.5, "pay_type_ids": [SICK]}
    results = (await api.patch(ACCRUAL, json=body)).json()["results"]
    assert results["limits_description"] == "Warn 12.50"
    assert "12.50 hours" in results["limits_description_full"]
    assert results["pay_type_names"] == ["Sick"]
    assert results["pay_type_names_str"] == "Sick"
    assert results["pay_type_uris"] == ["/api/v1/entry_codes/codes_pay_types/Sick"]
    results = (await api.patch(ACCRUAL, json={"use_warning": False})).json()["results"]
    assert (results["limits_description"], results["limits_description_full"]) == (
        "",
        "No limits are enforced.",
    )
    results = await api.patch(ACCRUAL, json={"hard_threshold": -4, "use_hard_threshold": True})
    assert results.json()["results"]["limits_description"] == "Min -4.00"


@pytest.mark.parametrize(
    ("body", "code", "status", "hidden"),
    [
        ({"status_code": "h"}, "h", "Hidden", True),
        ({"status": "Reportable Only"}, "ro", "Reportable Only", False),
        ({"is_hidden": True}, "h", "Hidden", True),
        ({"status_code": "lr", "is_hidden": False}, "lr", "Loggable and Reportable", False),
    ],
)
async def test_status_code_status_and_hidden_stay_consistent(
    api: httpx.AsyncClient, body: dict[str, Any], code: str, status: str, hidden: bool
) -> None:
    results = (await api.patch(ACCRUAL, json=body)).json()["results"]
    assert (results["status_code"], results["status"]) == (code, status)
    assert results["is_hidden"] is hidden
    assert results["hidden"] is hidden


@pytest.mark.parametrize(
    "body",
    [
        {"status_code": "h", "status": "Reportable Only"},
        {"status_code": "ro", "is_hidden": True},
        {"status_code": "x"},
        {"status": "Visible"},
    ],
)
async def test_contradicting_or_unknown_statuses_are_refused(
    api: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    assert_error(await api.patch(ACCRUAL, json=body), 400, "status")


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
async def test_id_user_cannot_change(api: httpx.AsyncClient, method: str) -> None:
    body = {"id_user": JANE, "pname": "Vacation", "pay_type_ids": [VACATION]}
    assert_error(await api.request(method, ACCRUAL, json=body), 400, "id_user cannot be changed")
    results = (await api.get(ACCRUAL)).json()["results"]
    assert results["id_user"] == SEED_ID
    assert results["modify_timestamp"] == 1696021987.01375


async def test_sending_the_same_id_user_back_is_fine(api: httpx.AsyncClient) -> None:
    response = await api.patch(ACCRUAL, json={"id_user": SEED_ID, "hours_left": 8})
    assert response.status_code == 200
    assert response.json()["results"]["hours_left"] == 8


async def test_put_replaces_every_writable_field(api: httpx.AsyncClient) -> None:
    body = {"pname": "PTO", "pay_type_ids": [VACATION], "hours_left": 24}
    results = (await api.put(ACCRUAL, json=body)).json()["results"]
    assert (results["pname"], results["hours_left"]) == ("PTO", 24)
    assert results["use_warning"] is False  # omitted: back to its default
    assert results["use_hard_threshold"] is False
    assert results["pay_type_names"] == ["Vacation"]


async def test_create_needs_pname_and_pay_types_and_derives_the_rest(
    api: httpx.AsyncClient,
) -> None:
    assert_error(await api.post("/api/v1/accruals", json={"pay_type_ids": [SICK]}), 400, "pname")
    assert_error(await api.post("/api/v1/accruals", json={"pname": "X"}), 400, "pay_type_ids")
    unknown = {"pname": "X", "pay_type_ids": ["F" * 32]}
    assert_error(await api.post("/api/v1/accruals", json=unknown), 400, "unknown pay type")
    response = await api.post(
        "/api/v1/accruals", json={"pname": "Personal", "pay_type_ids": [SICK], "hours_left": 4}
    )
    assert response.status_code == 201
    created = response.json()["results"]
    assert created["id_timebank"] == created["id"]
    assert created["id_user"] == SEED_ID  # the authenticated user by default
    assert created["create_timestamp"] == created["modify_timestamp"] == NOW
    assert created["creator_fullname"] == "John Doe"
    back = (await api.get(f"/api/v1/accruals/{created['id']}")).json()["results"]
    assert back == created


async def test_delete_then_not_found(api: httpx.AsyncClient) -> None:
    response = await api.delete(f"/api/v1/accruals/{ALEX_HIDDEN}")
    assert response.json() == {
        "response_code": 200,
        "success": True,
        "uri": f"/api/v1/accruals/{ALEX_HIDDEN}",
    }
    assert_error(await api.get(f"/api/v1/accruals/{ALEX_HIDDEN}"), 404, ALEX_HIDDEN)
    assert_error(await api.delete(f"/api/v1/accruals/{ALEX_HIDDEN}"), 404)


# -- collections --


async def test_top_one_pages_through_every_accrual_by_next_link(api: httpx.AsyncClient) -> None:
    seen: list[str] = []
    url: str | None = "/api/v1/accruals?$top=1"
    while url is not None:
        body = (await api.get(url)).json()
        assert body["$count"] == len(SAMPLE_IDS)
        assert body["$top"] == 1
        assert len(body["results"]) == 1
        seen.append(body["results"][0]["id"])
        url = body["@nextLink"]
    assert seen == SAMPLE_IDS


async def test_next_link_keeps_the_other_query_options(api: httpx.AsyncClient) -> None:
    params = {"$filter": f"id_user eq '{JANE}'", "$top": "1", "$keys": "id"}
    body = (await api.get("/api/v1/accruals", params=params)).json()
    assert body["$count"] == 2
    following = (await api.get(body["@nextLink"])).json()
    assert following["results"] == [{"id": JANE_SICK}]
    assert following["$skip"] == 1
    assert following["@nextLink"] is None


async def test_skip_past_the_end_is_an_empty_last_page(api: httpx.AsyncClient) -> None:
    body = (await api.get("/api/v1/accruals", params={"$skip": "10"})).json()
    assert (body["results"], body["@nextLink"], body["$count"]) == ([], None, 5)


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        (f"id_user eq '{JANE}'", ["B00F1292662CD06045C20D4305D72887", JANE_SICK]),
        ("hours_left eq 12.5", [JANE_SICK]),
        ("is_hidden eq true", [ALEX_HIDDEN]),
        (f"pname eq 'Vacation' and id_user eq '{SEED_ID}'", [SEED_ID]),
        ("pname eq 'Nobody''s'", []),
    ],
)
async def test_filter_subset(api: httpx.AsyncClient, filter_: str, expected: list[str]) -> None:
    body = (await api.get("/api/v1/accruals", params={"$filter": filter_})).json()
    assert [r["id"] for r in body["results"]] == expected
    assert body["$count"] == len(expected)


async def test_order_by_descending(api: httpx.AsyncClient) -> None:
    params = {"$orderBy": "hours_left desc", "$keys": "hours_left"}
    body = (await api.get("/api/v1/accruals", params=params)).json()
    assert [r["hours_left"] for r in body["results"]] == [80, 40, 12.5, 8, 4]


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"$filter": "hours_left gt 10"}, "$filter"),
        ({"$filter": "balance eq 1"}, "balance"),
        ({"$filter": "pname eq 'Vacation' or pname eq 'Sick'"}, "and"),
        ({"$orderBy": "hours_left sideways"}, "$orderBy"),
        ({"$orderBy": "balance"}, "$orderBy"),
        ({"$top": "0"}, "$top"),
        ({"$top": "1001"}, "$top"),
        ({"$top": "many"}, "$top"),
        ({"$skip": "-1"}, "$skip"),
    ],
)
async def test_unsupported_query_options_answer_400(
    api: httpx.AsyncClient, params: dict[str, str], fragment: str
) -> None:
    assert_error(await api.get("/api/v1/accruals", params=params), 400, fragment)


# -- nothing answers 500 --


@pytest.mark.parametrize(
    ("method", "path", "content"),
    [
        ("PATCH", ACCRUAL, b"{not json"),
        ("PATCH", ACCRUAL, b"[1, 2]"),
        ("PATCH", ACCRUAL, b"{}"),
        ("PATCH", ACCRUAL, b'{"hours_left": "many"}'),
        ("PATCH", ACCRUAL, b'{"hours_left": true}'),
        ("PATCH", ACCRUAL, b'{"use_warning": 1}'),
        ("PATCH", ACCRUAL, b'{"balance": 1}'),
        ("PATCH", ACCRUAL, b'{"pay_type_ids": "Vacation"}'),
        ("PATCH", ACCRUAL, b'{"id_user": 7}'),
        ("POST", "/api/v1/accruals", b'{"pname": 7, "pay_type_ids": []}'),
        (
            "POST",
            "/api/v1/accruals",
            b'{"pname": "X", "pay_type_ids": ["' + SICK.encode() + b'"], "id_user": "nobody"}',
        ),
        ("PUT", ACCRUAL, b"\xff\xfe"),
    ],
)
async def test_bad_bodies_answer_400_in_the_vendor_style(
    api: httpx.AsyncClient, method: str, path: str, content: bytes
) -> None:
    response = await api.request(
        method, path, content=content, headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400)


async def test_unknown_routes_and_methods_answer_in_the_vendor_style(
    api: httpx.AsyncClient,
) -> None:
    assert_error(await api.get("/api/v1/nothing"), 404)
    assert_error(await api.post(ACCRUAL, json={}), 405)
    assert_error(await api.get("/api/v1/accruals/not-an-id"), 404)


# -- auth and tenants --


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic !!!"},
        {"Authorization": "Bearer journyx-test-api-key"},
        "wrong-key",
        "wrong-user",
    ],
)
async def test_bad_credentials_answer_401(
    emulator: JournyxEmulator, basic_auth: Any, headers: Any
) -> None:
    if headers == "wrong-key":
        headers = basic_auth("admin", "not-the-key")
    elif headers == "wrong-user":
        headers = basic_auth("jroe", TOKEN)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app), base_url="http://emulator"
    ) as client:
        assert_error(await client.get(ACCRUAL, headers=headers), 401)


@pytest.mark.parametrize("as_form", [False, True])
async def test_login_sets_a_wtsession_cookie_that_authenticates(
    emulator: JournyxEmulator, as_form: bool
) -> None:
    credentials = {"username": "admin", "password": TOKEN}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app), base_url="http://emulator"
    ) as client:
        if as_form:
            response = await client.post("/login", data=credentials)
        else:
            response = await client.post("/login", json=credentials)
        assert response.status_code == 200
        assert response.json()["id_user"] == SEED_ID
        session = response.cookies["wtsession"]
        client.cookies.clear()
        answer = await client.get(ACCRUAL, headers={"Cookie": f"wtsession={session}"})
        assert answer.status_code == 200
        # The session acts as its user: it becomes the modifier.
        patched = await client.patch(
            ACCRUAL, json={"hours_left": 1}, headers={"Cookie": f"wtsession={session}"}
        )
        assert patched.json()["results"]["modifier"] == SEED_ID
        assert_error(await client.get(ACCRUAL, headers={"Cookie": "wtsession=forged"}), 401)


async def test_a_wrong_login_answers_401(emulator: JournyxEmulator) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app), base_url="http://emulator"
    ) as client:
        bad = {"username": "admin", "password": "nope-nope"}
        assert_error(await client.post("/login", json=bad), 401)
        assert_error(await client.post("/login", json={"username": "admin"}), 400)
        assert_error(
            await client.post("/login", content=b"{", headers={"Content-Type": "application/json"}),
            400,
        )


async def test_tenants_are_isolated(
    emulator: JournyxEmulator, api: httpx.AsyncClient, basic_auth: Any
) -> None:
    await api.patch(ACCRUAL, json={"hours_left": 1})
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app),
        base_url="http://emulator",
        headers=basic_auth("admin", "other-api-key"),
    ) as other:
        assert (await other.get(ACCRUAL)).json()["results"]["hours_left"] == 40
        await other.delete(ACCRUAL)
    assert (await api.get(ACCRUAL)).json()["results"]["hours_left"] == 1


# -- admin API --


async def test_state_round_trips_through_the_admin_api(api: httpx.AsyncClient) -> None:
    await api.patch(ACCRUAL, json={"hours_left": 12.25})
    dumped = (await api.get("/_emulator/state")).json()
    assert dumped["tenants"]["default"]["accruals"][SEED_ID]["hours_left"] == "12.25"
    await api.post("/_emulator/reset")
    assert (await api.get(ACCRUAL)).json()["results"]["hours_left"] == 40
    assert (await api.put("/_emulator/state", json=dumped)).status_code == 200
    assert (await api.get(ACCRUAL)).json()["results"]["hours_left"] == 12.25


async def test_faults_answer_in_the_vendor_error_style(api: httpx.AsyncClient) -> None:
    await api.put("/_emulator/faults", json={"error_rate": 1, "error_status": 503})
    assert_error(await api.get(ACCRUAL), 503, "injected")


def test_build_emulator_uses_the_token_as_the_api_key() -> None:
    emulator = build_emulator(EmulatorOptions(token="demo-token"))
    text = "\n".join(emulator.credentials_text())
    assert "username: admin" in text
    assert "api_key: demo-token" in text
    paths = emulator.app.openapi()["paths"]
    assert {"/api/v1/accruals", "/api/v1/accruals/{accrual_id}", "/login"} <= set(paths)


@pytest.mark.parametrize(
    ("path", "value"), [(("accruals", SEED_ID, "status_code"), "x"), (("timezone",), "Mars/Base")]
)
async def test_an_invalid_state_is_refused_by_the_admin_api(
    api: httpx.AsyncClient, path: tuple[str, ...], value: str
) -> None:
    state = (await api.get("/_emulator/state")).json()["tenants"]["default"]
    target = state
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert (await api.put("/_emulator/state", json=state)).status_code == 400
    assert (await api.get(ACCRUAL)).status_code == 200
