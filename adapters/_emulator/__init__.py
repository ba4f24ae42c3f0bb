"""The emulator toolkit shared by every vendor emulator (private to `adapters`)."""

from adapters._emulator.base import DEFAULT_TENANT, Emulator, EmulatorOptions
from adapters._emulator.faults import FaultConfig, FaultInjector, FaultPlan
from adapters._emulator.registry import available_vendors, build_emulator
from adapters._emulator.server import ServerThread, serve

__all__ = [
    "DEFAULT_TENANT",
    "Emulator",
    "EmulatorOptions",
    "FaultConfig",
    "FaultInjector",
    "FaultPlan",
    "ServerThread",
    "available_vendors",
    "build_emulator",
    "serve",
]
