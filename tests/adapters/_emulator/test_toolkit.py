"""The emulator toolkit, through a tiny counter emulator: tenants, admin API, faults."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from balance_gateway.adapters._emulator import (
    EmulatedBalance,
    Emulator,
    EmulatorOptions,
    FaultConfig,
    FaultInjector,
    ServerThread,
)
from balance_gateway.adapters._emulator.faults import TokenBucket


class CounterState(BaseModel):
    count: int = 0


class CounterEmulator(Emulator[CounterState]):
    vendor = "counter"
    title = "Counter"

    @classmethod
    def state_model(cls) -> type[CounterState]:
        return CounterState

    def sample_state(self) -> CounterState:
        return CounterState(count=10)

    def error_body(self, status: int, message: str) -> Any:
        return {"error": message}

    def balances(self, state: CounterState, as_of: date) -> list[EmulatedBalance]:
        return [EmulatedBalance("counter", "count", "days", Decimal(state.count))]

    def add_routes(self, app: FastAPI) -> None:
        @app.get("/count")
        async def read(authorization: str | None = Header(None)) -> JSONResponse:
            tenant = self.tenant_for(authorization)
            if tenant is None:
                return JSONResponse(self.error_body(401, "unauthorized"), status_code=401)
            return JSONResponse({"count": self.state_for(tenant).count})

        @app.post("/count")
        async def bump(authorization: str | None = Header(None)) -> JSONResponse:
            tenant = self.tenant_for(authorization)
            if tenant is None:
                return JSONResponse(self.error_body(401, "unauthorized"), status_code=401)
            state = self.state_for(tenant)
            state.count += 1
            return JSONResponse({"count": state.count}, status_code=201)


@pytest.fixture
def emulator() -> CounterEmulator:
    return CounterEmulator(EmulatorOptions(token="tok-a", tenants={"tok-b": "b"}))


@pytest.fixture
async def client(emulator: CounterEmulator) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as c:
        yield c


async def test_tenants_never_see_each_other(client: httpx.AsyncClient) -> None:
    assert (await client.post("/count", headers={"Authorization": "tok-a"})).json() == {"count": 11}
    assert (await client.get("/count", headers={"Authorization": "tok-b"})).json() == {"count": 10}
    assert (await client.get("/count", headers={"Authorization": "nope"})).status_code == 401


async def test_admin_state_round_trip_and_reset(client: httpx.AsyncClient) -> None:
    await client.post("/count", headers={"Authorization": "tok-a"})
    dumped = (await client.get("/_emulator/state")).json()
    assert dumped["tenants"]["default"] == {"count": 11}
    assert (await client.put("/_emulator/state", json={"count": 99})).status_code == 200
    assert (await client.get("/count", headers={"Authorization": "tok-a"})).json() == {"count": 99}
    assert (await client.put("/_emulator/state", json={"count": "x"})).status_code == 400
    await client.post("/_emulator/reset")
    assert (await client.get("/count", headers={"Authorization": "tok-a"})).json() == {"count": 10}


async def test_injected_error_is_not_applied(client: httpx.AsyncClient) -> None:
    await client.put("/_emulator/faults", json={"error_rate": 1, "error_status": 503})
    response = await client.post("/count", headers={"Authorization": "tok-a"})
    assert response.status_code == 503
    assert response.json() == {"error": "injected fault"}
    await client.put("/_emulator/faults", json={})
    assert (await client.get("/count", headers={"Authorization": "tok-a"})).json() == {"count": 10}


async def test_apply_then_fail_applies_the_write_and_fails_the_response(
    client: httpx.AsyncClient,
) -> None:
    await client.put("/_emulator/faults", json={"apply_then_fail_rate": 1})
    response = await client.post("/count", headers={"Authorization": "tok-a"})
    assert response.status_code == 500
    # reads are never apply-then-fail: the write above did happen
    assert (await client.get("/count", headers={"Authorization": "tok-a"})).json() == {"count": 11}
    counts = (await client.get("/_emulator/faults")).json()["counts"]
    assert counts == {"apply_then_fail": 1}


async def test_throttle_answers_429_with_retry_after(client: httpx.AsyncClient) -> None:
    await client.put("/_emulator/faults", json={"throttle_rate": 1, "retry_after_seconds": 3})
    response = await client.get("/count", headers={"Authorization": "tok-a"})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "3"


async def test_dropped_connection_in_process_raises_a_transport_error(
    client: httpx.AsyncClient,
) -> None:
    await client.put("/_emulator/faults", json={"drop_rate": 1})
    with pytest.raises(httpx.RemoteProtocolError):
        await client.post("/count", headers={"Authorization": "tok-a"})
    await client.put("/_emulator/faults", json={})
    assert (await client.get("/count", headers={"Authorization": "tok-a"})).json() == {"count": 10}


def test_dropped_connection_over_real_http(emulator: CounterEmulator) -> None:
    emulator.faults.configure(FaultConfig(apply_then_fail_rate=1, apply_then_fail_mode="drop"))
    with ServerThread(emulator.app) as server, httpx.Client(base_url=server.base_url) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            http.post("/count", headers={"Authorization": "tok-a"})
        assert http.get("/count", headers={"Authorization": "tok-a"}).json() == {"count": 11}


def test_faults_only_hit_the_chosen_methods_and_never_the_admin_api() -> None:
    injector = FaultInjector(FaultConfig(error_rate=1, methods=["POST"]))
    assert injector.decide("GET", "/count").reject_status is None
    assert injector.decide("POST", "/count").reject_status == 500
    assert injector.decide("POST", "/_emulator/reset").reject_status is None


def test_same_seed_same_schedule() -> None:
    config = FaultConfig(seed=7, error_rate=0.3, throttle_rate=0.2, drop_rate=0.1)
    first = [FaultInjector(config).decide("POST", "/x") for _ in range(1)]
    a, b = FaultInjector(config), FaultInjector(config)
    plans_a = [a.decide("POST", "/x") for _ in range(200)]
    plans_b = [b.decide("POST", "/x") for _ in range(200)]
    assert plans_a == plans_b
    assert plans_a[0] == first[0]
    assert len({(p.reject_status, p.drop) for p in plans_a}) > 2  # it did inject a mix


def test_token_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=2, capacity=2, clock=lambda: now[0])
    assert bucket.take() is None
    assert bucket.take() is None
    wait = bucket.take()
    assert wait == pytest.approx(0.5)
    now[0] += 0.5
    assert bucket.take() is None


def test_rate_limit_answers_429_when_the_bucket_is_empty() -> None:
    now = [0.0]
    injector = FaultInjector(FaultConfig(rate_limit=1), clock=lambda: now[0])
    assert injector.decide("GET", "/x").reject_status is None
    limited = injector.decide("GET", "/x")
    assert limited.reject_status == 429
    assert limited.retry_after == pytest.approx(1.0)
    now[0] += 1
    assert injector.decide("GET", "/x").reject_status is None
