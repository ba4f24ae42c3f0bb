"""Which vendors exist: one list of names. Everything else about a vendor is found from its
name by convention, in its own folders (as the contract bindings always were):

    balance_gateway.adapters.<vendor>.adapter      `build_adapter(config) -> BalanceAdapter`,
                                                   `CREDENTIAL_KEYS`, `Options` (a pydantic
                                                   model of its `[systems] options` table)
    balance_gateway.adapters.<vendor>.emulator     `build_emulator(options) -> Emulator`
    balance_gateway.adapters.<vendor>.demo         `PROFILE: DemoProfile` (adapters._emulator.demo)
    balance_gateway.adapters.<vendor>.conformance  `CASE: ConformanceCase`
    balance_gateway.contracts.<vendor>.binding     `BINDING: ContractBinding`

Adding a vendor is its folders and one line in `VENDORS`. Listing vendors (`installed`,
`known_vendors`) finds modules without importing them: a sync never loads an emulator or
FastAPI through here.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any, Literal, Protocol

from pydantic import BaseModel

from balance_gateway.adapters._core.adapter import AdapterConfig, BalanceAdapter

VENDORS: tuple[str, ...] = ("bezala", "companyflow", "journyx", "kenjo", "zeitstrom")

Part = Literal["adapter", "emulator", "demo", "conformance", "binding"]


def module_name(vendor: str, part: Part) -> str:
    """The dotted module of `vendor`'s `part` (see the module docstring)."""
    if part == "binding":
        return f"balance_gateway.contracts.{vendor}.binding"
    return f"balance_gateway.adapters.{vendor}.{part}"


def installed(part: Part = "adapter") -> list[str]:
    """The vendors (in name order) whose `part` module can be imported; found, not imported."""
    found = []
    for vendor in sorted(VENDORS):
        try:
            if importlib.util.find_spec(module_name(vendor, part)) is not None:
                found.append(vendor)
        except ModuleNotFoundError:  # the vendor's package itself is missing
            continue
    return found


def load(vendor: str, part: Part) -> Any:
    """`vendor`'s `part` module, imported; `KeyError` naming the vendors that have one."""
    have = installed(part)
    if vendor not in have:
        raise KeyError(f"unknown vendor {vendor!r} (no {part}); known: {', '.join(have) or 'none'}")
    return importlib.import_module(module_name(vendor, part))


class AdapterModule(Protocol):
    """What `adapters/<vendor>/adapter.py` exposes."""

    # Alternative sets of credential keys; a system's credentials are one set, plus any keys
    # its options name (`Options.credential_keys`).
    CREDENTIAL_KEYS: tuple[tuple[str, ...], ...]
    # The `[systems] options` table: pydantic, `extra="forbid"` (an unknown key is refused).
    Options: type[BaseModel]

    def build_adapter(self, config: AdapterConfig) -> BalanceAdapter: ...


def known_vendors() -> list[str]:
    """Vendors whose adapter is installed, in name order."""
    return installed("adapter")


def adapter_module(vendor: str) -> AdapterModule:
    module: AdapterModule = load(vendor, "adapter")
    return module


def build_adapter(vendor: str, config: AdapterConfig) -> BalanceAdapter:
    """The adapter for `vendor`, configured by `config`."""
    return adapter_module(vendor).build_adapter(config)
