"""What a vendor gives the adapter conformance suite (`tests/adapters/test_conformance.py`) and
the vendor-generic stress tests: one small case in its own folder,
`adapters/<vendor>/conformance.py`, defining `CASE`.

The suite runs the same checks over every registered vendor against its emulator: read,
plan, apply, confirm, re-apply is a skip, an unknown outcome resolved by reading back, tenants
that never mix, secrets that never leak. The fault campaign (`tests/stress/test_fault_campaign.py`)
and the engine pair tests (`tests/integration/test_engine_pairs.py`) take what they need of a
vendor from the case's `campaign` (`CampaignFacts`), on the demo's generated data; the secrets
stress test (`tests/stress/test_secrets.py`) from its `secrets` (`SecretFacts`). A new
vendor's adapter tests are then mostly this one case.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from random import Random
from typing import Any

from balance_gateway.adapters._core.registry import load
from balance_gateway.adapters._emulator.demo import demo_profile

VendorState = dict[str, Any]  # one tenant's state, as `GET /_emulator/state` shows it


def _no_invariants(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    return []


@dataclass(frozen=True)
class CampaignFacts:
    """A vendor's part in the fault campaign and the engine pair tests, on the demo's generated
    data (`gateway/demo.py`; the systems there are named by vendor).

    `source_types`: leave types (vendor ids) a sync may read it as a source (empty: it is no
    source); `target_types`: types a sync may write it as a target (empty: no target), and
    `steps`, the rounding steps it can take as one. `pair_source_type` / `pair_target_type`:
    the one type of each that the engine pair tests sync (None: not in them), with
    `pair_step` the rounding those pairs use into it (None: the sync's default).

    `change_source(state, types, rng, today)`: `state` (its admin state) with some balances of
    `types` changed, as people do between two syncs, drawn from `rng` (a source must give it).
    `invariants(before, after)`: what must hold of its admin state after any run, from the
    state before the first: each problem one line (no write of ours doubled, nobody else's
    record touched). `absent_is_zero`: no row in `GET /_emulator/balances` is a balance of 0
    (a ledger without a transaction), not "no balance"."""

    source_types: tuple[str, ...] = ()
    target_types: tuple[str, ...] = ()
    steps: tuple[str, ...] = ("0.01",)
    pair_source_type: str | None = None
    pair_target_type: str | None = None
    pair_step: str | None = None
    change_source: Callable[[VendorState, set[str], Random, date], VendorState] | None = None
    invariants: Callable[[Mapping[str, Any], Mapping[str, Any]], list[str]] = _no_invariants
    absent_is_zero: bool = False


def _nothing_derived(credentials: Mapping[str, str]) -> list[str]:
    return []


def _state_as_is(state: VendorState, credentials: Mapping[str, str]) -> VendorState:
    return state


@dataclass(frozen=True)
class SecretFacts:
    """A vendor's part in the secrets stress test (`tests/stress/test_secrets.py`): how the
    gateway may authenticate, so that every credential (and every session the emulator issues
    for one) can be looked for in every output.

    The credentials and `[systems]` options on the demo's data are the vendor's demo
    profile's (`ConformanceCase.demo_credentials`, `ConformanceCase.demo_options`): one
    source of truth. `logs_in`: those credentials are exchanged at a login for a session the
    emulator issues. `login(secret)`: other credentials that log in
    with a password (None: the vendor has no such login), and `login_state(state,
    credentials)` the emulator state with what that login needs (e.g. a user with that email
    and password). `derived(credentials)`: secrets computed from credentials that must not
    appear either (e.g. an HTTP Basic pair's Base64). `login_paths`: the vendor routes that log
    in (a gate that echoes credentials in a 401 to every write lets these through)."""

    logs_in: bool = False
    login: Callable[[str], dict[str, str]] | None = None
    login_state: Callable[[VendorState, Mapping[str, str]], VendorState] = _state_as_is
    derived: Callable[[Mapping[str, str]], list[str]] = _nothing_derived
    login_paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConformanceCase:
    """One vendor's facts for the conformance suite, all taken from its emulator's sample data.

    `credentials(token)` are the adapter's credentials (its `CREDENTIAL_KEYS`) for the tenant
    whose emulator credential is `token`; `employee` has a balance of `leave_type` (for a
    source) or may be written there (for a target); `write_value` is a remaining balance the
    target can take, in its unit (None for a read-only vendor). `campaign` and `secrets`: its
    facts for the stress tests (see `CampaignFacts`, `SecretFacts`)."""

    vendor: str
    credentials: Callable[[str], dict[str, str]]
    employee: str
    leave_type: str
    as_of: date
    write_value: Decimal | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    campaign: CampaignFacts = field(default_factory=CampaignFacts)
    secrets: SecretFacts = field(default_factory=SecretFacts)

    def demo_credentials(self, secret: str) -> dict[str, str]:
        """The credentials on the demo's data for the tenant whose emulator credential is
        `secret` (the vendor's `DemoProfile.credentials_for`)."""
        return demo_profile(self.vendor).credentials_for(secret)

    @property
    def demo_options(self) -> Mapping[str, Any]:
        """The `[systems]` options the gateway needs on the demo's data (its profile's)."""
        return demo_profile(self.vendor).options


def conformance_case(vendor: str) -> ConformanceCase:
    """`adapters/<vendor>/conformance.py`'s `CASE` (found by convention, like the contract
    bindings)."""
    case: ConformanceCase = load(vendor, "conformance").CASE
    return case
