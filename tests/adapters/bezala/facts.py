"""What the shared tests expect of Bezala (see `tests/adapters/vendor_facts.py`)."""

from __future__ import annotations

from balance_gateway.canonical import Unit
from tests.adapters.vendor_facts import Bound, DiscoveryFacts, LeaveTypes, QaCase, SdkCall, TypeTypo

# Paths per user, one listing of a user's imports holding both types. The plan: that listing,
# shared by the user's two balances (1/2 each); a plan on a date with no import of its own reads
# nothing more. A write: the POST alone, its first attempt acting on what the plan saw (no
# listing of the date; none here is on a date holding an import already, where a replace would
# add its DELETE). Verification: the listing again for each user written, shared when both of
# the user's types are written (1/2), whole when only one is (1). A login (email and password).
REQUEST_BOUND = Bound(fixed=1, written=1 / 2 + 1 + 1, unchanged=1 / 2)


DISCOVERY = DiscoveryFacts(
    people=frozenset(
        {("819", "aino.virtanen@example.com", "1001"), ("42", "admin@example.com", None)}
    ),
    leave_types=LeaveTypes(
        ids=frozenset({"vacation", "work_time"}), units=frozenset({Unit.DAYS, Unit.MINUTES})
    ),
)

# A route that takes a JSON body (tests/adapters/test_emulators_hostile_input.py).
WRITE_ROUTE = ("POST", "/api/users/819/time_balances")


# The 500s a QA pass found (tests/adapters/test_emulators_bad_input.py): method, path, body,
# status, what the answer holds (None: the vendor's error style, as `error_body` writes it).
BEZALA_IMPORT = "/api/users/819/time_balances"
QA_CASES: list[QaCase] = [
    ("POST", BEZALA_IMPORT,
     b'{"time_balance":{"balance_type":[],"date":"2026-03-31","value":4}}', 422,
     {"errors": {"balance_type": ["must be one of: work_time, vacation"]}}),
    ("POST", BEZALA_IMPORT,
     b'{"time_balance":{"balance_type":{"a":1},"date":"2026-03-31","value":4}}', 422, None),
    ("POST", "/api/auth/token", b"[" * 2000, 400, {"error": "malformed JSON body"}),
    ("POST", BEZALA_IMPORT, b"[" * 2000, 400, {"error": "malformed JSON body"}),
]  # fmt: skip


# The calls of the SDK that meet a hostile server (tests/adversarial/test_sdk_hostile.py).
SDK_CALLS = [
    SdkCall("list_time_balances", lambda c: c.list_time_balances(819)),
    SdkCall("iter_time_balances", lambda c: c.iter_time_balances(819)),
    SdkCall(
        "latest_time_balance",
        lambda c: c.latest_time_balance(819, balance_type="vacation"),
    ),
    SdkCall(
        "import_time_balance",
        lambda c: c.import_time_balance(819, balance_type="vacation", date="2026-03-31", value=4),
        write=True,
    ),
    SdkCall(
        "delete_time_balance",
        lambda c: c.delete_time_balance(819, 1),
        write=True,
        ignores_body=True,
    ),
    SdkCall("login", lambda c: c.login(), {"email": "e@example.com", "password": "p"}),
]

# A user id the emulator does not know: it answers 404 for it
# (tests/integration/test_one_bad_row_http.py).
STALE_ID = "999999"

# Leave types misspelt in the demo's config (tests/gateway/test_gateway_config_checks.py).
TYPE_TYPOS = [
    TypeTypo("target", "vacation", "vacaton", ("vacation", "work_time")),
    TypeTypo("source", "vacation", "vacaton", ("vacation", "work_time")),
]
