"""Property tests: exact conversion, rounding bounds, and balance derivation."""

import decimal
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from balance_gateway.canonical import (
    Balance,
    BalanceInconsistentError,
    EmployeeRef,
    Figure,
    InexactConversionError,
    LeaveTypeRef,
    Provenance,
    Quantity,
    RoundingMode,
    Unit,
    WorkSchedule,
    convert,
    convert_rounded,
    round_quantity,
)
from balance_gateway.canonical._exact import terminating_decimal

PROPERTY = settings(deadline=None, max_examples=300)
WIDE = decimal.Context(prec=100)  # exact for every sum or product these tests form

# Decimals of every scale, not just a fixed number of places: n * 10**-e, with up to 31
# significant digits, beyond the 28 at which the default decimal context starts rounding.
decimals = st.builds(
    lambda n, e: Decimal(n).scaleb(-e, WIDE),
    st.integers(min_value=-(10**31) + 1, max_value=10**31 - 1),
    st.integers(min_value=0, max_value=12),
)
schedules = st.builds(
    WorkSchedule,
    st.sampled_from([Decimal("7.5"), Decimal(8), Decimal("7.7"), Decimal(6)])
    | st.decimals(min_value=Decimal("0.01"), max_value=Decimal(24), places=2),
)
steps = st.sampled_from(
    [Decimal(1), Decimal("0.1"), Decimal("0.01"), Decimal("0.5"), Decimal("0.25"), Decimal(15)]
) | st.decimals(min_value=Decimal("0.001"), max_value=Decimal(100), places=3).filter(
    lambda d: d > 0
)
units = st.sampled_from(list(Unit))
modes = st.sampled_from(list(RoundingMode))
HALF_MODES = {RoundingMode.HALF_UP, RoundingMode.HALF_EVEN}


def _terminates(value: Fraction) -> bool:
    """Whether ``value`` has a finite decimal expansion (checked by brute force)."""
    for places in range(value.denominator.bit_length() + 1):
        if (value * 10**places).denominator == 1:
            return True
    return False


# --- conversion ---------------------------------------------------------------------------------


@PROPERTY
@given(value=decimals, schedule=schedules)
def test_days_to_hours_to_days_is_exact(value: Decimal, schedule: WorkSchedule) -> None:
    as_hours = convert(Quantity(value, Unit.DAYS), Unit.HOURS, schedule)
    assert Fraction(as_hours.value) == Fraction(value) * Fraction(schedule.hours_per_day)
    back = convert(as_hours, Unit.DAYS, schedule)
    assert back == Quantity(value, Unit.DAYS)


@PROPERTY
@given(value=decimals, schedule=schedules)
def test_days_to_minutes_to_days_is_exact(value: Decimal, schedule: WorkSchedule) -> None:
    as_minutes = convert(Quantity(value, Unit.DAYS), Unit.MINUTES, schedule)
    assert convert(as_minutes, Unit.DAYS, schedule).value == value


@PROPERTY
@given(value=decimals)
def test_hours_to_minutes_to_hours_is_exact(value: Decimal) -> None:
    as_minutes = convert(Quantity(value, Unit.HOURS), Unit.MINUTES)
    assert Fraction(as_minutes.value) == Fraction(value) * 60
    assert convert(as_minutes, Unit.HOURS).value == value


@PROPERTY
@given(value=decimals, schedule=schedules)
def test_hours_to_days_is_exact_or_refused(value: Decimal, schedule: WorkSchedule) -> None:
    exact = Fraction(value) / Fraction(schedule.hours_per_day)
    try:
        result = convert(Quantity(value, Unit.HOURS), Unit.DAYS, schedule)
    except InexactConversionError:
        assert not _terminates(exact)  # refused only when there is no exact decimal
    else:
        assert Fraction(result.value) == exact


@PROPERTY
@given(value=decimals, source=units, target=units, schedule=schedules, step=steps, mode=modes)
def test_convert_rounded_equals_rounding_the_exact_conversion(
    value: Decimal,
    source: Unit,
    target: Unit,
    schedule: WorkSchedule,
    step: Decimal,
    mode: RoundingMode,
) -> None:
    q = Quantity(value, source)
    result = convert_rounded(q, target, schedule, step, mode)
    try:
        exact_q = convert(q, target, schedule)
    except InexactConversionError:
        assert not _terminates(result.exact)
    else:
        assert result == round_quantity(exact_q, step, mode)
    assert result.value.unit is target
    # difference is exact, or within 28 significant digits of the exact difference
    true_difference = Fraction(result.value.value) - result.exact
    assert abs(Fraction(result.difference) - true_difference) <= abs(true_difference) / 10**27


# --- rounding -----------------------------------------------------------------------------------


def _check_rounding(exact: Fraction, rounded: Decimal, step: Decimal, mode: RoundingMode) -> None:
    step_f = Fraction(step)
    moved = Fraction(rounded) - exact
    assert (Fraction(rounded) / step_f).denominator == 1  # a whole multiple of step
    if mode in HALF_MODES:
        assert abs(moved) <= step_f / 2
    else:
        assert abs(moved) < step_f
    if mode is RoundingMode.FLOOR:
        assert moved <= 0
    elif mode is RoundingMode.CEILING:
        assert moved >= 0
    elif mode is RoundingMode.DOWN:
        assert abs(Fraction(rounded)) <= abs(exact)
        assert Fraction(rounded) * exact >= 0  # never crosses zero
    elif mode is RoundingMode.UP:
        assert abs(Fraction(rounded)) >= abs(exact)


@PROPERTY
@given(value=decimals, step=steps, mode=modes)
def test_rounding_bounds_and_direction(value: Decimal, step: Decimal, mode: RoundingMode) -> None:
    result = round_quantity(Quantity(value, Unit.HOURS), step, mode)
    assert result.exact == Fraction(value)
    _check_rounding(result.exact, result.value.value, step, mode)
    assert Fraction(result.difference) == Fraction(result.value.value) - Fraction(value)
    assert result.changed == (result.value.value != value)


@PROPERTY
@given(value=decimals, schedule=schedules, step=steps, mode=modes)
def test_convert_rounded_bounds_against_the_exact_rational(
    value: Decimal, schedule: WorkSchedule, step: Decimal, mode: RoundingMode
) -> None:
    result = convert_rounded(Quantity(value, Unit.HOURS), Unit.DAYS, schedule, step, mode)
    assert result.exact == Fraction(value) / Fraction(schedule.hours_per_day)
    _check_rounding(result.exact, result.value.value, step, mode)


@PROPERTY
@given(multiple=st.integers(min_value=-(10**9), max_value=10**9), step=steps, mode=modes)
def test_rounding_a_multiple_of_the_step_changes_nothing(
    multiple: int, step: Decimal, mode: RoundingMode
) -> None:
    value = WIDE.multiply(Decimal(multiple), step)
    result = round_quantity(Quantity(value, Unit.MINUTES), step, mode)
    assert result.value.value == value
    assert not result.changed
    assert result.difference == 0


@PROPERTY
@given(value=decimals, places=st.integers(min_value=0, max_value=6), mode=modes)
def test_rounding_to_a_power_of_ten_agrees_with_decimal_quantize(
    value: Decimal, places: int, mode: RoundingMode
) -> None:
    step = Decimal(1).scaleb(-places)
    expected = value.quantize(step, rounding=mode.decimal_rounding, context=WIDE)
    assert round_quantity(Quantity(value, Unit.DAYS), step, mode).value.value == expected


@PROPERTY
@given(value=decimals, step=steps, mode=modes)
def test_rounding_is_idempotent(value: Decimal, step: Decimal, mode: RoundingMode) -> None:
    once = round_quantity(Quantity(value, Unit.DAYS), step, mode).value
    assert round_quantity(once, step, mode).value == once


# --- balances -----------------------------------------------------------------------------------

_IDENTITY_FIGURES = (
    Figure.ENTITLED,
    Figure.USED,
    Figure.PENDING,
    Figure.REMAINING,
    Figure.AVAILABLE,
)


def _make(**figures: Decimal) -> Balance:
    fields: dict[str, Any] = {
        "employee": EmployeeRef("hr", "e1"),
        "leave_type": LeaveTypeRef("hr", "vac"),
        "unit": Unit.DAYS,
        "as_of": date(2024, 5, 1),
        "provenance": Provenance("hr", None, datetime(2024, 5, 1, tzinfo=UTC)),
    }
    return Balance.build(**fields, **figures)


def _derivable(given_figures: set[Figure]) -> set[Figure]:
    """Which figures are determined by ``given_figures``, by brute force over the identities."""
    known = set(given_figures)
    identities = [
        {Figure.REMAINING, Figure.ENTITLED, Figure.USED},
        {Figure.AVAILABLE, Figure.REMAINING, Figure.PENDING},
    ]
    grew = True
    while grew:
        grew = False
        for identity in identities:
            if len(identity & known) == 2:
                known |= identity
                grew = True
    return known


@st.composite
def consistent_figures(draw: st.DrawFn) -> dict[Figure, Decimal]:
    entitled, used, pending = draw(decimals), draw(decimals), draw(decimals)
    remaining = WIDE.subtract(entitled, used)
    available = WIDE.subtract(remaining, pending)
    return {
        Figure.ENTITLED: entitled,
        Figure.USED: used,
        Figure.PENDING: pending,
        Figure.REMAINING: remaining,
        Figure.AVAILABLE: available,
    }


@PROPERTY
@given(truth=consistent_figures(), data=st.data())
def test_any_subset_of_consistent_figures_derives_exactly_what_follows(
    truth: dict[Figure, Decimal], data: st.DataObject
) -> None:
    given_figures = data.draw(
        st.sets(st.sampled_from(_IDENTITY_FIGURES), min_size=1), label="given"
    )
    balance = _make(**{f.value: truth[f] for f in given_figures})
    expected_known = _derivable(given_figures)
    for f in _IDENTITY_FIGURES:
        if f in expected_known:
            assert balance.figure(f) == truth[f], f
        else:
            assert balance.figure(f) is None, f
    # whenever all three figures of an identity are known, it holds exactly
    e, u, p, r, a = (balance.figure(f) for f in _IDENTITY_FIGURES)
    if e is not None and u is not None and r is not None:
        assert Fraction(r) == Fraction(e) - Fraction(u)
    if r is not None and p is not None and a is not None:
        assert Fraction(a) == Fraction(r) - Fraction(p)


@PROPERTY
@given(
    truth=consistent_figures(),
    wrong=st.sampled_from(_IDENTITY_FIGURES),
    delta=decimals.filter(lambda d: d != 0),
)
def test_any_single_wrong_figure_in_a_full_set_is_refused(
    truth: dict[Figure, Decimal], wrong: Figure, delta: Decimal
) -> None:
    figures = {f.value: v for f, v in truth.items()}
    figures[wrong.value] = WIDE.add(truth[wrong], delta)
    with pytest.raises(BalanceInconsistentError, match=wrong.value):
        _make(**figures)


@PROPERTY
@given(truth=consistent_figures(), schedule=schedules)
def test_balance_days_to_hours_and_back_is_unchanged(
    truth: dict[Figure, Decimal], schedule: WorkSchedule
) -> None:
    balance = _make(**{f.value: v for f, v in truth.items()})
    hours = balance.in_unit(Unit.HOURS, schedule)
    for f in _IDENTITY_FIGURES:
        value = hours.figure(f)
        assert value is not None
        assert Fraction(value) == Fraction(truth[f]) * Fraction(schedule.hours_per_day)
    assert hours.in_unit(Unit.DAYS, schedule) == balance


# As a figure may be written: besides `decimals`, negative zeros and positive exponents
# (1E+3, -2.50E+2), which the Decimal path must write as the Fraction path does.
written_decimals = (
    decimals
    | st.sampled_from([Decimal("-0"), Decimal("-0.00"), Decimal("0E+2"), Decimal("-0E-5")])
    | st.builds(
        lambda n, e: Decimal(n).scaleb(e, WIDE),
        st.integers(min_value=-(10**6), max_value=10**6),
        st.integers(min_value=1, max_value=8),
    )
)


@PROPERTY
@given(
    value=written_decimals,
    schedule=schedules,
    units=st.sampled_from(
        [(Unit.DAYS, Unit.HOURS), (Unit.DAYS, Unit.MINUTES), (Unit.HOURS, Unit.MINUTES)]
    ),
)
def test_a_conversion_to_a_smaller_unit_is_written_as_the_exact_fraction_is(
    value: Decimal, schedule: WorkSchedule, units: tuple[Unit, Unit]
) -> None:
    # Multiplied in Decimal, not through a Fraction: the same number, and the same text (no
    # trailing zeros, no exponent), which notes and the journal show.
    source, target = units
    per_unit = {Unit.MINUTES: Fraction(1), Unit.HOURS: Fraction(60)}
    per_unit[Unit.DAYS] = Fraction(schedule.hours_per_day) * 60
    exact = Fraction(value) * per_unit[source] / per_unit[target]
    expected = terminating_decimal(exact)
    assert expected is not None
    assert str(convert(Quantity(value, source), target, schedule).value) == str(expected)
