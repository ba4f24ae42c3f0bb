"""What the shared tests expect of each vendor, kept in the vendor's own test folder.

A shared test (one that runs over every vendor) names no vendor: what it expects of one (the
people its emulator's sample data holds, a route to send a body to, the requests its dialect
needs) is in `tests/adapters/<vendor>/facts.py`, as module-level constants of the types below,
and the test reads it through the registry: `facts(vendor, NAME, Type)` for one vendor,
`vendors_with(NAME)` for the registered vendors that give one.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import ModuleType
from typing import Any, TypeVar

from balance_gateway.adapters._core.registry import known_vendors
from balance_gateway.canonical import Unit

T = TypeVar("T")


def _module(vendor: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"tests.adapters.{vendor}.facts")
    except ModuleNotFoundError as error:
        if error.name not in (f"tests.adapters.{vendor}", f"tests.adapters.{vendor}.facts"):
            raise  # the module is there but imports something missing
        return None


def facts(vendor: str, name: str, kind: type[T]) -> T:
    """`vendor`'s `NAME` from `tests/adapters/<vendor>/facts.py`, checked to be a `kind`;
    `KeyError` if it gives none."""
    module = _module(vendor)
    if module is None or not hasattr(module, name):
        raise KeyError(f"tests/adapters/{vendor}/facts.py defines no {name}")
    value = getattr(module, name)
    assert isinstance(value, kind), f"{vendor}'s {name} is a {type(value).__name__}"
    return value


def vendors_with(name: str) -> list[str]:
    """The registered vendors (in name order) whose facts define `NAME`."""
    return [v for v in known_vendors() if hasattr(_module(v), name)]


# -- tests/integration/test_request_counts.py ---------------------------------------------------


@dataclass(frozen=True)
class Bound:
    """`REQUEST_BOUND`, a writable target's requests allowed for one sync: `fixed` + `written`
    x balances written + `unchanged` x balances planned and left as they are."""

    fixed: int
    written: float
    unchanged: float

    def allows(self, written: int, unchanged: int) -> int:
        return int(self.fixed + self.written * written + self.unchanged * unchanged)


# -- tests/adapters/test_discovery.py -----------------------------------------------------------

Person = tuple[str, str | None, str | None]  # (id, email, employee number)


@dataclass(frozen=True)
class LeaveTypes:
    """Leave types a vendor's API lists: some `ids` among them, exactly these `units`, and
    whether it says the list is `complete`."""

    ids: frozenset[str]
    units: frozenset[Unit]
    complete: bool = True


@dataclass(frozen=True)
class DiscoveryFacts:
    """`DISCOVERY`: some `people` its emulator's sample data holds, as the vendor documents
    it; its `leave_types`, or (None: no documented list) the words its explanation of how to
    find them must hold (`how`)."""

    people: frozenset[Person]
    leave_types: LeaveTypes | None
    how: tuple[str, ...] = ()


# -- tests/adapters/test_emulators_bad_input.py -------------------------------------------------

# `QA_CASES`, the 500s a QA pass found, each one request: method, path, body, the status it
# must get, what the answer holds (None: the vendor's error style, as `error_body` writes it).
QaCase = tuple[str, str, bytes, int, dict[str, Any] | None]


# -- tests/adversarial/test_sdk_hostile.py ------------------------------------------------------


@dataclass(frozen=True)
class SdkCall:
    """One of `SDK_CALLS`, the calls of a vendor's SDK (`balance_gateway.adapters.<vendor>`'s
    `Client` and `AsyncClient`): the client built with `credentials`, `run` calls it. `write`:
    the call writes; `ignores_body`: it reads nothing from a successful answer."""

    name: str
    run: Callable[[Any], Any]
    credentials: Mapping[str, Any] = field(default_factory=lambda: {"token": "t"})
    write: bool = False
    ignores_body: bool = False


# -- tests/distributed/test_distributed_sync.py -------------------------------------------------


@dataclass(frozen=True)
class EndState:
    """`END_STATE`: what two runs that wrote the same must agree on in the emulator's state
    (`GET /_emulator/state`, one tenant), beyond what a plan reads back (e.g. a ledger's net
    per employee and type, however its transactions are split)."""

    of: Callable[[Mapping[str, Any]], Any]


# -- tests/gateway/test_gateway_config_checks.py ------------------------------------------------


@dataclass(frozen=True)
class TypeTypo:
    """One of `TYPE_TYPOS`: in the demo's (first) sync that has the vendor as its `role`
    ("source" or "target"), its first leave type, `configured`, misspelt as `typo` is a config
    error that lists (among others) the types `listed`."""

    role: str
    configured: str
    typo: str
    listed: tuple[str, ...]


# -- tests/integration/test_discover_and_map.py -------------------------------------------------


@dataclass(frozen=True)
class ListedType:
    """`DEMO_LISTED_TYPE`: a leave type `discover <system> --types` shows on the demo's data, by
    its `name` and its whole `id` (a long one: not cut at 80 columns)."""

    name: str
    id: str


# -- tests/integration/test_saved_plan_emulators.py ---------------------------------------------


@dataclass(frozen=True)
class ByHand:
    """`BY_HAND`: a target's balance changed directly on its in-process emulator, as someone
    would by hand. `held(emulator, employee, leave_type)` is the figure the gateway reads (in
    `unit`, as a plan's rows name it); `change(emulator, employee, leave_type, value)` sets it."""

    held: Callable[[Any, str, str], Decimal]
    change: Callable[[Any, str, str, Decimal], None]
    unit: str


# -- tests/gateway/service/test_dashboard_browser.py --------------------------------------------


@dataclass(frozen=True)
class OwnApi:
    """`OWN_API`: balances read through the vendor's own API (its SDK), not the gateway's:
    `balances(base_url, token, employees)` is (employee, leave type) -> the balance, in the
    unit the gateway writes."""

    balances: Callable[[str, str, list[str]], dict[tuple[str, str], Decimal]]


# -- tests/integration/test_engine_sigterm.py ---------------------------------------------------


@dataclass(frozen=True)
class OurWrites:
    """`OUR_WRITES`: the writes the gateway made, as a target's admin state holds them:
    `labels(state)` lists one label per write (a label twice is a write doubled)."""

    labels: Callable[[Mapping[str, Any]], list[str]]


# -- the kill tests (tests/integration/test_engine_kill.py, tests/distributed/) ------------


@dataclass(frozen=True)
class Remaining:
    """`DEMO_REMAINING`: a source's remaining balance on the demo's data, from its admin state:
    `of(state, employee, leave_type)`; `use(state, employee, leave_type, days)` changes `state`
    (in place) as `days` more taken would."""

    of: Callable[[Mapping[str, Any], str, str], Decimal]
    use: Callable[[dict[str, Any], str, str, Decimal], None]


@dataclass(frozen=True)
class LedgerRecords:
    """`LEDGER`: a ledger target's records, as its admin state holds them. `records(state)`
    lists them all; `ours(record)`: the gateway wrote it; `key(record)` identifies it;
    `label(record)` is the label of the write that made it, `employee(record)` whose balance
    it is; `net(state, employee, leave_type)` is the balance they add up to."""

    records: Callable[[Mapping[str, Any]], list[dict[str, Any]]]
    ours: Callable[[Mapping[str, Any]], bool]
    key: Callable[[Mapping[str, Any]], str]
    label: Callable[[Mapping[str, Any]], str]
    employee: Callable[[Mapping[str, Any]], str]
    net: Callable[[Mapping[str, Any], str, str], Decimal]
