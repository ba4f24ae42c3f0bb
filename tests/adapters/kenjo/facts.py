"""What the shared tests expect of Kenjo (see `tests/adapters/vendor_facts.py`)."""

from __future__ import annotations

from tests.adapters.vendor_facts import Bound, DiscoveryFacts

# Write-only: a login, then one PUT per change; an unchanged value is known from the journal
# and costs nothing.
REQUEST_BOUND = Bound(fixed=1, written=1, unchanged=0)


DISCOVERY = DiscoveryFacts(
    people=frozenset({("65f1a0c0e4b0a1b2c3d4e511", "ana.garcia@example.com", None)}),
    leave_types=None,  # no documented list of time-off types [DIALECTS]
    how=("Settings > Time off", "type_units"),
)
