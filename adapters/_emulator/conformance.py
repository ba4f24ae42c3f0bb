"""What a vendor gives the adapter conformance suite (`tests/adapters/test_conformance.py`):
one small case in its own folder, `adapters/<vendor>/conformance.py`, defining `CASE`.

The suite runs the same checks over every registered vendor against its emulator: read,
plan, apply, confirm, re-apply is a skip, an unknown outcome resolved by reading back, tenants
that never mix, secrets that never leak. A new vendor's adapter tests are then mostly this one
case.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from balance_gateway.adapters._core.registry import load


@dataclass(frozen=True)
class ConformanceCase:
    """One vendor's facts for the conformance suite, all taken from its emulator's sample data.

    `credentials(token)` are the adapter's credentials (its `CREDENTIAL_KEYS`) for the tenant
    whose emulator credential is `token`; `employee` has a balance of `leave_type` (for a
    source) or may be written there (for a target); `write_value` is a remaining balance the
    target can take, in its unit (None for a read-only vendor)."""

    vendor: str
    credentials: Callable[[str], dict[str, str]]
    employee: str
    leave_type: str
    as_of: date
    write_value: Decimal | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


def conformance_case(vendor: str) -> ConformanceCase:
    """`adapters/<vendor>/conformance.py`'s `CASE` (found by convention, like the contract
    bindings)."""
    case: ConformanceCase = load(vendor, "conformance").CASE
    return case
