"""What the shared tests expect of Journyx (see `tests/adapters/vendor_facts.py`)."""

from __future__ import annotations

import inspect
from decimal import Decimal
from typing import Any

from balance_gateway.adapters._emulator.base import DEFAULT_TENANT
from balance_gateway.adapters.journyx.emulator import JournyxState
from balance_gateway.canonical import Unit
from tests.adapters.vendor_facts import (
    Bound,
    ByHand,
    DiscoveryFacts,
    LeaveTypes,
    QaCase,
    SdkCall,
    TypeTypo,
)

# One listing of every accrual to plan and one to verify; a PATCH per change.
REQUEST_BOUND = Bound(fixed=4, written=1, unchanged=0)


DISCOVERY = DiscoveryFacts(
    people=frozenset({("64BBA147B9AC41D9978062300826C89F", "john.doe@example.com", None)}),
    leave_types=LeaveTypes(ids=frozenset({"Vacation"}), units=frozenset({Unit.HOURS})),
)

# A route that takes a JSON body (tests/adapters/test_emulators_hostile_input.py).
WRITE_ROUTE = ("POST", "/api/v1/accruals")


# The 500s a QA pass found (tests/adapters/test_emulators_bad_input.py): method, path, body,
# status, what the answer holds (None: the vendor's error style, as `error_body` writes it).
JOURNYX_ACCRUALS = "/api/v1/accruals"
VACATION_PAY_TYPE = "7FD02168BF7737FFAC2068C7DD76C31B"
QA_CASES: list[QaCase] = [
    ("POST", JOURNYX_ACCRUALS,
     b'{"pname": "x", "pay_type_ids": ["%s"], "status_code": []}' % VACATION_PAY_TYPE.encode(),
     400, None),
    ("POST", JOURNYX_ACCRUALS,
     b'{"pname": "x", "pay_type_ids": ["%s"], "status": {}}' % VACATION_PAY_TYPE.encode(),
     400, None),
    ("POST", "/login", b"[" * 2000, 400,
     {"error": "the request body is not valid JSON"}),
]  # fmt: skip


# The calls of the SDK that meet a hostile server (tests/adversarial/test_sdk_hostile.py).
JX_ACCRUAL = "64BBA147B9AC41D9978062300826C89F"
_API_KEY = {"username": "admin", "api_key": "k"}


def _walked(answer: Any) -> Any:
    """The accruals of a `list_accruals_lazily` answer, walked (they are validated then),
    from the blocking client or, awaited, from the async one."""
    if inspect.isawaitable(answer):

        async def walk() -> list[Any]:
            return list((await answer).accruals)

        return walk()
    return list(answer.accruals)


SDK_CALLS = [
    *(
        SdkCall(name, run, _API_KEY, write=write)
        for name, run, write in [
            ("list_accruals", lambda c: c.list_accruals(), False),
            ("list_accruals_lazily", lambda c: _walked(c.list_accruals_lazily()), False),
            ("iter_accruals", lambda c: c.iter_accruals(), False),
            ("get_accrual", lambda c: c.get_accrual(JX_ACCRUAL), False),
            (
                "create_accrual",
                lambda c: c.create_accrual(pname="Vacation", pay_type_ids=["A" * 32]),
                True,
            ),
            (
                "replace_accrual",
                lambda c: c.replace_accrual(JX_ACCRUAL, pname="Vacation", pay_type_ids=["A" * 32]),
                True,
            ),
            ("update_accrual", lambda c: c.update_accrual(JX_ACCRUAL, hours_left=1), True),
            ("delete_accrual", lambda c: c.delete_accrual(JX_ACCRUAL), True),
        ]
    ),
    SdkCall("login", lambda c: c.login(), {"username": "admin", "password": "p"}),
]

# Leave types misspelt in the demo's config (tests/gateway/test_gateway_config_checks.py).
TYPE_TYPOS = [
    TypeTypo("target", "Vacation", "Vacaton", ("Vacation", "Time Bank")),
    TypeTypo("source", "Sick", "Sickk", ("Sick", "Floating Holiday")),
]


# An accrual changed by hand (tests/integration/test_saved_plan_emulators.py).
def _accrual(emulator: Any, employee: str, leave_type: str) -> Any:
    state: JournyxState = emulator.state_for(DEFAULT_TENANT)
    return next(
        a for a in state.accruals.values() if a.id_user == employee and a.pname == leave_type
    )


def _held(emulator: Any, employee: str, leave_type: str) -> Decimal:
    hours: Decimal = _accrual(emulator, employee, leave_type).hours_left
    return hours


def _change(emulator: Any, employee: str, leave_type: str, value: Decimal) -> None:
    _accrual(emulator, employee, leave_type).hours_left = value


BY_HAND = ByHand(held=_held, change=_change, unit="hours")
