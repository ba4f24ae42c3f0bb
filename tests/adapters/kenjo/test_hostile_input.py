"""Kenjo's emulator: a `balance` out of any number's range is its 400, not a 500 (issue 14,
item 8; the shared checks are `tests/adapters/test_emulators_hostile_input.py`)."""

from __future__ import annotations

from balance_gateway.adapters._emulator import EmulatorOptions, build_emulator
from tests.adapters.kenjo.facts import KENJO_EMPLOYEE, KENJO_TYPE
from tests.adapters.test_emulators_hostile_input import TOKEN, _auth, _client


async def test_kenjo_huge_balance_is_a_400() -> None:
    emulator = build_emulator("kenjo", EmulatorOptions(token=TOKEN))
    async with _client(emulator) as client:
        headers = await _auth("kenjo", emulator, client)
        for value in ("1e1000000", "-1e1000000", '"1e1000000"'):
            response = await client.put(
                f"/api/v1/time-off/set-balance/{KENJO_TYPE}/{KENJO_EMPLOYEE}",
                content=f'{{"balance": {value}}}',
                headers={**headers, "Content-Type": "application/json"},
            )
            assert response.status_code == 400, (value, response.text)
