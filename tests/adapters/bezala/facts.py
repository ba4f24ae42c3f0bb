"""What the shared tests expect of Bezala (see `tests/adapters/vendor_facts.py`)."""

from __future__ import annotations

from balance_gateway.canonical import Unit
from tests.adapters.vendor_facts import Bound, DiscoveryFacts, LeaveTypes

# Paths per user: the bulk read is one `latest` per balance, and so is the read back. A write
# lists the date's imports once before its POST (a POST is not idempotent); none here is on a
# date holding an import already (a replace would add its DELETE). A login.
REQUEST_BOUND = Bound(fixed=1, written=1 + 1 + 1 + 1, unchanged=1)


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
