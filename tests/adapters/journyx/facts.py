"""What the shared tests expect of Journyx (see `tests/adapters/vendor_facts.py`)."""

from __future__ import annotations

from tests.adapters.vendor_facts import Bound

# One listing of every accrual to plan and one to verify; a PATCH per change.
REQUEST_BOUND = Bound(fixed=4, written=1, unchanged=0)
