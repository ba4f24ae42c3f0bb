"""The HTTP API over the demo's emulators: every route, the two roles, and bad input answered
with a clear 4xx (never a 500)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from balance_gateway.adapters._core.retry import RetryPolicy
from balance_gateway.adapters.zeitstrom import Client as ZeitstromClient
from balance_gateway.gateway.demo import TOKENS, VENDORS
from balance_gateway.gateway.lock import RunLock
from balance_gateway.gateway.service.app import create_app
from balance_gateway.gateway.service.core import GatewayService, RunningNow
from balance_gateway.gateway.service.demo import (
    LEFT_FOR_THE_OPERATOR,
    OPERATOR_TOKEN,
    READ_TOKEN,
    ServiceDemo,
    service_env,
)
from balance_gateway.gateway.service.settings import load_service_settings
from tests.gateway.service.conftest import OPERATOR, READER

SYNC = LEFT_FOR_THE_OPERATOR  # journyx -> zeitstrom: not synced by the first pass
READ_ROUTES = [
    ("GET", "/api/systems"),
    ("GET", "/api/syncs"),
    ("GET", "/api/balances?system=bezala"),
    ("GET", f"/api/drift?sync={SYNC}"),
    ("GET", "/api/runs"),
    ("POST", f"/api/syncs/{SYNC}/plan"),
    ("GET", "/metrics"),
]


def zeitstrom_balances(demo: ServiceDemo, employees: list[str]) -> dict[tuple[str, str], Decimal]:
    """(employee, absence type) -> net balance in days, read through Zeitstrom's own API."""
    base = demo.environment.base_urls["zeitstrom"]
    with ZeitstromClient(base, token=TOKENS["zeitstrom"]) as zeitstrom:
        rows = zeitstrom.aggregate_balances(employee_ids=employees).results
    return {(r.employee_id, r.missing_type): Decimal(str(r.balance)) for r in rows}


# -- auth -------------------------------------------------------------------------------------


async def test_healthz_needs_no_token(client: httpx.AsyncClient) -> None:
    answer = await client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json()["status"] == "ok"
    assert answer.json()["scheduler"] == "off"  # this app runs without its scheduler


@pytest.mark.parametrize(("method", "path"), READ_ROUTES)
async def test_every_route_refuses_a_missing_or_unknown_token(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-configured-token-at-all"}):
        answer = await client.request(method, path, headers=headers)
        assert answer.status_code == 401, answer.text
        assert answer.headers["www-authenticate"] == "Bearer"
        assert answer.json()["detail"]


@pytest.mark.parametrize(("method", "path"), READ_ROUTES)
async def test_a_read_token_reads_every_read_route(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    answer = await client.request(method, path, headers=READER)
    assert answer.status_code == 200, answer.text


async def test_apply_needs_an_operator_token(client: httpx.AsyncClient) -> None:
    plan = (await client.post(f"/api/syncs/{SYNC}/plan", headers=READER)).json()
    answer = await client.post(
        f"/api/syncs/{SYNC}/apply", json={"plan_id": plan["plan_id"]}, headers=READER
    )
    assert answer.status_code == 403
    assert "operator" in answer.json()["detail"]


async def test_no_answer_shows_a_token_or_a_credential(client: httpx.AsyncClient) -> None:
    secrets = [OPERATOR_TOKEN, READ_TOKEN, *service_env().values()]
    secrets = [s for s in secrets if "@" not in s and s != "admin"]  # logins are not secret
    for method, path in [*READ_ROUTES, ("GET", "/openapi.json")]:
        answer = await client.request(method, path, headers=OPERATOR)
        for secret in secrets:
            assert secret not in answer.text, f"{path} shows a secret"


# -- systems, syncs ---------------------------------------------------------------------------


async def test_systems_lists_every_configured_system_and_what_it_can_do(
    client: httpx.AsyncClient,
) -> None:
    systems = {
        s["name"]: s for s in (await client.get("/api/systems", headers=READER)).json()["systems"]
    }
    assert set(systems) == {"bezala", "companyflow", "journyx", "kenjo", "zeitstrom"}
    assert systems["kenjo"]["capabilities"] == {
        "can_read": False,
        "can_write": True,
        "write_kind": "set",
        "remembers_writes": True,
    }
    assert systems["companyflow"]["capabilities"]["can_write"] is False
    assert systems["bezala"]["source_of"] == ["bezala-to-journyx"]
    assert systems["bezala"]["target_of"] == ["zeitstrom-to-bezala"]
    assert "credentials" not in json.dumps(systems)


async def test_syncs_show_schedule_next_run_and_last_run(
    client: httpx.AsyncClient, demo: ServiceDemo
) -> None:
    syncs = {s["name"]: s for s in (await client.get("/api/syncs", headers=READER)).json()["syncs"]}
    assert syncs[SYNC]["schedule"] == "0 2 * * *"
    assert syncs[SYNC]["next_run"].endswith("T02:00:00Z")
    assert syncs[SYNC]["last_run"] is None  # left for the operator by the first pass
    last = syncs["companyflow-to-kenjo"]["last_run"]
    assert last["status"] == "succeeded"
    assert last["run_id"] in {r.run_id for r in demo.service().runs()}


# -- balances ---------------------------------------------------------------------------------


async def test_one_persons_balances_across_every_configured_system(
    client: httpx.AsyncClient, demo: ServiceDemo
) -> None:
    assert demo.config.mapping is not None
    person = next(p for p in demo.config.mapping if {"journyx", "kenjo"} <= set(p.ids))
    for asked in (f"bezala:{person.ids['bezala']}", f"journyx:{person.ids['journyx']}"):
        answer = await client.get("/api/balances", params={"employee": asked}, headers=READER)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        first = VENDORS[0]  # the mapping's first column names a person
        person_id = f"{first}:{person.ids[first]}"
        assert body["person"]["person_id"] == person_id
        assert body["person"]["ids"] == dict(person.ids)
        balances = body["balances"]
        assert {b["system"] for b in balances} == set(person.ids)  # all five systems
        assert {b["person_id"] for b in balances} == {person_id}
        for b in balances:
            assert b["employee"] == person.ids[b["system"]]
            assert b["unit"] in ("days", "hours", "minutes")
            assert {"remaining", "as_of", "provenance"} <= set(b)
        # Kenjo cannot be read: what the first pass wrote there, and said so.
        kenjo = [b for b in balances if b["system"] == "kenjo"]
        assert kenjo
        assert all(b["live"] is False for b in kenjo)
        assert [u["system"] for u in body["unreadable"]] == ["kenjo"]
        assert all(b["live"] for b in balances if b["system"] != "kenjo")


async def test_balances_are_the_vendors_figures_in_the_canonical_model(
    client: httpx.AsyncClient, demo: ServiceDemo
) -> None:
    assert demo.config.mapping is not None
    person = demo.config.mapping.people[0]
    employee = person.ids["zeitstrom"]
    body = (
        await client.get(
            "/api/balances",
            params={"system": "zeitstrom", "employee": employee, "type": "holiday"},
            headers=READER,
        )
    ).json()
    (balance,) = body["balances"]
    assert balance["leave_type"] == "holiday"
    assert balance["leave_kind"] == "vacation"  # the config's kind for that type
    expected = zeitstrom_balances(demo, [employee])[(employee, "holiday")]
    assert Decimal(balance["remaining"]) == expected
    assert balance["provenance"]["system"] == "zeitstrom"
    # A ledger answers for the date asked (today, by default).
    assert (balance["as_of"], balance["as_of_basis"]) == (body["as_of"], "date")


async def test_every_mapped_person_of_one_system(
    client: httpx.AsyncClient, demo: ServiceDemo
) -> None:
    assert demo.config.mapping is not None
    body = (await client.get("/api/balances", params={"system": "bezala"}, headers=READER)).json()
    people = {p.ids["bezala"] for p in demo.config.mapping}
    assert {b["employee"] for b in body["balances"]} == people
    assert {b["leave_type"] for b in body["balances"]} == {"vacation", "work_time"}


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({}, 400, "employee="),
        ({"employee": "1000"}, 400, "SYSTEM:ID"),
        ({"system": "nope"}, 404, "no system is called 'nope'"),
        ({"employee": "bezala:1000", "as_of": "2025-13-01"}, 422, "as_of"),
        ({"employee": "bezala:not-a-number"}, 400, "must be an integer"),
        ({"employee": "bezala:99999"}, 404, "bezala"),
        ({"system": "bezala", "employee": "1000", "type": "holidays"}, 400, "holidays"),
        ({"system": "kenjo", "employee": "zeitstrom:no-such-person"}, 404, "mapping"),
        ({"employee": "x" * 400}, 422, "employee"),
    ],
)
async def test_bad_balance_queries_get_a_clear_4xx(
    client: httpx.AsyncClient, params: dict[str, str], status: int, words: str
) -> None:
    answer = await client.get("/api/balances", params=params, headers=READER)
    assert answer.status_code == status, answer.text
    assert words in answer.json()["detail"]


# -- drift ------------------------------------------------------------------------------------


def _plan_json(demo: ServiceDemo, sync: str) -> dict[str, Any]:
    """`balance-gateway plan --json` on the same config and state, as a user runs it."""
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "balance-gateway"),
            *("plan", "--json", "--sync", sync, "--config", str(demo.config_path)),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, **service_env()},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def _comparable(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    keys = (
        *("source_employee", "target_employee", "source_type", "target_type", "operation"),
        *("source_as_of", "source_as_of_basis", "source_age_days"),
    )
    values = ("source_value", "target_now", "target_after")

    def amount(q: dict[str, str] | None) -> tuple[Decimal, str] | None:
        return None if q is None else (Decimal(q["value"]), q["unit"])

    found = [(tuple(r[k] for k in keys), tuple(amount(r[v]) for v in values)) for r in rows]
    return sorted(found, key=repr)


@pytest.mark.parametrize("sync", ["companyflow-to-kenjo", SYNC])
async def test_drift_agrees_with_plan_json_on_the_same_state(
    client: httpx.AsyncClient, demo: ServiceDemo, sync: str
) -> None:
    answer = await client.get("/api/drift", params={"sync": sync}, headers=READER)
    assert answer.status_code == 200
    (drift,) = answer.json()["syncs"]
    planned = await asyncio.to_thread(_plan_json, demo, sync)
    (plan,) = planned["syncs"]
    assert drift["as_of"] == plan["as_of"]
    assert _comparable(drift["rows"]) == _comparable(plan["rows"])
    for row in drift["rows"]:
        if row["target_now"] is not None and row["target_after"] is not None:
            diff = Decimal(row["target_after"]["value"]) - Decimal(row["target_now"]["value"])
            assert Decimal(row["difference"]["value"]) == diff
            assert row["difference"]["unit"] == row["target_after"]["unit"]
    summary = drift["summary"]
    differing = sum(
        1 for r in drift["rows"] if r["difference"] and Decimal(r["difference"]["value"]) != 0
    )
    assert summary["differing"] == differing
    if sync == SYNC:
        assert differing > 0  # never synced: the demo's data disagree
    else:
        assert differing == 0  # the first pass set Kenjo straight


async def test_drift_of_every_sync_and_of_an_unknown_one(client: httpx.AsyncClient) -> None:
    every = (await client.get("/api/drift", headers=READER)).json()["syncs"]
    assert [d["sync"] for d in every] == [
        "companyflow-to-kenjo",
        "zeitstrom-to-bezala",
        "bezala-to-journyx",
        "journyx-to-zeitstrom",
    ]
    answer = await client.get("/api/drift", params={"sync": "nope"}, headers=READER)
    assert answer.status_code == 404
    assert "no sync is called 'nope'" in answer.json()["detail"]


# -- runs -------------------------------------------------------------------------------------


async def test_runs_and_one_run_with_its_operations(
    client: httpx.AsyncClient, demo: ServiceDemo
) -> None:
    body = (await client.get("/api/runs", headers=READER)).json()
    journal = demo.service().runs()
    assert [r["run_id"] for r in body["runs"]] == [r.run_id for r in journal]
    assert body["total"] == len(journal)
    only = (
        await client.get(
            "/api/runs", params={"sync": "zeitstrom-to-bezala", "limit": 1}, headers=READER
        )
    ).json()
    assert [r["syncs"] for r in only["runs"]] == [["zeitstrom-to-bezala"]]

    run_id = only["runs"][0]["run_id"]
    detail = (await client.get(f"/api/runs/{run_id}", headers=READER)).json()
    assert detail["run"]["run_id"] == run_id
    _, ops = demo.service().run(run_id)
    assert [o["operation_id"] for o in detail["operations"]] == [o.operation_id for o in ops]
    imports = [o for o in detail["operations"] if o["operation"] == "import"]
    assert imports
    assert all(o["status"] == "applied" and o["verified"] for o in imports)
    filtered = (
        await client.get(f"/api/runs/{run_id}", params={"operation": "unmapped"}, headers=READER)
    ).json()
    assert filtered["total"] == len([o for o in ops if o.kind.value == "unmapped"])
    assert {o["operation"] for o in filtered["operations"]} <= {"unmapped"}


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/runs/20990101T000000Z-000000", 404),
        ("/api/runs?status=great", 422),
        ("/api/runs?limit=0", 422),
        ("/api/runs?offset=-1", 422),
        ("/api/runs/x?operation=dance", 422),
    ],
)
async def test_bad_run_queries_get_a_clear_4xx(
    client: httpx.AsyncClient, path: str, status: int
) -> None:
    answer = await client.get(path, headers=READER)
    assert answer.status_code == status, answer.text
    assert answer.json()["detail"]


# -- plan and apply ---------------------------------------------------------------------------


async def test_plan_then_apply_changes_the_target_as_previewed(
    fresh_demo: ServiceDemo, client: httpx.AsyncClient
) -> None:
    plan = (await client.post(f"/api/syncs/{SYNC}/plan", headers=OPERATOR)).json()
    writes = [r for r in plan["rows"] if r["operation"] in ("credit", "reduce")]
    assert plan["writes"] == len(writes) > 0
    assert plan["guardrail_violations"] == []
    employees = sorted({r["target_employee"] for r in writes})
    before = zeitstrom_balances(fresh_demo, employees)
    assert all(
        before.get((r["target_employee"], r["target_type"]), Decimal(0))
        != Decimal(r["target_after"]["value"])
        for r in writes
    )

    answer = await client.post(
        f"/api/syncs/{SYNC}/apply", json={"plan_id": plan["plan_id"]}, headers=OPERATOR
    )
    assert answer.status_code == 200, answer.text
    applied = answer.json()
    assert applied["outcome"] == "succeeded"
    assert applied["exit_code"] == 0
    assert applied["summary"]["applied"] == len(writes)
    # Checked through Zeitstrom's own API: every balance holds what the plan showed.
    after = zeitstrom_balances(fresh_demo, employees)
    for r in writes:
        assert after[(r["target_employee"], r["target_type"])] == Decimal(
            r["target_after"]["value"]
        )
    run = (await client.get(f"/api/runs/{applied['run_id']}", headers=READER)).json()
    assert run["run"]["status"] == "succeeded"

    again = await client.post(
        f"/api/syncs/{SYNC}/apply", json={"plan_id": plan["plan_id"]}, headers=OPERATOR
    )
    assert again.status_code == 404  # a plan is applied once
    assert "plan again" in again.json()["detail"]


async def test_a_plan_the_systems_no_longer_match_writes_nothing(
    fresh_demo: ServiceDemo, client: httpx.AsyncClient
) -> None:
    plan = (await client.post(f"/api/syncs/{SYNC}/plan", headers=OPERATOR)).json()
    write = next(r for r in plan["rows"] if r["operation"] == "credit")
    employee = write["target_employee"]
    employees = sorted({r["target_employee"] for r in plan["rows"] if r["target_employee"]})
    # Someone books a manual credit in Zeitstrom between the preview and the apply.
    base = fresh_demo.environment.base_urls["zeitstrom"]
    with ZeitstromClient(base, token=TOKENS["zeitstrom"]) as zeitstrom:
        zeitstrom.create_transaction(
            employee_id=employee,
            label="HR correction",
            missing_type=write["target_type"],
            date=fresh_demo.environment.today,
            amount=Decimal("0.5"),
        )
    changed = zeitstrom_balances(fresh_demo, employees)

    answer = await client.post(
        f"/api/syncs/{SYNC}/apply", json={"plan_id": plan["plan_id"]}, headers=OPERATOR
    )
    assert answer.status_code == 409
    body = answer.json()
    assert "nothing was written" in body["detail"]
    (line,) = body["details"]  # the one balance that changed, and how
    assert employee in line
    assert "previewed credit" in line
    assert zeitstrom_balances(fresh_demo, employees) == changed


async def test_a_run_holding_the_state_store_makes_apply_wait_for_nothing(
    fresh_demo: ServiceDemo, client: httpx.AsyncClient
) -> None:
    plan = (await client.post(f"/api/syncs/{SYNC}/plan", headers=OPERATOR)).json()
    with RunLock(fresh_demo.config.state_path):  # a `balance-gateway sync` in another shell
        answer = await client.post(
            f"/api/syncs/{SYNC}/apply", json={"plan_id": plan["plan_id"]}, headers=OPERATOR
        )
    assert answer.status_code == 409
    assert "another balance-gateway run" in answer.json()["detail"]
    # Nothing was run: the same plan applies once the other run has finished.
    answer = await client.post(
        f"/api/syncs/{SYNC}/apply", json={"plan_id": plan["plan_id"]}, headers=OPERATOR
    )
    assert answer.status_code == 200, answer.text


async def test_apply_during_a_scheduled_run_is_refused_at_once(
    service: GatewayService, client: httpx.AsyncClient
) -> None:
    plan = (await client.post(f"/api/syncs/{SYNC}/plan", headers=OPERATOR)).json()
    started = asyncio.Event()
    finish = asyncio.Event()

    async def a_long_scheduled_run(sync: str) -> None:  # holds the service's lock
        async with service._lock:
            service.running = RunningNow(sync, "schedule", service.clock.now())
            started.set()
            await finish.wait()
            service.running = None

    night = asyncio.ensure_future(a_long_scheduled_run("zeitstrom-to-bezala"))
    await started.wait()
    try:
        answer = await client.post(
            f"/api/syncs/{SYNC}/apply", json={"plan_id": plan["plan_id"]}, headers=OPERATOR
        )
        health = (await client.get("/healthz")).json()
    finally:
        finish.set()
        await night
    assert answer.status_code == 409
    assert "a schedule run of zeitstrom-to-bezala" in answer.json()["detail"]
    assert health["running"]["sync"] == "zeitstrom-to-bezala"
    assert service.stored_plan(plan["plan_id"])  # still there, to apply once the run is over


async def test_a_plan_over_a_guardrail_cannot_be_applied(
    fresh_demo: ServiceDemo,
) -> None:
    from balance_gateway.gateway.demo import SETTINGS_TOML
    from balance_gateway.gateway.service.demo import SERVICE_TOML

    fresh_demo.write_config(
        SETTINGS_TOML.replace("max_operations = 1000", "max_operations = 3") + SERVICE_TOML
    )
    try:
        app = create_app(fresh_demo.service(), run_scheduler=False)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as http:
            plan = (await http.post(f"/api/syncs/{SYNC}/plan", headers=OPERATOR)).json()
            assert plan["guardrail_violations"]
            answer = await http.post(
                f"/api/syncs/{SYNC}/apply", json={"plan_id": plan["plan_id"]}, headers=OPERATOR
            )
        assert answer.status_code == 409
        assert "guardrail" in answer.json()["detail"]
        assert answer.json()["details"] == plan["guardrail_violations"]
    finally:
        fresh_demo.write_config()


@pytest.mark.parametrize(
    ("path", "body", "status", "words"),
    [
        (f"/api/syncs/{SYNC}/apply", {"plan_id": "plan-0123456789abcdef"}, 404, "plan again"),
        (f"/api/syncs/{SYNC}/apply", {"plan_id": "../../etc"}, 422, "plan_id"),
        (f"/api/syncs/{SYNC}/apply", {}, 422, "plan_id"),
        (f"/api/syncs/{SYNC}/apply", {"plan_id": 7}, 422, "plan_id"),
        ("/api/syncs/nope/apply", {"plan_id": "plan-0123456789abcdef"}, 404, "no sync"),
        ("/api/syncs/nope/plan", None, 404, "no sync"),
    ],
)
async def test_bad_plan_and_apply_requests_get_a_clear_4xx(
    client: httpx.AsyncClient, path: str, body: Any, status: int, words: str
) -> None:
    answer = await client.post(path, json=body, headers=OPERATOR)
    assert answer.status_code == status, answer.text
    assert words in answer.json()["detail"]


async def test_a_plan_of_another_sync_is_refused(client: httpx.AsyncClient) -> None:
    plan = (await client.post("/api/syncs/companyflow-to-kenjo/plan", headers=OPERATOR)).json()
    answer = await client.post(
        f"/api/syncs/{SYNC}/apply", json={"plan_id": plan["plan_id"]}, headers=OPERATOR
    )
    assert answer.status_code == 400
    assert "companyflow-to-kenjo" in answer.json()["detail"]


async def test_a_body_that_is_not_json_is_a_4xx(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        f"/api/syncs/{SYNC}/apply",
        content=b"{not json",
        headers={**OPERATOR, "Content-Type": "application/json"},
    )
    assert answer.status_code == 422


# -- metrics ----------------------------------------------------------------------------------


def _sample(text: str, name: str, **labels: str) -> float | None:
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name + "{"):
            continue
        head, value = line.rsplit(" ", 1)
        if all(f'{k}="{v}"' in head for k, v in labels.items()):
            return float(value)
    return None


async def test_metrics_count_runs_operations_requests_and_last_success(
    fresh_demo: ServiceDemo, service: GatewayService, client: httpx.AsyncClient
) -> None:
    plan = (await client.post(f"/api/syncs/{SYNC}/plan", headers=OPERATOR)).json()
    applied = (
        await client.post(
            f"/api/syncs/{SYNC}/apply", json={"plan_id": plan["plan_id"]}, headers=OPERATOR
        )
    ).json()
    answer = await client.get("/metrics", headers=READER)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = answer.text
    runs = _sample(text, "balance_gateway_runs_total", sync=SYNC, trigger="api")
    assert runs == 1
    assert _sample(text, "balance_gateway_runs_total", outcome="succeeded") == 1
    credits = sum(1 for r in plan["rows"] if r["operation"] == "credit")
    assert credits
    assert (
        _sample(
            text, "balance_gateway_operations_total", sync=SYNC, kind="credit", status="applied"
        )
        == credits
    )
    assert (_sample(text, "balance_gateway_vendor_requests_total", system="zeitstrom") or 0) > 0
    assert (_sample(text, "balance_gateway_vendor_requests_total", system="journyx") or 0) > 0
    assert "# TYPE balance_gateway_vendor_rate_limited_total counter" in text
    (finished,) = [r for r in service.runs() if r.run_id == applied["run_id"]]
    assert finished.finished_at is not None
    assert _sample(
        text, "balance_gateway_last_success_timestamp_seconds", sync=SYNC
    ) == pytest.approx(finished.finished_at.timestamp())
    assert _sample(text, "balance_gateway_next_run_timestamp_seconds", sync=SYNC)
    assert "balance_gateway_run_in_progress 0.0" in text


async def test_429s_are_counted_per_system(fresh_demo: ServiceDemo) -> None:
    settings = load_service_settings(fresh_demo.config, service_env())
    quick = RetryPolicy(max_attempts=2, max_total_seconds=2, backoff_initial=0.01)
    service = GatewayService(fresh_demo.config, settings, retry=quick)
    app = create_app(service, run_scheduler=False)
    base = fresh_demo.environment.base_urls["bezala"]
    faults = {"throttle_rate": 1.0, "retry_after_seconds": 0}
    async with (
        httpx.AsyncClient(base_url=base) as bezala,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as http,
    ):
        (await bezala.put("/_emulator/faults", json=faults)).raise_for_status()
        try:
            answer = await http.get(
                "/api/balances", params={"system": "bezala", "employee": "1000"}, headers=READER
            )
        finally:
            (await bezala.put("/_emulator/faults", json={})).raise_for_status()
        # A vendor that keeps refusing: the gateway's upstream failed (502), said clearly.
        assert answer.status_code == 502
        assert "bezala could not be read" in answer.json()["detail"]
        text = (await http.get("/metrics", headers=READER)).text
    limited = _sample(text, "balance_gateway_vendor_rate_limited_total", system="bezala")
    assert limited is not None
    assert limited >= 2
    assert _sample(text, "balance_gateway_vendor_requests_total", system="bezala", code="429")


# -- the OpenAPI document ---------------------------------------------------------------------


async def test_every_route_is_documented_and_typed(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    paths = schema["paths"]
    expected = {
        "/api/systems": "get",
        "/api/syncs": "get",
        "/api/balances": "get",
        "/api/drift": "get",
        "/api/runs": "get",
        "/api/runs/{run_id}": "get",
        "/api/syncs/{name}/plan": "post",
        "/api/syncs/{name}/apply": "post",
        "/healthz": "get",
        "/metrics": "get",
    }
    assert set(expected) <= set(paths)
    assert not [p for p in paths if not p.startswith(("/api/", "/healthz", "/metrics"))]
    for path, method in expected.items():
        operation = paths[path][method]
        assert operation["summary"]
        content = operation["responses"]["200"]["content"]
        if path == "/metrics":
            assert "text/plain; version=0.0.4; charset=utf-8" in content
            continue
        assert "$ref" in content["application/json"]["schema"], path  # a named model
        if path != "/healthz":
            assert operation["security"] == [{"HTTPBearer": []}], path
            assert "401" in operation["responses"]
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    apply = paths["/api/syncs/{name}/apply"]["post"]
    assert "$ref" in apply["requestBody"]["content"]["application/json"]["schema"]
    assert {"403", "409"} <= set(apply["responses"])
