"""What a vendor brings to generated data (`balance-gateway demo`, the benchmarks, the tests):
its `DemoProfile`, in its own folder, `adapters/<vendor>/demo.py`, defining `PROFILE`.

A profile says how the gateway reaches the vendor's emulator (the credentials, under
environment variables named by convention: `DEMO_<VENDOR>_<KEY>`; the `[systems]` options),
which of its leave types stands for each canonical kind, and how to fill its emulator for a set
of generated people (`DemoPerson`): an id for each person, then the emulator's bare state (the
JSON `PUT /_emulator/state` takes). `gateway.demo` builds its whole dataset from the profiles
of the registry and keeps only the scenario; nothing else about a vendor lives there.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from balance_gateway.adapters._core.registry import installed, load
from balance_gateway.canonical import LeaveKind


@dataclass(frozen=True)
class DemoPerson:
    """One generated person: what the systems know of them to match them by (`email`,
    `number`: the employee number), their working day, and `ids`: vendor -> that vendor's
    employee id (a vendor missing from `ids` does not know this person)."""

    name: str
    email: str
    number: str
    hours_per_day: Decimal
    ids: Mapping[str, str]

    @property
    def first_name(self) -> str:
        return self.name.split()[0]

    @property
    def last_name(self) -> str:
        return self.name.split()[-1]


# (the vendor's random source, the person's index) -> their id there, or None: not there.
EmployeeIds = Callable[[random.Random, int], str | None]
# (the vendor's random source, the people, today) -> the emulator's bare state (JSON).
StateBuilder = Callable[[random.Random, Sequence[DemoPerson], date], dict[str, Any]]


@dataclass(frozen=True)
class DemoProfile:
    """One vendor in generated data (see the module docstring).

    `credentials` maps the adapter's credential keys to the demo's placeholder values (never
    secrets); `token` is the emulator's credential (`EmulatorOptions.token`). `leave_types`
    maps a canonical kind to the vendor's leave type id in the generated state. `about` is a
    few words on the system for the demo config's comments (e.g. "read-only, days")."""

    vendor: str
    title: str
    about: str
    credentials: Mapping[str, str]
    token: str
    leave_types: Mapping[LeaveKind, str]
    employee_id: EmployeeIds
    state: StateBuilder
    options: Mapping[str, Any] = field(default_factory=dict)
    options_comment: str = ""

    def variables(self, prefix: str = "DEMO") -> dict[str, str]:
        """Credential key -> the environment variable naming it (`DEMO_<VENDOR>_<KEY>`)."""
        return {key: f"{prefix}_{self.vendor.upper()}_{key.upper()}" for key in self.credentials}

    def environment(self, prefix: str = "DEMO") -> dict[str, str]:
        """Environment variable -> placeholder value, for every credential."""
        names = self.variables(prefix)
        return {names[key]: value for key, value in self.credentials.items()}


def demo_profile(vendor: str) -> DemoProfile:
    """`adapters/<vendor>/demo.py`'s `PROFILE` (found by convention, like the contract
    bindings)."""
    profile: DemoProfile = load(vendor, "demo").PROFILE
    return profile


def demo_profiles() -> dict[str, DemoProfile]:
    """Every installed vendor's profile, in name order."""
    return {vendor: demo_profile(vendor) for vendor in installed("demo")}


def vendor_random(seed: int, vendor: str) -> random.Random:
    """The random source of one vendor's generated data: deterministic for `seed`, and its own,
    so that adding a vendor changes nobody else's data."""
    return random.Random(f"{seed}/{vendor}")


# -- helpers for the profiles' generators -------------------------------------------------------


def hex_id(rng: random.Random, length: int) -> str:
    """`length` random lowercase hexadecimal digits."""
    return "".join(rng.choice("0123456789abcdef") for _ in range(length))


def uuid4(rng: random.Random) -> str:
    """A random UUID (version 4) as text."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def steps(rng: random.Random, low: int, high: int, step: str) -> Decimal:
    """A random multiple of `step` between `low` and `high` (inclusive)."""
    size = Decimal(step)
    count = int((Decimal(high) - Decimal(low)) / size)
    return Decimal(low) + size * rng.randint(0, count)
