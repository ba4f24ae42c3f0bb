"""The vendors `balance-gateway emulate` can serve. Each module named here exposes
`build_emulator(options: EmulatorOptions) -> Emulator`."""

from __future__ import annotations

import importlib
from typing import Any, Protocol

from balance_gateway.adapters._core.registry import installed
from balance_gateway.adapters._emulator.base import Emulator, EmulatorOptions

EMULATOR_MODULES: dict[str, str] = {
    "bezala": "balance_gateway.adapters.bezala.emulator",
    "companyflow": "balance_gateway.adapters.companyflow.emulator",
    "journyx": "balance_gateway.adapters.journyx.emulator",
    "kenjo": "balance_gateway.adapters.kenjo.emulator",
    "zeitstrom": "balance_gateway.adapters.zeitstrom.emulator",
}


class _EmulatorModule(Protocol):
    def build_emulator(self, options: EmulatorOptions) -> Emulator[Any]: ...


def available_vendors() -> list[str]:
    """Vendors whose emulator is installed, in name order."""
    return installed(EMULATOR_MODULES)


def build_emulator(vendor: str, options: EmulatorOptions | None = None) -> Emulator[Any]:
    """A fresh emulator for `vendor`; `KeyError` naming the known vendors if there is none."""
    if vendor not in available_vendors():
        known = ", ".join(available_vendors()) or "none"
        raise KeyError(f"no emulator for vendor {vendor!r}; available: {known}")
    module: _EmulatorModule = importlib.import_module(EMULATOR_MODULES[vendor])
    return module.build_emulator(options or EmulatorOptions())
