"""The emulator toolkit shared by every vendor emulator (private to `adapters`).

It needs the `emulators` extra (FastAPI, uvicorn): importing it without them raises
`MissingExtraError`, whose message says what to install.
"""

from balance_gateway.adapters._core.extras import require_emulators

require_emulators()

# The toolkit's modules import FastAPI: they come after the check on purpose.

from balance_gateway.adapters._emulator.base import (
    DEFAULT_TENANT,
    EmulatedBalance,
    Emulator,
    EmulatorOptions,
)
from balance_gateway.adapters._emulator.faults import FaultConfig, FaultInjector, FaultPlan
from balance_gateway.adapters._emulator.registry import available_vendors, build_emulator
from balance_gateway.adapters._emulator.server import ServerThread, serve

__all__ = [
    "DEFAULT_TENANT",
    "EmulatedBalance",
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
