"""What the shared tests expect of Zeitstrom (see `tests/adapters/vendor_facts.py`)."""

from __future__ import annotations

from balance_gateway.canonical import Unit
from tests.adapters.vendor_facts import Bound, DiscoveryFacts, LeaveTypes

# Aggregate and later-dated ledger (50 employees per request) to plan and to verify; a POST per
# credit, and the ledgers read before the writes shared by the writes in flight (one listing
# per group of up to 50 employees: a few in all, here).
REQUEST_BOUND = Bound(fixed=8, written=1, unchanged=0)


DISCOVERY = DiscoveryFacts(
    people=frozenset({("a1b2c3d4-e5f6-7890-abcd-ef1234567890", "anna.becker@example.com", "1")}),
    # Zeitstrom sees only the types its ledger uses: it says the list may be partial.
    leave_types=LeaveTypes(
        ids=frozenset({"holiday"}), units=frozenset({Unit.DAYS}), complete=False
    ),
)

# A route that takes a JSON body (tests/adapters/test_emulators_hostile_input.py).
WRITE_ROUTE = ("POST", "/api/v2/timestamps/absence-transactions/")
