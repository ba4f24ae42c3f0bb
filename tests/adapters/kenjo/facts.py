"""What the shared tests expect of Kenjo (see `tests/adapters/vendor_facts.py`)."""

from __future__ import annotations

from tests.adapters.vendor_facts import Bound

# Write-only: a login, then one PUT per change; an unchanged value is known from the journal
# and costs nothing.
REQUEST_BOUND = Bound(fixed=1, written=1, unchanged=0)
