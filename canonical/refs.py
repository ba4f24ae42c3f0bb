"""References to employees and leave types as a given system knows them.

Ids are opaque strings: never parsed, trimmed or compared across systems. Matching an employee or
leave type in one system to one in another is configuration, not something inferred here.
"""

from dataclasses import dataclass
from enum import StrEnum

from balance_gateway.canonical.errors import CanonicalError

__all__ = ["EmployeeRef", "LeaveKind", "LeaveTypeRef"]


class LeaveKind(StrEnum):
    """What a leave type is for; a hint for mapping, never used to guess one."""

    VACATION = "vacation"
    SICK = "sick"
    PERSONAL = "personal"
    WORK_TIME = "work_time"
    OTHER = "other"


def _check_ref(kind: str, system: object, id_: object) -> None:
    if not isinstance(system, str) or not isinstance(id_, str):
        raise TypeError(
            f"{kind} system and id must be str, got {type(system).__name__} "
            f"and {type(id_).__name__}; pass ids as strings even when they look numeric"
        )
    if not system:
        raise CanonicalError(f"{kind} needs a non-empty system name (id {id_!r})")
    # "system:id" is the printed form; a colon in the system name would make it ambiguous.
    if ":" in system:
        raise CanonicalError(f"{kind} system name {system!r} must not contain ':'")
    if not id_:
        raise CanonicalError(f"{kind} in system {system!r} needs a non-empty id")


@dataclass(frozen=True, slots=True)
class EmployeeRef:
    """An employee as identified by one system, e.g. ``EmployeeRef("kenjo", "abc")``.

    Raises CanonicalError for an empty system or id, or a system name containing ':'.
    """

    system: str
    id: str

    def __post_init__(self) -> None:
        _check_ref("EmployeeRef", self.system, self.id)

    def __str__(self) -> str:
        return f"{self.system}:{self.id}"


@dataclass(frozen=True, slots=True)
class LeaveTypeRef:
    """A leave type (or time account) as identified by one system.

    ``kind`` is only a hint for whoever writes the mapping. Raises CanonicalError for an empty
    system or id, or a system name containing ':'.
    """

    system: str
    id: str
    kind: LeaveKind | None = None

    def __post_init__(self) -> None:
        _check_ref("LeaveTypeRef", self.system, self.id)
        if self.kind is not None and not isinstance(self.kind, LeaveKind):
            try:
                object.__setattr__(self, "kind", LeaveKind(self.kind))
            except ValueError:
                choices = ", ".join(k.value for k in LeaveKind)
                raise CanonicalError(
                    f"unknown leave kind {self.kind!r}; expected one of {choices} or None"
                ) from None

    def __str__(self) -> str:
        return f"{self.system}:{self.id}"


class SharedRefs:
    """One `EmployeeRef` per employee and one `LeaveTypeRef` per leave type of `system`, for
    the many balances (or plan rows) of one read: a bulk read makes a balance per employee
    and type, and each would otherwise hold refs, and id strings, of its own (~60 bytes a
    ref, ~60 an id). Keep one for as long as its refs are being made, then let it go."""

    __slots__ = ("_employees", "_leave_types", "system")

    def __init__(self, system: str) -> None:
        self.system = system
        self._employees: dict[str, EmployeeRef] = {}
        self._leave_types: dict[tuple[str, LeaveKind | None], LeaveTypeRef] = {}

    def employee(self, employee_id: str) -> EmployeeRef:
        ref = self._employees.get(employee_id)
        if ref is None:
            ref = self._employees[employee_id] = EmployeeRef(self.system, employee_id)
        return ref

    def leave_type(self, leave_type_id: str, kind: LeaveKind | None = None) -> LeaveTypeRef:
        key = (leave_type_id, kind)
        ref = self._leave_types.get(key)
        if ref is None:
            ref = self._leave_types[key] = LeaveTypeRef(self.system, leave_type_id, kind)
        return ref
