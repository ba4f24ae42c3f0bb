"""Which vendor adapters exist. Each module named here exposes
`build_adapter(config: AdapterConfig) -> BalanceAdapter` and `CREDENTIAL_KEYS`."""

from __future__ import annotations

import importlib
import importlib.util
from typing import Protocol

from adapters._core.adapter import AdapterConfig, BalanceAdapter

ADAPTER_MODULES: dict[str, str] = {
    "bezala": "adapters.bezala.adapter",
    "companyflow": "adapters.companyflow.adapter",
    "journyx": "adapters.journyx.adapter",
    "kenjo": "adapters.kenjo.adapter",
    "zeitstrom": "adapters.zeitstrom.adapter",
}


class _AdapterModule(Protocol):
    CREDENTIAL_KEYS: tuple[tuple[str, ...], ...]

    def build_adapter(self, config: AdapterConfig) -> BalanceAdapter: ...


def known_vendors() -> list[str]:
    """Vendors whose adapter is installed, in name order."""
    found = []
    for vendor, module in sorted(ADAPTER_MODULES.items()):
        try:
            if importlib.util.find_spec(module) is not None:
                found.append(vendor)
        except ModuleNotFoundError:
            continue
    return found


def adapter_module(vendor: str) -> _AdapterModule:
    if vendor not in known_vendors():
        raise KeyError(f"unknown vendor {vendor!r}; known: {', '.join(known_vendors()) or 'none'}")
    module: _AdapterModule = importlib.import_module(ADAPTER_MODULES[vendor])
    return module


def build_adapter(vendor: str, config: AdapterConfig) -> BalanceAdapter:
    """The adapter for `vendor`, configured by `config`."""
    return adapter_module(vendor).build_adapter(config)
