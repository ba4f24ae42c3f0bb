"""Issue 7's "done when", over real HTTP: the Journyx emulator on 127.0.0.1 and the SDK."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from balance_gateway.adapters._core.errors import ValidationError
from balance_gateway.adapters._emulator import EmulatorOptions, ServerThread
from balance_gateway.adapters.journyx import ACCRUAL_KEYS, AsyncClient, Client
from balance_gateway.adapters.journyx.emulator import build_emulator
from balance_gateway.contracts._harness.matching import compare

TOKEN = "T-journyx-integration"
SEED_ID = "64BBA147B9AC41D9978062300826C89F"
JANE = "5CD906A3941C463B9CC98F49DBCC25AA"
SEED_FIXTURE = (
    Path(__file__).resolve().parents[3] / "contracts/journyx/accruals_get/seed_example.json"
)


@pytest.fixture
def base_url() -> Iterator[str]:
    emulator = build_emulator(EmulatorOptions(token=TOKEN))
    with ServerThread(emulator.app) as server:
        yield server.base_url


@pytest.fixture
def client(base_url: str) -> Iterator[Client]:
    with Client(base_url, username="admin", api_key=TOKEN) as sdk:
        yield sdk


def test_the_sample_accrual_reads_back_with_every_field_of_the_seed(client: Client) -> None:
    fixture = json.loads(SEED_FIXTURE.read_text())
    accrual = client.get_accrual(SEED_ID, keys=ACCRUAL_KEYS)
    body = accrual.model_dump(mode="json", exclude_unset=True)
    expected = fixture["response"]["json"]["results"]
    assert set(body) == set(expected)
    # Values exact except the seed's placeholders (the fixture's matchers, rebased on results).
    matchers = {p.replace("$.results", "$"): m for p, m in fixture["matchers"].items()}
    raw = client.request(
        "GET", f"/api/v1/accruals/{SEED_ID}", params={"$keys": ",".join(ACCRUAL_KEYS)}
    )
    assert compare(expected, raw.json()["results"], matchers) == []
    assert accrual.hours_left == Decimal(40)
    assert accrual.model_extra == {}


def test_an_update_to_32_5_reads_back_with_a_fresh_modify_timestamp(client: Client) -> None:
    before = time.time()
    client.update_accrual(SEED_ID, hours_left=32.5)
    back = client.get_accrual(SEED_ID)
    assert back.hours_left == Decimal("32.5")
    assert back.modify_timestamp is not None
    assert before - 1 <= back.modify_timestamp <= time.time() + 1
    assert back.create_timestamp == Decimal("1696021987.01375")


def test_top_one_pages_through_every_accrual_by_next_link(client: Client) -> None:
    first = client.list_accruals(top=1)
    assert first.count is not None
    assert first.count > 1
    assert first.next_link is not None
    walked = [a.id for a in client.iter_accruals(page_size=1)]
    assert len(walked) == first.count
    assert len(set(walked)) == len(walked)
    assert walked[0] == SEED_ID


def test_changing_id_user_is_refused(client: Client) -> None:
    with pytest.raises(ValidationError, match="id_user"):
        client.update_accrual(SEED_ID, id_user=JANE)
    assert client.get_accrual(SEED_ID).id_user == SEED_ID


async def test_cookie_login_over_http(base_url: str) -> None:
    async with AsyncClient(base_url, username="admin", password=TOKEN) as sdk:
        await sdk.login()
        accrual = await sdk.get_accrual(SEED_ID, keys=["hours_left"])
        assert accrual.hours_left == Decimal(40)
        assert sdk.auth is not None
        assert getattr(sdk.auth, "login_count", 0) == 1
