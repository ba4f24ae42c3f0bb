"""What a system can tell about itself: its people and its leave types (`discover`, `map`).

An adapter that implements `Discovery` lists what its vendor's documented API can list. Where
the API cannot list something, the `Listing` says so (`available` false) and `how` tells the
user what cannot be known and how to supply it; where it lists only part (types seen in a
ledger, people holding an accrual), `complete` is false and `how` says which part.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar, runtime_checkable

from balance_gateway.canonical import Unit

T = TypeVar("T")


@dataclass(frozen=True)
class DirectoryPerson:
    """One employee as a system lists them; fields the vendor does not expose are None."""

    id: str
    name: str | None = None
    email: str | None = None
    employee_number: str | None = None


@dataclass(frozen=True)
class LeaveTypeInfo:
    """One leave type as a system lists it: the id a config's `[[syncs]].types` names."""

    id: str
    name: str | None = None
    unit: Unit | None = None


@dataclass(frozen=True)
class Listing(Generic[T]):
    """What a system listed. `how` says where the items come from, or, when `available` is
    false, what cannot be known and how the user supplies it."""

    items: tuple[T, ...] = field(default_factory=tuple)
    how: str = ""
    available: bool = True
    complete: bool = True

    @classmethod
    def unavailable(cls, how: str) -> Listing[T]:
        return cls(items=(), how=how, available=False, complete=False)


@dataclass(frozen=True)
class ConnectionCheck:
    """What `check_connection` proved: `checked` false when nothing could be tried (and
    `detail` says why), else `detail` says what answered."""

    checked: bool
    detail: str


@runtime_checkable
class Discovery(Protocol):
    """Optional adapter capability: list people and leave types, and check the connection."""

    async def check_connection(self) -> ConnectionCheck:
        """Log in (where the vendor has a login) and make one small documented read. Raises
        the SDK's `GatewayError`s when it fails."""
        ...

    async def list_people(self) -> Listing[DirectoryPerson]:
        """Every employee the documented API lists, with name, email and employee number
        where the vendor exposes them."""
        ...

    async def list_leave_types(self) -> Listing[LeaveTypeInfo]:
        """Every leave type the documented API lists, with name and unit."""
        ...
