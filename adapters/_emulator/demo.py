"""What a vendor brings to generated data (`balance-gateway demo`, the benchmarks, the tests):
its `DemoProfile`, in its own folder, `adapters/<vendor>/demo.py`, defining `PROFILE`.

A profile says how the gateway reaches the vendor's emulator (the credentials, under
environment variables named by convention: `DEMO_<VENDOR>_<KEY>`; the `[systems]` options),
which of its leave types stands for each canonical kind, and how to fill its emulator for a set
of generated people (`DemoPerson`): an id for each person, then the emulator's bare state (the
JSON `PUT /_emulator/state` takes). `gateway.demo` builds its whole dataset from the profiles
of the registry and keeps only the scenario; nothing else about a vendor lives there.

A profile may also say how to fill its emulator with balances chosen by the caller (`Holding`):
how the benchmarks build their data, through the same state-building code as the demo.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

import httpx

from balance_gateway.adapters._core.registry import installed, load
from balance_gateway.canonical import LeaveKind, Unit


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


# (the vendor's random source, the people, the balances to hold, today) -> the emulator's bare
# state (JSON): `balances` maps (this vendor's employee id, kind) to the remaining figure to
# hold, in the vendor's unit for that kind (`Holding.units`).
HoldingStateBuilder = Callable[
    [random.Random, Sequence[DemoPerson], Mapping[tuple[str, LeaveKind], Decimal], date],
    dict[str, Any],
]


class OneBalance(Protocol):
    """One balance at a time through the vendor's blocking SDK `Client`, one request each:
    what an integrator writes by hand, with no concurrency and no gateway (the benchmarks'
    sequential loop). Figures in the vendor's unit (`Holding.units`)."""

    def read(self, employee_id: str, leave_type: str) -> Decimal:
        """The remaining figure of one employee's leave type."""
        ...

    def write(self, employee_id: str, leave_type: str, remaining: Decimal) -> None:
        """Make the system hold `remaining`, as the vendor's API writes a balance (after a
        `read` of the same balance, it sends only the write)."""
        ...

    def close(self) -> None: ...


# (the emulator's base URL, the transport its requests go through) -> a `OneBalance`.
OneBalanceClient = Callable[[str, httpx.BaseTransport], OneBalance]


@dataclass(frozen=True)
class Holding:
    """How to fill a vendor's emulator with given balances (the benchmarks' data): everybody
    has an account (`employee_id`, from the vendor's random source), each balance of
    `state`'s `balances` is held in `units[kind]`, and reading the emulator back
    (`GET /_emulator/balances`) tells exactly those figures as `remaining`, today. The kinds
    are the profile's `leave_types`; a (person, kind) missing from `balances` holds nothing.
    `one_at_a_time` reads and writes those balances one by one (`OneBalance`); `options` are
    `[systems]` options for data of that size (merged over the profile's), e.g. a page size."""

    employee_id: Callable[[random.Random], str]
    units: Mapping[LeaveKind, Unit]
    state: HoldingStateBuilder
    one_at_a_time: OneBalanceClient
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DemoProfile:
    """One vendor in generated data (see the module docstring).

    `credentials` maps the adapter's credential keys to the demo's placeholder values (never
    secrets); `token` is the emulator's credential (`EmulatorOptions.token`). `leave_types`
    maps a canonical kind to the vendor's leave type id in the generated state. `about` is a
    few words on the system for the demo config's comments (e.g. "read-only, days").
    `holding`: see `Holding`."""

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
    # None: this vendor's emulator cannot (yet) be filled with chosen balances.
    holding: Holding | None = None

    def credentials_for(self, token: str) -> dict[str, str]:
        """The credentials for the emulator tenant whose credential is `token`: `credentials`
        with the emulator's own (`self.token`) replaced by it."""
        return {
            key: token if value == self.token else value for key, value in self.credentials.items()
        }

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
