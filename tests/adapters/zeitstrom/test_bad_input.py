"""Zeitstrom's emulator: amounts up to the bound its serializer sets are stored and summed, and
one over it is refused (the shared checks are `tests/adapters/test_emulators_bad_input.py`)."""

from __future__ import annotations

from tests.adapters.test_emulators_bad_input import assert_no_500, send, target_for
from tests.adapters.zeitstrom.facts import ANNA, ZEITSTROM_TX, _tx


async def test_zeitstrom_amounts_up_to_the_bound_are_stored_and_summed() -> None:
    target = await target_for("zeitstrom")
    async with target.client() as client:
        headers = await target.auth(client)
        for _ in range(2):
            created = await send(
                target, client, headers, "POST", ZEITSTROM_TX, content=_tx("999999.999999")
            )
            assert created.status_code == 201, created.text
            assert created.json()["amount"] == 999999.999999
        updated = await send(
            target, client, headers, "PUT", f"{ZEITSTROM_TX}{created.json()['id']}/",
            content=_tx("1e999"),
        )  # fmt: skip
        aggregate = await send(
            target, client, headers, "GET", f"{ZEITSTROM_TX}aggregate/",
            query={"employee_ids": ANNA, "balance": "true"},
        )  # fmt: skip

    assert updated.status_code == 400
    assert set(updated.json()) == {"amount"}
    holiday = next(r for r in aggregate.json()["results"] if r["missing_type"] == "holiday")
    assert holiday["credited"] == 30 + 2 * 999999.999999
    assert_no_500(target)
