"""What the shared tests expect of CompanyFlow (see `tests/adapters/vendor_facts.py`)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from balance_gateway.adapters.companyflow.demo import CF_ANNUAL
from balance_gateway.canonical import Unit
from tests.adapters.vendor_facts import (
    DiscoveryFacts,
    LeaveTypes,
    ListedType,
    Remaining,
    SdkCall,
    TypeTypo,
)

DISCOVERY = DiscoveryFacts(
    people=frozenset(
        {
            ("987e6543-e21b-12d3-a456-426614174000", "jane.doe@example.com", "EMP001"),
            ("7a1b2c3d-4e5f-4061-8273-94a5b6c7d8e9", "maria.manager@example.com", "EMP003"),
        }
    ),
    leave_types=LeaveTypes(
        ids=frozenset({"a1b2c3d4-e5f6-7890-abcd-ef1234567890"}), units=frozenset({Unit.DAYS})
    ),
)

# A route that takes a JSON body (tests/adapters/test_emulators_hostile_input.py).
WRITE_ROUTE = ("POST", "/auth/login")


# The calls of the SDK that meet a hostile server (tests/adversarial/test_sdk_hostile.py).
CF_TYPE = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
CF_EMPLOYEE = "987e6543-e21b-12d3-a456-426614174000"
CF_COMPANY = "5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
SDK_CALLS = [
    SdkCall("get_balance", lambda c: c.get_balance(CF_TYPE, 2025)),
    SdkCall("check_balance", lambda c: c.check_balance(CF_TYPE, 2025)),
    SdkCall("employee_balances", lambda c: c.employee_balances(CF_EMPLOYEE, 2025)),
    SdkCall("list_leave_types", lambda c: c.list_leave_types(CF_COMPANY)),
    SdkCall("iter_leave_types", lambda c: c.iter_leave_types(CF_COMPANY)),
    SdkCall("login", lambda c: c.login(), {"email": "e@example.com", "password": "p"}),
]

# Leave types misspelt in the demo's config (tests/gateway/test_gateway_config_checks.py).
TYPE_TYPOS = [
    TypeTypo("source", CF_ANNUAL, "0c0ffee0-0000-4000-8000-0000000000a9", (CF_ANNUAL,)),
]

# A listed leave type with a long id (tests/integration/test_discover_and_map.py).
DEMO_LISTED_TYPE = ListedType("Annual Leave", CF_ANNUAL)


def _remaining(state: Mapping[str, Any], employee: str, leave_type: str) -> Decimal:
    """The demo's 25 days a year, plus what was carried forward, less what was used."""
    record = next(
        b
        for b in state["balances"]
        if b["employee_id"] == employee and b["leave_type_id"] == leave_type
    )
    return 25 + Decimal(str(record["carried_forward_days"])) - Decimal(str(record["used_days"]))


def _use(state: dict[str, Any], employee: str, leave_type: str, days: Decimal) -> None:
    for record in state["balances"]:
        if (record["employee_id"], record["leave_type_id"]) == (employee, leave_type):
            record["used_days"] = str(Decimal(str(record["used_days"])) + days)


# The remaining days on the demo's data (the kill tests, Kenjo's fault tests).
DEMO_REMAINING = Remaining(_remaining, _use)

# A well-formed employee id the demo's CompanyFlow does not know: a 404 "Employee not found"
# (tests/integration/test_one_bad_row_http.py).
STALE_ID = "deadbeef-5b6d-4a1e-9c3f-0123456789ab"
