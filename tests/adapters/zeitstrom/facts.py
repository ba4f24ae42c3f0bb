"""What the shared tests expect of Zeitstrom (see `tests/adapters/vendor_facts.py`)."""

from __future__ import annotations

from tests.adapters.vendor_facts import Bound

# Aggregate and later-dated ledger (50 employees per request) to plan and to verify; a POST per
# credit, and the ledgers read before the writes shared by the writes in flight (one listing
# per group of up to 50 employees: a few in all, here).
REQUEST_BOUND = Bound(fixed=8, written=1, unchanged=0)
