"""The Journyx bulk listing asks for its later pages together, once the first page says how
many there are (`$count`, `$top`), and reads the same accruals, in the same order, as a walk by
`@nextLink` would."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import httpx
import pytest

from balance_gateway.adapters._core.adapter import AdapterConfig
from balance_gateway.adapters._core.errors import GatewayError
from balance_gateway.adapters._core.secrets import Secret
from balance_gateway.adapters.journyx import JournyxAdapter, build_adapter
from balance_gateway.adapters.journyx.adapter import LISTING_PAGES_AT_ONCE
from balance_gateway.adapters.journyx.emulator import JournyxEmulator
from tests.adapters.journyx.conftest import ALEX, JANE, SEED_ID, TOKEN, VACATION

PEOPLE = [SEED_ID, JANE, ALEX]
Answer = Callable[[httpx.Request, httpx.Response], Awaitable[httpx.Response]]


class Listings(httpx.AsyncBaseTransport):
    """The emulator, with each accrual listing held a moment (so that requests sent together
    overlap) and counted: how many were asked for, and the most answered at once. `answer`
    may change a listing's answer."""

    def __init__(self, emulator: JournyxEmulator, answer: Answer | None = None) -> None:
        self.inner = httpx.ASGITransport(app=emulator.app)
        self.answer = answer
        self.skips: list[int] = []
        self.answered: list[int] = []  # of each listing asked for, how many were answered then
        self.open = 0
        self.most_open = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        listing = request.method == "GET" and request.url.path == "/api/v1/accruals"
        if not listing:
            return await self.inner.handle_async_request(request)
        self.skips.append(int(request.url.params.get("$skip", "0")))
        self.answered.append(len(self.skips) - 1 - self.open)
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        try:
            await asyncio.sleep(0.01)
            response = await self.inner.handle_async_request(request)
            if self.answer is not None:
                await response.aread()
                response = await self.answer(request, response)
            return response
        finally:
            self.open -= 1


def _adapter(transport: httpx.AsyncBaseTransport, page_size: int) -> JournyxAdapter:
    return build_adapter(
        AdapterConfig(
            system="journyx",
            base_url="http://emulator",
            credentials={"username": Secret("admin"), "api_key": Secret(TOKEN)},
            options={"page_size": page_size},
            transport=transport,
        )
    )


@pytest.fixture
async def more_accruals(api: httpx.AsyncClient) -> None:
    """Nine more visible accruals, so that a listing 2 at a time takes several pages."""
    for n in range(9):
        body = {"pname": f"Bank {n}", "pay_type_ids": [VACATION], "id_user": JANE}
        assert (await api.post("/api/v1/accruals", json=body)).status_code == 201


async def _read(adapter: JournyxAdapter) -> list[tuple[str, str, object]]:
    try:
        balances = await adapter.read_balances(PEOPLE, [], date.today())
        return [(b.employee.id, b.leave_type.id, b.remaining) for b in balances]
    finally:
        await adapter.aclose()


async def test_the_later_pages_are_asked_for_together_and_read_in_order(
    emulator: JournyxEmulator, more_accruals: None
) -> None:
    whole = Listings(emulator)
    expected = await _read(_adapter(whole, 1000))
    assert whole.skips == [0]  # one page of 1,000
    paged = Listings(emulator)
    assert await _read(_adapter(paged, 2)) == expected
    # Every page once, by $skip; several answered at once, never more than the window.
    assert sorted(paged.skips) == list(range(0, 2 * len(paged.skips), 2))
    assert len(paged.skips) > LISTING_PAGES_AT_ONCE + 1
    assert 1 < paged.most_open <= LISTING_PAGES_AT_ONCE


async def test_a_later_page_refused_fails_the_read_and_leaves_no_request_running(
    emulator: JournyxEmulator, more_accruals: None
) -> None:
    async def refuse_the_third(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        if request.url.params.get("$skip") == "4":
            return httpx.Response(400, json={"success": False, "response_code": 400})
        return response

    transport = Listings(emulator, refuse_the_third)
    with pytest.raises(GatewayError):
        await _read(_adapter(transport, 2))
    await asyncio.sleep(0.05)  # a request left running would still be counted open
    assert transport.open == 0
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []


async def test_accruals_added_during_the_read_past_its_count_are_still_read(
    emulator: JournyxEmulator, api: httpx.AsyncClient, more_accruals: None
) -> None:
    added = False

    async def add_two_after_the_first(
        request: httpx.Request, response: httpx.Response
    ) -> httpx.Response:
        nonlocal added
        if not added:
            added = True
            for n in range(2):
                body = {"pname": f"Late {n}", "pay_type_ids": [VACATION], "id_user": ALEX}
                assert (await api.post("/api/v1/accruals", json=body)).status_code == 201
        return response

    read = await _read(_adapter(Listings(emulator, add_two_after_the_first), 2))
    assert {(ALEX, "Late 0"), (ALEX, "Late 1")} <= {(e, t) for e, t, _ in read}
    assert read == await _read(_adapter(Listings(emulator), 1000))


async def test_a_server_without_paging_figures_is_walked_by_its_links(
    emulator: JournyxEmulator, more_accruals: None
) -> None:
    async def without_count(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        body: dict[str, Any] = json.loads(response.content)
        body.pop("$count", None)
        return httpx.Response(response.status_code, json=body)

    transport = Listings(emulator, without_count)
    read = await _read(_adapter(transport, 2))
    assert read == await _read(_adapter(Listings(emulator), 1000))
    # The first page twice (it gave no count), then one page at a time.
    assert transport.skips[:2] == [0, 0]
    assert transport.skips[1:] == list(range(0, 2 * (len(transport.skips) - 1), 2))
    assert transport.most_open == 1


async def test_the_next_listing_asks_for_the_pages_the_last_one_had_with_its_first(
    emulator: JournyxEmulator, more_accruals: None
) -> None:
    # A sync's read back lists what its plan listed: its later pages need not wait a round trip.
    transport = Listings(emulator)
    adapter = _adapter(transport, 2)
    try:
        first = await adapter.read_balances(PEOPLE, [], date.today())
        pages = len(transport.skips)
        transport.skips.clear()
        transport.answered.clear()
        again = await adapter.read_balances(PEOPLE, [], date.today())
    finally:
        await adapter.aclose()
    assert [(b.employee.id, b.leave_type.id, b.remaining) for b in again] == [
        (b.employee.id, b.leave_type.id, b.remaining) for b in first
    ]
    assert sorted(transport.skips) == list(range(0, 2 * pages, 2))  # every page once
    # The first page and the window after it asked for before any of them was answered.
    assert transport.answered[: LISTING_PAGES_AT_ONCE + 1] == [0] * (LISTING_PAGES_AT_ONCE + 1)


@pytest.mark.parametrize(
    "remembered", [(40, 2), (12, 3)], ids=["fewer-accruals-now", "paged-otherwise-now"]
)
async def test_pages_the_last_listing_had_and_this_one_has_not_go_unread(
    emulator: JournyxEmulator, more_accruals: None, remembered: tuple[int, int]
) -> None:
    expected = await _read(_adapter(Listings(emulator), 1000))
    transport = Listings(emulator)
    adapter = _adapter(transport, 2)
    adapter._last_paging = remembered  # as a larger listing would have left
    assert await _read(adapter) == expected
    await asyncio.sleep(0.05)
    assert transport.open == 0
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []
