"""Bezala's "Done when" over real HTTP: the emulator served by uvicorn on 127.0.0.1, the SDK."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from balance_gateway.adapters._core.errors import RequestValidationError
from balance_gateway.adapters._emulator import EmulatorOptions, ServerThread
from balance_gateway.adapters.bezala import Client
from balance_gateway.adapters.bezala.emulator import build_emulator
from tests.adapters.bezala.test_models import SEED_LIST

TOKEN = "integration-token"
LIST = "/api/users/819/time_balances"
# The seed's example listing (the same the model tests parse).
SEED_COLLECTION = SEED_LIST["collection"]


@pytest.fixture
def base_url() -> Iterator[str]:
    with ServerThread(build_emulator(EmulatorOptions(token=TOKEN)).app) as server:
        yield server.base_url


def test_the_seed_example_answers_with_the_token_and_401_without(base_url: str) -> None:
    with_token = httpx.get(base_url + LIST, headers={"Authorization": f"Bearer {TOKEN}"})
    without = httpx.get(base_url + LIST)

    assert with_token.status_code == 200
    assert with_token.json() == {
        "collection": SEED_COLLECTION,
        "pagination": {"current_page": 1, "total_pages": 1, "total_count": 2},
    }
    assert '"value":5.0' in with_token.text
    assert '"value":75,' in with_token.text
    assert without.status_code == 401
    assert "error" in without.json()


def test_import_latest_delete_through_the_sdk(base_url: str) -> None:
    with Client(base_url, token=TOKEN) as bezala:
        created = bezala.import_time_balance(
            819, balance_type="work_time", date="2025-04-30", value=-90
        )
        latest = bezala.latest_time_balance(819, balance_type="work_time")
        bezala.delete_time_balance(819, created.id)
        after = bezala.latest_time_balance(819, balance_type="work_time")
        every = list(bezala.iter_time_balances(819, per_page=1))

    assert latest == created
    assert latest.value == Decimal(-90)
    assert after is not None
    assert after.id == "1"
    assert [r.id for r in every] == ["2", "1"]


def test_fractional_work_time_is_refused_by_sdk_and_server(base_url: str) -> None:
    body = {"time_balance": {"balance_type": "work_time", "date": "2025-03-15", "value": 1.5}}
    with Client(base_url, token=TOKEN) as bezala:
        with pytest.raises(RequestValidationError) as refused:
            bezala.import_time_balance(
                819, balance_type="work_time", date="2025-03-15", value=Decimal("1.5")
            )
        unchanged = bezala.list_time_balances(819)

    raw = httpx.post(base_url + LIST, json=body, headers={"Authorization": f"Bearer {TOKEN}"})

    assert refused.value.field == "value"
    assert unchanged.pagination is not None
    assert unchanged.pagination.total_count == 2
    assert raw.status_code == 422
    assert raw.json()["errors"] == {"value": ["must be an integer number of minutes for work_time"]}


def test_login_then_read_through_the_sdk(base_url: str) -> None:
    with Client(base_url, email="admin@example.com", password="demo-password") as bezala:
        page = bezala.list_time_balances(819)

    assert [r.id for r in page.collection] == ["2", "1"]


@pytest.mark.parametrize(
    ("method", "path", "content"),
    [
        ("POST", LIST, b"\x00\xff{"),
        ("POST", LIST, json.dumps({"time_balance": {"value": [1e308, None]}}).encode()),
        ("GET", "/api/users/99999999999999999999999999/time_balances", b""),
        ("GET", LIST + "?page=-1&per_page=999999999999999999999", b""),
        ("DELETE", LIST + "/1.5", b""),
        ("PATCH", LIST, b"{}"),
        ("POST", "/api/auth/token", b"email=&password="),
    ],
)
def test_nothing_sent_makes_it_answer_500(
    base_url: str, method: str, path: str, content: bytes
) -> None:
    response = httpx.request(
        method,
        base_url + path,
        content=content,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )

    assert 400 <= response.status_code < 500
    assert isinstance(response.json()["error"], str)
