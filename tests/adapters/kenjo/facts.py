"""What the shared tests expect of Kenjo (see `tests/adapters/vendor_facts.py`)."""

from __future__ import annotations

from tests.adapters.vendor_facts import Bound, DiscoveryFacts, QaCase, SdkCall

# Write-only: a login, then one PUT per change; an unchanged value is known from the journal
# and costs nothing.
REQUEST_BOUND = Bound(fixed=1, written=1, unchanged=0)


DISCOVERY = DiscoveryFacts(
    people=frozenset({("65f1a0c0e4b0a1b2c3d4e511", "ana.garcia@example.com", None)}),
    leave_types=None,  # no documented list of time-off types [DIALECTS]
    how=("Settings > Time off", "[[syncs]].types", "type_units"),
)

# A route that takes a JSON body (tests/adapters/test_emulators_hostile_input.py).
KENJO_TYPE, KENJO_EMPLOYEE = "65f1a0c0e4b0a1b2c3d4e501", "65f1a0c0e4b0a1b2c3d4e511"
WRITE_ROUTE = ("PUT", f"/api/v1/time-off/set-balance/{KENJO_TYPE}/{KENJO_EMPLOYEE}")


# The 500s a QA pass found (tests/adapters/test_emulators_bad_input.py): method, path, body,
# status, what the answer holds (None: the vendor's error style, as `error_body` writes it).
QA_CASES: list[QaCase] = [
    ("POST", "/api/v1/auth/login", b"[" * 2000, 400, None),
]


# The calls of the SDK that meet a hostile server (tests/adversarial/test_sdk_hostile.py).
SDK_CALLS = [
    SdkCall("list_employees", lambda c: c.list_employees()),
    SdkCall("iter_employees", lambda c: c.iter_employees()),
    SdkCall(
        "list_time_off_requests",
        lambda c: c.list_time_off_requests("2025-01-01", "2025-01-31"),
    ),
    SdkCall(
        "iter_time_off_requests",
        lambda c: c.iter_time_off_requests("2025-01-01", "2025-01-31"),
    ),
    SdkCall(
        "set_balance",
        lambda c: c.set_balance(KENJO_TYPE, KENJO_EMPLOYEE, 10),
        write=True,
    ),
    SdkCall("login", lambda c: c.login(), {"api_key": "k"}),
    SdkCall("logout", lambda c: c.logout(), ignores_body=True),
]
