"""One employee's balance for one leave type, as of a date, in the canonical model.

Figures a source does not give stay ``None`` (never 0). Whatever follows from the two identities

    remaining = entitled - used
    available = remaining - pending

is derived, and a set of figures that contradicts them is rejected.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from balance_gateway.canonical._exact import EXACT, format_decimal, interned
from balance_gateway.canonical.errors import BalanceInconsistentError, CanonicalError
from balance_gateway.canonical.refs import EmployeeRef, LeaveTypeRef
from balance_gateway.canonical.units import Quantity, Unit, WorkSchedule, convert, to_decimal

__all__ = ["AsOfBasis", "Balance", "Figure", "Period", "Provenance"]


@dataclass(frozen=True)
class Period:
    """The dates a balance belongs to, ``start`` to ``end`` inclusive.

    Raises CanonicalError when ``start`` is after ``end``, TypeError for a datetime.
    """

    start: date
    end: date

    def __post_init__(self) -> None:
        for name, value in (("start", self.start), ("end", self.end)):
            # A datetime is a date subclass, but comparing one with a date raises later on.
            if not isinstance(value, date) or isinstance(value, datetime):
                raise TypeError(f"Period.{name} must be a date, got {type(value).__name__}")
        if self.start > self.end:
            raise CanonicalError(
                f"period start {self.start} is after its end {self.end} (the end is inclusive)"
            )

    @classmethod
    def calendar_year(cls, year: int) -> Self:
        """1 January to 31 December of ``year``; CanonicalError if the year is out of range."""
        try:
            return cls(date(year, 1, 1), date(year, 12, 31))
        except ValueError as exc:
            raise CanonicalError(f"no calendar year {year}: {exc}") from None

    def contains(self, d: date) -> bool:
        """Return True when ``d`` falls within the period, both ends included."""
        if isinstance(d, datetime):
            raise TypeError("Period.contains takes a date; pass datetime.date() in the right zone")
        return self.start <= d <= self.end


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a balance came from: the system, its raw record id if any, and when it was read.

    Raises CanonicalError for an empty system or a ``fetched_at`` without a timezone.
    """

    system: str
    record_id: str | None
    fetched_at: datetime

    def __post_init__(self) -> None:
        if not isinstance(self.system, str) or not self.system:
            raise CanonicalError(f"Provenance needs a non-empty system name, got {self.system!r}")
        if self.record_id is not None and not isinstance(self.record_id, str):
            raise TypeError(f"record_id must be a str or None, got {type(self.record_id).__name__}")
        if not isinstance(self.fetched_at, datetime):
            raise TypeError(f"fetched_at must be a datetime, got {type(self.fetched_at).__name__}")
        # A naive time is ambiguous across vendors in different zones.
        if self.fetched_at.utcoffset() is None:
            raise CanonicalError(
                f"fetched_at {self.fetched_at.isoformat()} has no timezone; "
                "pass an aware datetime, e.g. datetime.now(UTC)"
            )


class AsOfBasis(StrEnum):
    """What a balance's ``as_of`` date means, i.e. how far a system can answer for a date.

    - ``DATE``: the figures are the balance at the end of ``as_of`` (a ledger netted up to that
      date, an import dated that day). ``as_of`` may be earlier than the date asked for (the
      latest import on or before it), never later.
    - ``PERIOD``: the figures are those of ``period`` as the system holds them, answered per
      period rather than per date; ``as_of`` is the date asked for, which lies in the period.
    - ``CURRENT``: the system keeps no date on the figure and can only say what it is now;
      ``as_of`` is the day it was read.
    """

    DATE = "date"
    PERIOD = "period"
    CURRENT = "current"


class Figure(StrEnum):
    """The figures a balance may carry; the values are the field names on :class:`Balance`."""

    ENTITLED = "entitled"
    CARRIED_OVER = "carried_over"
    USED = "used"
    PENDING = "pending"
    REMAINING = "remaining"
    AVAILABLE = "available"


_FIGURES = tuple(Figure)

# result = minuend - subtrahend
_IDENTITIES: tuple[tuple[Figure, Figure, Figure], ...] = (
    (Figure.REMAINING, Figure.ENTITLED, Figure.USED),
    (Figure.AVAILABLE, Figure.REMAINING, Figure.PENDING),
)


def _figure_value(name: str, value: object) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, float):
        raise TypeError(
            f"figure {name} is a float ({value!r}); floats are not accepted: "
            "convert at the edge with Decimal(str(x))"
        )
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise TypeError(
            f"figure {name} must be a Decimal, int or numeric str, "
            f"got {type(value).__name__} {value!r}"
        )
    try:
        return interned(to_decimal(value))
    except CanonicalError as exc:
        raise CanonicalError(f"figure {name}: {exc}") from None


# One set of field names per combination given, shared by every balance built with it:
# pydantic keeps a set per instance (~700 bytes, a third of a balance), and a sync holds every
# balance it reads. Sharing is safe because nothing changes the set in place: the model is
# frozen, and `model_copy` copies the set before it adds to it.
_FIELDS_SETS: dict[frozenset[str], set[str]] = {}


def _shared_fields_set(names: set[str]) -> set[str]:
    key = frozenset(names)
    shared = _FIELDS_SETS.get(key)
    if shared is None:
        shared = _FIELDS_SETS[key] = set(key)
    return shared


def _key_sharing(model: type[BaseModel], fields: dict[str, Any]) -> dict[str, Any]:
    """`fields` in a key-sharing dict, as CPython gives an instance of `model` whose
    attributes are set one by one: it keeps only the values (a balance takes ~370 bytes instead
    of ~720). pydantic builds a plain dict per instance; the contents and order are the same."""
    shared: dict[str, Any] = object.__new__(model).__dict__
    for name, value in fields.items():
        shared[name] = value
    return shared


class Balance(BaseModel):
    """One employee's figures for one leave type as of a date, all in ``unit``.

    ``entitled`` is granted incl. carry-over, ``carried_over`` the part brought from the previous
    period, ``used`` taken, ``pending`` planned or requested but not taken, ``remaining`` is
    ``entitled - used`` and ``available`` is ``remaining - pending``. Unknown figures are None;
    those that follow from the identities are derived on construction.

    ``as_of`` is the date the figures are valid for and ``as_of_basis`` what that date means
    (:class:`AsOfBasis`: the balance on that date by default).

    Figures accept Decimal, int or numeric str. Construction raises TypeError for a float figure
    and pydantic's ValidationError wrapping a CanonicalError (BalanceInconsistentError for
    contradicting figures) otherwise; :meth:`build` raises the CanonicalError itself.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    employee: EmployeeRef
    leave_type: LeaveTypeRef
    unit: Unit
    entitled: Decimal | None = None
    carried_over: Decimal | None = None
    used: Decimal | None = None
    pending: Decimal | None = None
    remaining: Decimal | None = None
    available: Decimal | None = None
    as_of: date
    as_of_basis: AsOfBasis = AsOfBasis.DATE
    period: Period | None = None
    provenance: Provenance

    @field_validator(*(f.value for f in Figure), mode="before")
    @classmethod
    def _check_figure(cls, value: object, info: ValidationInfo) -> Decimal | None:
        return _figure_value(info.field_name or "?", value)

    @model_validator(mode="after")
    def _derive_and_check(self) -> Self:
        known: dict[Figure, Decimal | None] = {f: getattr(self, f.value) for f in _FIGURES}
        if all(v is None for v in known.values()):
            raise CanonicalError(
                f"balance for {self.employee} / {self.leave_type} has no figures; "
                f"give at least one of {', '.join(f.value for f in Figure)}"
            )
        # derived figure -> the arithmetic that gave it (left, sign, right), put in words only
        # for an error: a figure once known never changes, so the words are those of the time
        how: dict[Figure, tuple[Figure, str, Figure]] = {}

        def note(f: Figure) -> str:
            if f not in how:
                return ""
            left, sign, right = how[f]
            return f" (derived as {operand(left)} {sign} {operand(right)})"

        def operand(f: Figure) -> str:
            value = known[f]
            assert value is not None  # what a figure was derived from is known
            return describe(f, value)

        def describe(f: Figure, value: Decimal) -> str:
            return f"{f.value} {format_decimal(value)}{note(f)}"

        changed = True
        while changed:
            changed = False
            for result, minuend, subtrahend in _IDENTITIES:
                r, a, b = known[result], known[minuend], known[subtrahend]
                if r is not None and a is not None and b is not None:
                    expected = EXACT.subtract(a, b)
                    if r != expected:
                        raise BalanceInconsistentError(
                            f"inconsistent balance for {self.employee} / {self.leave_type}: "
                            f"{describe(minuend, a)} - {describe(subtrahend, b)} = "
                            f"{format_decimal(expected)}, but {result.value} is "
                            f"{format_decimal(r)}{note(result)} ({self.unit.value}); correct "
                            f"the figures taken from {self.provenance.system}, and leave those "
                            "it does not give as None so that they are derived"
                        )
                    continue
                if r is None and a is not None and b is not None:
                    target, value = result, EXACT.subtract(a, b)
                    how[target] = (minuend, "-", subtrahend)
                elif a is None and r is not None and b is not None:
                    target, value = minuend, EXACT.add(r, b)
                    how[target] = (result, "+", subtrahend)
                elif b is None and a is not None and r is not None:
                    target, value = subtrahend, EXACT.subtract(a, r)
                    how[target] = (minuend, "-", result)
                else:
                    continue
                known[target] = interned(value)
                changed = True

        fields_set = set(self.__pydantic_fields_set__)
        for f in how:
            # The model is frozen; this is the one place derived figures are filled in.
            object.__setattr__(self, f.value, known[f])
            fields_set.add(f.value)
        object.__setattr__(self, "__pydantic_fields_set__", _shared_fields_set(fields_set))
        object.__setattr__(self, "__dict__", _key_sharing(type(self), self.__dict__))
        return self

    @classmethod
    def build(cls, **kwargs: Any) -> Self:
        """Construct a balance like ``Balance(...)`` but raise our errors directly.

        Raises BalanceInconsistentError or another CanonicalError instead of the pydantic
        ValidationError that wraps it; ValidationError only for other problems (a missing field),
        TypeError for a float figure.
        """
        try:
            return cls(**kwargs)
        except ValidationError as exc:
            for error in exc.errors():
                cause = error.get("ctx", {}).get("error")
                if isinstance(cause, CanonicalError):
                    raise cause from exc
            raise

    def figure(self, which: Figure) -> Decimal | None:
        """Return figure ``which`` in ``self.unit``, or None if it is unknown."""
        # A Figure's value is the name of its field.
        name = which.value if type(which) is Figure else Figure(which).value
        value: Decimal | None = getattr(self, name)
        return value

    def quantity(self, which: Figure) -> Quantity:
        """Figure ``which`` as a Quantity; raises CanonicalError naming the figure if unknown."""
        value = self.figure(which)
        if value is None:
            raise CanonicalError(
                f"{Figure(which).value} is not known for {self.employee} / {self.leave_type}: "
                f"{self.provenance.system} does not give it and it cannot be derived"
            )
        return Quantity(value, self.unit)

    def in_unit(self, unit: Unit, schedule: WorkSchedule | None = None) -> Self:
        """Return a copy with every known figure converted exactly to ``unit``.

        Raises MissingScheduleError (days <-> hours/minutes without ``schedule``) and
        InexactConversionError (a figure with no exact decimal form in ``unit``) like
        :func:`~canonical.units.convert`.
        """
        unit = Unit(unit)
        if unit is self.unit:
            return self
        fields: dict[str, Any] = dict(self)
        for f in Figure:
            value = self.figure(f)
            if value is not None:
                fields[f.value] = convert(Quantity(value, self.unit), unit, schedule).value
        fields["unit"] = unit
        return self.build(**fields)
