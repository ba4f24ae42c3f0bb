"""What the shared tests expect of Journyx (see `tests/adapters/vendor_facts.py`)."""

from __future__ import annotations

from balance_gateway.canonical import Unit
from tests.adapters.vendor_facts import Bound, DiscoveryFacts, LeaveTypes

# One listing of every accrual to plan and one to verify; a PATCH per change.
REQUEST_BOUND = Bound(fixed=4, written=1, unchanged=0)


DISCOVERY = DiscoveryFacts(
    people=frozenset({("64BBA147B9AC41D9978062300826C89F", "john.doe@example.com", None)}),
    leave_types=LeaveTypes(ids=frozenset({"Vacation"}), units=frozenset({Unit.HOURS})),
)

# A route that takes a JSON body (tests/adapters/test_emulators_hostile_input.py).
WRITE_ROUTE = ("POST", "/api/v1/accruals")
