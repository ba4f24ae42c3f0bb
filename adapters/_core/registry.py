"""Which vendor adapters exist. Each module named here exposes
`build_adapter(config: AdapterConfig) -> BalanceAdapter`, `CREDENTIAL_KEYS` and `OPTION_KEYS`
(the keys its `options` table takes; the configuration refuses any other)."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Mapping
from typing import Protocol

from balance_gateway.adapters._core.adapter import AdapterConfig, BalanceAdapter

ADAPTER_MODULES: dict[str, str] = {
    "bezala": "balance_gateway.adapters.bezala.adapter",
    "companyflow": "balance_gateway.adapters.companyflow.adapter",
    "journyx": "balance_gateway.adapters.journyx.adapter",
    "kenjo": "balance_gateway.adapters.kenjo.adapter",
    "zeitstrom": "balance_gateway.adapters.zeitstrom.adapter",
}


def installed(modules: Mapping[str, str]) -> list[str]:
    """The names (in order) whose module, in `modules` (name -> dotted path), can be imported."""
    found = []
    for name, module in sorted(modules.items()):
        try:
            if importlib.util.find_spec(module) is not None:
                found.append(name)
        except ModuleNotFoundError:  # the parent package itself is missing
            continue
    return found


class _AdapterModule(Protocol):
    CREDENTIAL_KEYS: tuple[tuple[str, ...], ...]
    OPTION_KEYS: tuple[str, ...]

    def build_adapter(self, config: AdapterConfig) -> BalanceAdapter: ...


def known_vendors() -> list[str]:
    """Vendors whose adapter is installed, in name order."""
    return installed(ADAPTER_MODULES)


def adapter_module(vendor: str) -> _AdapterModule:
    if vendor not in known_vendors():
        raise KeyError(f"unknown vendor {vendor!r}; known: {', '.join(known_vendors()) or 'none'}")
    module: _AdapterModule = importlib.import_module(ADAPTER_MODULES[vendor])
    return module


def build_adapter(vendor: str, config: AdapterConfig) -> BalanceAdapter:
    """The adapter for `vendor`, configured by `config`."""
    return adapter_module(vendor).build_adapter(config)
