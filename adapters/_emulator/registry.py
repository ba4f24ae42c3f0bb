"""The vendors `balance-gateway emulate` can serve: those of the registry
(`adapters._core.registry.VENDORS`) whose `adapters/<vendor>/emulator.py` is installed, each
exposing `build_emulator(options: EmulatorOptions) -> Emulator`."""

from __future__ import annotations

from typing import Any, Protocol

from balance_gateway.adapters._core.registry import installed, load
from balance_gateway.adapters._emulator.base import Emulator, EmulatorOptions


class _EmulatorModule(Protocol):
    def build_emulator(self, options: EmulatorOptions) -> Emulator[Any]: ...


def available_vendors() -> list[str]:
    """Vendors whose emulator is installed, in name order."""
    return installed("emulator")


def build_emulator(vendor: str, options: EmulatorOptions | None = None) -> Emulator[Any]:
    """A fresh emulator for `vendor`; `KeyError` naming the known vendors if there is none."""
    module: _EmulatorModule = load(vendor, "emulator")
    return module.build_emulator(options or EmulatorOptions())
