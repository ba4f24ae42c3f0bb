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
