"""What the shared tests expect of CompanyFlow (see `tests/adapters/vendor_facts.py`)."""

from __future__ import annotations

from balance_gateway.canonical import Unit
from tests.adapters.vendor_facts import DiscoveryFacts, LeaveTypes

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
