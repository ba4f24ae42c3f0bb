"""CompanyFlow's emulator: a decimal its columns cannot hold is an invalid state, not a 500
(the shared checks are `tests/adapters/test_emulators_bad_input.py`)."""

from __future__ import annotations

from tests.adapters.test_emulators_bad_input import ADMIN, dumps, target_for


async def test_a_decimal_no_column_holds_is_an_invalid_state_not_a_500() -> None:
    # CompanyFlow stores days as DECIMAL(6,1); 1e30 made the rounding raise InvalidOperation.
    target = await target_for("companyflow")
    state = target.emulator.dump_state()["tenants"]["default"]
    state["leave_types"][0]["days_allowed"] = "1e30"
    async with target.client() as client:
        response = await client.put(f"{ADMIN}/state", content=dumps(state))

    assert response.status_code == 400
    assert "DECIMAL(6,1)" in response.json()["error"]
