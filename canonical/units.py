"""Quantities with a unit, exact conversion between units, and explicit rounding.

Every amount is a :class:`~decimal.Decimal`; floats are refused so that binary rounding error never
enters a balance. :func:`convert` is exact or fails; rounding happens only in
:func:`round_quantity` / :func:`convert_rounded`, with a step and mode chosen by the caller, and
the difference it made is reported.
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType
from typing import Self

from balance_gateway.canonical._exact import (
    EXACT,
    approximate_decimal,
    format_decimal,
    interned,
    terminating_decimal,
)
from balance_gateway.canonical.errors import (
    CanonicalError,
    InexactConversionError,
    MissingScheduleError,
)

__all__ = [
    "Quantity",
    "Rounded",
    "RoundingMode",
    "Unit",
    "WorkSchedule",
    "WorkSchedules",
    "convert",
    "convert_rounded",
    "round_quantity",
    "to_decimal",
]


class Unit(StrEnum):
    """The unit a quantity is counted in."""

    DAYS = "days"
    HOURS = "hours"
    MINUTES = "minutes"


def to_decimal(value: Decimal | int | str) -> Decimal:
    """Return ``value`` as a finite Decimal, exactly.

    Raises TypeError for a float (convert at the edge with ``Decimal(str(x))``), a bool or any
    other type, and CanonicalError for NaN, infinities and strings that are not numbers.
    """
    if type(value) is Decimal:  # the common case, checked first: already a Decimal
        if not value.is_finite():
            raise CanonicalError(f"{value!r} is not a finite number; quantities must be finite")
        return value
    # bool is an int subclass, and True meaning 1 day is always a bug.
    if isinstance(value, bool):
        raise TypeError(f"expected a Decimal, int or numeric str, got bool {value!r}")
    if isinstance(value, float):
        raise TypeError(
            f"floats are not accepted (got {value!r}): convert at the edge with Decimal(str(x))"
        )
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value)
        except decimal.InvalidOperation:
            raise CanonicalError(f"{value!r} is not a decimal number") from None
    else:
        raise TypeError(
            f"expected a Decimal, int or numeric str, got {type(value).__name__} {value!r}"
        )
    if not result.is_finite():
        raise CanonicalError(f"{value!r} is not a finite number; quantities must be finite")
    return result


def _as_unit(unit: object) -> Unit:
    if type(unit) is Unit:  # already a member: nothing to look up
        return unit
    for member in Unit:
        if unit == member.value:
            return member
    choices = ", ".join(u.value for u in Unit)
    raise CanonicalError(f"unknown unit {unit!r}; expected one of {choices}")


@dataclass(frozen=True, slots=True)
class Quantity:
    """An amount in one unit, e.g. ``Quantity(Decimal("7.5"), Unit.HOURS)``.

    ``+``, ``-`` and comparisons work only between quantities of the same unit and raise
    CanonicalError otherwise (convert one side first). Raises TypeError for a float value.
    """

    value: Decimal
    unit: Unit

    def __post_init__(self) -> None:
        # The dataclass is frozen; normalising here keeps every Quantity a finite Decimal + Unit.
        object.__setattr__(self, "value", to_decimal(self.value))
        object.__setattr__(self, "unit", _as_unit(self.unit))

    @classmethod
    def of(cls, value: Decimal | int | str, unit: Unit) -> Self:
        """Build a quantity from a Decimal, int or numeric string (never a float)."""
        return cls(to_decimal(value), unit)

    def _same_unit(self, other: Quantity, operation: str) -> None:
        if other.unit is not self.unit:
            raise CanonicalError(
                f"cannot {operation} {self} and {other}: the units differ; "
                "convert one of them with convert() first"
            )

    def __add__(self, other: Quantity) -> Quantity:
        if not isinstance(other, Quantity):
            return NotImplemented
        self._same_unit(other, "add")
        return Quantity(EXACT.add(self.value, other.value), self.unit)

    def __sub__(self, other: Quantity) -> Quantity:
        if not isinstance(other, Quantity):
            return NotImplemented
        self._same_unit(other, "subtract")
        return Quantity(EXACT.subtract(self.value, other.value), self.unit)

    def __neg__(self) -> Quantity:
        return Quantity(EXACT.minus(self.value), self.unit)

    def __abs__(self) -> Quantity:
        return Quantity(EXACT.abs(self.value), self.unit)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Quantity):
            return NotImplemented
        self._same_unit(other, "compare")
        return self.value < other.value

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Quantity):
            return NotImplemented
        self._same_unit(other, "compare")
        return self.value <= other.value

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Quantity):
            return NotImplemented
        self._same_unit(other, "compare")
        return self.value > other.value

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Quantity):
            return NotImplemented
        self._same_unit(other, "compare")
        return self.value >= other.value

    def __str__(self) -> str:
        return f"{format_decimal(self.value)} {self.unit.value}"


# A working day longer than a calendar day is a mistake (e.g. hours per week given instead).
_MAX_HOURS_PER_DAY = Decimal(24)


@dataclass(frozen=True, slots=True)
class WorkSchedule:
    """Hours in one working day, used to convert days to hours or minutes and back.

    ``hours_per_day`` must be finite, greater than 0 and at most 24, else CanonicalError.
    """

    hours_per_day: Decimal

    def __post_init__(self) -> None:
        hours = to_decimal(self.hours_per_day)
        if not Decimal(0) < hours <= _MAX_HOURS_PER_DAY:
            raise CanonicalError(
                f"hours_per_day must be greater than 0 and at most 24, got {format_decimal(hours)}"
            )
        object.__setattr__(self, "hours_per_day", hours)

    @classmethod
    def default(cls) -> Self:
        """Return the conventional 8-hour working day."""
        return cls(Decimal(8))


@dataclass(frozen=True, slots=True)
class WorkSchedules:
    """A default work schedule plus overrides keyed by employee id (an opaque string)."""

    default: WorkSchedule = field(default_factory=WorkSchedule.default)
    # Excluded from the hash: mappings are not hashable, and equal defaults are a fine bucket.
    per_employee: Mapping[str, WorkSchedule] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )

    def __post_init__(self) -> None:
        for employee_id, schedule in self.per_employee.items():
            if not isinstance(schedule, WorkSchedule):
                raise TypeError(
                    f"schedule for employee {employee_id!r} must be a WorkSchedule, "
                    f"got {type(schedule).__name__}"
                )
        # Copy into a read-only view so that a frozen WorkSchedules cannot change under us.
        object.__setattr__(self, "per_employee", MappingProxyType(dict(self.per_employee)))

    def for_employee(self, employee_id: str) -> WorkSchedule:
        """Return the schedule of ``employee_id``, or the default when it has no override."""
        return self.per_employee.get(employee_id, self.default)


def _exact_in(q: Quantity, to: Unit, schedule: WorkSchedule | None) -> Fraction:
    """``q`` expressed in ``to`` as an exact rational number."""
    value = Fraction(q.value)
    if q.unit is to:
        return value
    minutes_in: dict[Unit, Fraction] = {Unit.MINUTES: Fraction(1), Unit.HOURS: Fraction(60)}
    if Unit.DAYS in (q.unit, to):
        if schedule is None:
            raise MissingScheduleError(
                f"converting {q} to {to.value} needs a WorkSchedule (hours per working day); "
                "pass schedule=, e.g. WorkSchedules.for_employee(employee_id)"
            )
        minutes_in[Unit.DAYS] = Fraction(schedule.hours_per_day) * 60
    return value * minutes_in[q.unit] / minutes_in[to]


_MINUTES_PER_HOUR = Decimal(60)


def _exact_product(q: Quantity, to: Unit, schedule: WorkSchedule | None) -> Decimal | None:
    """``q`` in ``to`` when that is a multiplication (to a smaller unit: days to hours or
    minutes, hours to minutes), written as the exact path writes it; None for the others."""
    if to is Unit.MINUTES and q.unit is Unit.HOURS:
        factor = _MINUTES_PER_HOUR
    elif q.unit is Unit.DAYS and to is not Unit.DAYS and schedule is not None:
        factor = schedule.hours_per_day
        if to is Unit.MINUTES:
            factor = EXACT.multiply(factor, _MINUTES_PER_HOUR)
    else:
        return None
    return _fewest_places(EXACT.multiply(q.value, factor))


def _fewest_places(value: Decimal) -> Decimal:
    """``value`` with as few decimal places as it needs and no exponent, as
    ``terminating_decimal`` gives it: 100.0 -> 100, 93.750 -> 93.75, -0 -> 0."""
    if not value:
        return Decimal(0)
    reduced = value.normalize(EXACT)
    exponent = reduced.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:  # finite values have an int exponent
        return reduced.quantize(Decimal(1), context=EXACT)
    return reduced


def convert(q: Quantity, to: Unit, schedule: WorkSchedule | None = None) -> Quantity:
    """Convert ``q`` to unit ``to`` exactly; never rounds.

    Hours <-> minutes needs no schedule; days <-> hours or minutes needs ``schedule`` and raises
    MissingScheduleError without one. Raises InexactConversionError when the result has no exact
    decimal form (1 hour at 7.5 hours per day is 2/15 day): use :func:`convert_rounded` then.
    Converting to the same unit returns ``q`` itself.
    """
    to = _as_unit(to)
    if q.unit is to:
        return q
    product = _exact_product(q, to, schedule)
    if product is not None:
        return Quantity(interned(product), to)
    exact = _exact_in(q, to, schedule)
    value = terminating_decimal(exact)
    if value is None:
        per_day = "" if schedule is None else f" at {schedule.hours_per_day} hours per day"
        raise InexactConversionError(
            f"{q} is {exact} {to.value} (about {approximate_decimal(exact):.10g}){per_day}, "
            "which has no exact decimal form; use convert_rounded() with an explicit step "
            "and rounding mode"
        )
    # A plan holds one converted figure per row, and figures repeat: share equal ones.
    return Quantity(interned(value), to)


class RoundingMode(StrEnum):
    """How to pick a multiple of the step; the names follow the ``decimal`` module."""

    HALF_UP = "half_up"  # nearest; ties away from zero
    HALF_EVEN = "half_even"  # nearest; ties to the even multiple
    DOWN = "down"  # toward zero
    UP = "up"  # away from zero
    FLOOR = "floor"  # toward -infinity
    CEILING = "ceiling"  # toward +infinity

    @property
    def decimal_rounding(self) -> str:
        """The matching ``decimal`` module constant, e.g. ``decimal.ROUND_HALF_UP``."""
        return _DECIMAL_ROUNDING[self]


_DECIMAL_ROUNDING: dict[RoundingMode, str] = {
    RoundingMode.HALF_UP: decimal.ROUND_HALF_UP,
    RoundingMode.HALF_EVEN: decimal.ROUND_HALF_EVEN,
    RoundingMode.DOWN: decimal.ROUND_DOWN,
    RoundingMode.UP: decimal.ROUND_UP,
    RoundingMode.FLOOR: decimal.ROUND_FLOOR,
    RoundingMode.CEILING: decimal.ROUND_CEILING,
}


@dataclass(frozen=True)
class Rounded:
    """The outcome of rounding: the rounded quantity and what rounding changed.

    ``exact`` is the value before rounding, as an exact fraction, in the result's unit.
    ``difference`` is ``value - exact``; it is exact when that has a decimal form and is otherwise
    rounded to 28 significant digits.
    """

    value: Quantity
    exact: Fraction
    difference: Decimal

    @property
    def changed(self) -> bool:
        """True when rounding moved the value away from the exact one."""
        return Fraction(self.value.value) != self.exact


def _to_integral(x: Fraction, mode: RoundingMode) -> int:
    # Done on the Fraction itself: x may have no decimal form, and rounding a decimal
    # approximation of it first would be rounding twice.
    floor = x.numerator // x.denominator
    if floor == x:
        return floor
    ceiling = floor + 1
    away_from_zero = ceiling if x > 0 else floor
    directed = {
        RoundingMode.FLOOR: floor,
        RoundingMode.CEILING: ceiling,
        RoundingMode.DOWN: floor if x > 0 else ceiling,
        RoundingMode.UP: away_from_zero,
    }
    if mode in directed:
        return directed[mode]
    remainder = x - floor
    if remainder != Fraction(1, 2):
        return floor if remainder < Fraction(1, 2) else ceiling
    if mode is RoundingMode.HALF_UP:
        return away_from_zero
    return floor if floor % 2 == 0 else ceiling


def _check_step(step: Decimal) -> Decimal:
    value = to_decimal(step)
    if value <= 0:
        raise CanonicalError(
            f"rounding step must be greater than 0, got {format_decimal(value)}; "
            "use e.g. Decimal('1') for whole units or Decimal('0.1') for one decimal"
        )
    return value


def _check_mode(mode: RoundingMode) -> RoundingMode:
    try:
        return RoundingMode(mode)
    except ValueError:
        choices = ", ".join(m.value for m in RoundingMode)
        raise CanonicalError(f"unknown rounding mode {mode!r}; expected one of {choices}") from None


def _round(exact: Fraction, unit: Unit, step: Decimal, mode: RoundingMode) -> Rounded:
    multiple = _to_integral(exact / Fraction(step), mode)
    value = EXACT.multiply(Decimal(multiple), step)
    difference = approximate_decimal(Fraction(value) - exact)
    return Rounded(Quantity(value, unit), exact, difference)


def round_quantity(q: Quantity, step: Decimal, mode: RoundingMode) -> Rounded:
    """Round ``q`` to a multiple of ``step`` (in ``q``'s unit) with ``mode``.

    The result is ``n * step`` where ``n`` is ``q.value / step`` rounded to an integer by ``mode``;
    a value already a multiple of ``step`` is unchanged. Raises CanonicalError unless ``step`` is
    finite and greater than 0.
    """
    return _round(Fraction(q.value), q.unit, _check_step(step), _check_mode(mode))


def convert_rounded(
    q: Quantity,
    to: Unit,
    schedule: WorkSchedule | None,
    step: Decimal,
    mode: RoundingMode,
) -> Rounded:
    """Convert ``q`` to ``to`` exactly, then round once to a multiple of ``step`` (in ``to``).

    For targets that store e.g. whole minutes (``step=Decimal(1)``) or one decimal of a day
    (``step=Decimal("0.1")``). Rounds the exact rational result, so there is no double rounding.
    Raises MissingScheduleError as :func:`convert` does, CanonicalError for a bad step.
    """
    to = _as_unit(to)
    step = _check_step(step)
    mode = _check_mode(mode)
    return _round(_exact_in(q, to, schedule), to, step, mode)
