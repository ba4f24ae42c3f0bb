"""CompanyFlow's emulator: a login checks the password and never accepts an issued JWT as one (an
employee's token logged in as a manager; issue 14, item 8; the shared checks are
`tests/adapters/test_emulators_hostile_input.py`)."""

from __future__ import annotations

from balance_gateway.adapters._emulator import EmulatorOptions, build_emulator
from tests.adapters.test_emulators_hostile_input import TOKEN, _client


async def test_companyflow_never_takes_an_issued_jwt_as_a_password() -> None:
    emulator = build_emulator("companyflow", EmulatorOptions(token=TOKEN))
    async with _client(emulator) as client:
        login = await client.post(
            "/auth/login", json={"email": "jane.doe@example.com", "password": TOKEN}
        )
        assert login.status_code == 200
        employee_jwt = login.json()["data"]["token"]
        # Her own token works as a token ...
        mine = await client.get(
            "/leave-balance",
            params={"leaveTypeId": "x", "year": 2025},
            headers={"Authorization": f"Bearer {employee_jwt}"},
        )
        assert mine.status_code != 401
        # ... but never as a password: not for her, and not for the manager.
        for email in ("jane.doe@example.com", "maria.manager@example.com"):
            escalated = await client.post(
                "/auth/login", json={"email": email, "password": employee_jwt}
            )
            assert escalated.status_code == 401, escalated.text
        wrong = await client.post(
            "/auth/login", json={"email": "maria.manager@example.com", "password": "guess"}
        )
        assert wrong.status_code == 401
