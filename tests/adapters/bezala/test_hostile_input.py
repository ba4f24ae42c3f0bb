"""Bezala's emulator: a `value` out of any number's range is its 422, not a 500 (issue 14, item 8;
the shared checks are `tests/adapters/test_emulators_hostile_input.py`)."""

from __future__ import annotations

from balance_gateway.adapters._emulator import EmulatorOptions, build_emulator
from tests.adapters.test_emulators_hostile_input import TOKEN, _auth, _client


async def test_bezala_huge_value_is_a_422() -> None:
    emulator = build_emulator("bezala", EmulatorOptions(token=TOKEN))
    async with _client(emulator) as client:
        headers = await _auth("bezala", emulator, client)
        for value in ('"1e1000000"', "1e1000000", '"-1e1000000"', '"NaN"', '"-Infinity"'):
            body = '{"time_balance": {"balance_type": "vacation", "date": "2026-03-31", '
            body += f'"value": {value}}}}}'
            response = await client.post(
                "/api/users/819/time_balances",
                content=body,
                headers={**headers, "Content-Type": "application/json"},
            )
            assert response.status_code == 422, (value, response.text)
