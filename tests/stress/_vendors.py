"""What the vendor-generic stress and integration tests know of the vendors: only the registry,
each vendor's conformance case (`adapters/<vendor>/conformance.py`), and the emulators' admin
API. No test that imports this names a vendor."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import httpx

from balance_gateway.adapters._core.adapter import AdapterConfig, Capabilities, WriteKind
from balance_gateway.adapters._core.registry import adapter_module, build_adapter, known_vendors
from balance_gateway.adapters._core.secrets import Secret
from balance_gateway.adapters._emulator.conformance import ConformanceCase, conformance_case
from balance_gateway.adapters._emulator.demo import DemoPerson

Key = tuple[str, str]  # (employee id, leave type id), in the vendor's own ids


def _id_of(person: DemoPerson, vendor: str) -> str | None:
    """A generated demo person's id in `vendor` (None: no account there). The one place the
    tests reach into `DemoPerson` for a vendor's id."""
    return person.ids.get(vendor)


def cases() -> dict[str, ConformanceCase]:
    """Every registered vendor's conformance case, in name order."""
    return {vendor: conformance_case(vendor) for vendor in known_vendors()}


def sources() -> dict[str, tuple[str, ...]]:
    """Vendor -> the leave types the demo's data lets a sync read from it (sources only)."""
    return {v: c.campaign.source_types for v, c in cases().items() if c.campaign.source_types}


def targets() -> dict[str, tuple[str, ...]]:
    """Vendor -> the leave types the demo's data lets a sync write to it (targets only)."""
    return {v: c.campaign.target_types for v, c in cases().items() if c.campaign.target_types}


def admin_state(http: httpx.Client, base_url: str, tenant: str = "default") -> dict[str, Any]:
    """One tenant's state, as the emulator at `base_url` keeps it (`GET /_emulator/state`)."""
    response = http.get(f"{base_url}/_emulator/state")
    response.raise_for_status()
    return dict(response.json()["tenants"][tenant])


def admin_balances(
    http: httpx.Client, base_url: str, as_of: date, tenant: str = "default"
) -> dict[Key, Decimal]:
    """Every balance the emulator at `base_url` holds as of `as_of`, in canonical terms, by its
    own arithmetic (`GET /_emulator/balances`): (employee, leave type) -> remaining."""
    response = http.get(
        f"{base_url}/_emulator/balances", params={"tenant": tenant, "as_of": as_of.isoformat()}
    )
    response.raise_for_status()
    return {
        (b["employee"], b["leave_type"]): Decimal(b["remaining"])
        for b in response.json()["balances"]
    }


def held(
    http: httpx.Client, base_url: str, vendor: str, keys: list[Key], as_of: date
) -> dict[Key, Decimal | None]:
    """Each key's balance in `vendor`'s emulator at `base_url` (None: it holds none; 0 where
    the vendor's case says no row is a balance of 0)."""
    balances = admin_balances(http, base_url, as_of)
    absent = Decimal(0) if conformance_case(vendor).campaign.absent_is_zero else None
    return {key: balances.get(key, absent) for key in keys}


def set_faults(
    http: httpx.Client, base_urls: Mapping[str, str], faults: Mapping[str, Mapping[str, Any]]
) -> int:
    """Configure `faults` (vendor -> FaultConfig JSON; every other emulator's off); returns how
    many faults the configurations it replaces had injected."""
    injected = 0
    for vendor, base_url in base_urls.items():
        response = http.get(f"{base_url}/_emulator/faults")
        response.raise_for_status()
        injected += sum(response.json()["counts"].values())
        config = dict(faults.get(vendor, {}))
        http.put(f"{base_url}/_emulator/faults", json=config).raise_for_status()
    return injected


def _capabilities(vendor: str) -> Capabilities:
    case = conformance_case(vendor)
    config = AdapterConfig(
        system=vendor,
        base_url="http://unused.invalid",  # never called
        credentials={k: Secret(v) for k, v in case.credentials("unused").items()},
        options=dict(case.options),
    )
    adapter = build_adapter(vendor, config)
    try:
        return adapter.capabilities
    finally:
        asyncio.run(adapter.aclose())


# Taken once, at import (outside any event loop): what each adapter can do.
_CAPABILITIES = {vendor: _capabilities(vendor) for vendor in known_vendors()}


def capabilities(vendor: str) -> Capabilities:
    """What `vendor`'s adapter can do (e.g. a write-only one cannot read back)."""
    return _CAPABILITIES[vendor]


def vendor_like(keys: tuple[str, ...], *, can_read: bool, can_write: bool) -> str:
    """The first registered vendor that takes the credentials `keys` and can read and write as
    the fake adapter standing in for it can."""
    return next(
        vendor
        for vendor in known_vendors()
        if keys in adapter_module(vendor).CREDENTIAL_KEYS
        and (capabilities(vendor).can_read, capabilities(vendor).can_write) == (can_read, can_write)
    )


@dataclass(frozen=True)
class Pair:
    """A sync's source and target vendors (their systems named after them, as in the demo's
    config), with one leave type of each."""

    source: str
    target: str
    source_type: str
    target_type: str

    @property
    def name(self) -> str:
        return f"{self.source}-to-{self.target}"

    def sync_toml(self) -> str:
        """The `[[syncs]]` table that carries the source type into the target type."""
        return (
            f'[[syncs]]\nname = "{self.name}"\nsource = "{self.source}"\n'
            f'target = "{self.target}"\ntypes = [{{ source = "{self.source_type}", '
            f'target = "{self.target_type}", kind = "vacation" }}]\n'
        )


def ledger_pair() -> Pair:
    """A read-only source and a ledger target (a credit is not idempotent: one made twice
    would show), with the leave types the engine pair tests sync between them: the pair of
    the tests that stop a sync in the middle of its writes."""
    source = next(v for v in known_vendors() if not capabilities(v).can_write)
    target = next(v for v in known_vendors() if capabilities(v).write_kind is WriteKind.LEDGER)
    source_type = conformance_case(source).campaign.pair_source_type
    target_type = conformance_case(target).campaign.pair_target_type
    assert source_type, f"the engine pair tests read no type of {source}"
    assert target_type, f"the engine pair tests write no type of {target}"
    return Pair(source, target, source_type, target_type)
