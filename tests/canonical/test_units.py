"""Units, quantities, exact conversion and explicit rounding."""

import decimal
from decimal import Decimal
from fractions import Fraction

import pytest

from balance_gateway.canonical import (
    CanonicalError,
    InexactConversionError,
    MissingScheduleError,
    Quantity,
    RoundingMode,
    Unit,
    WorkSchedule,
    WorkSchedules,
    convert,
    convert_rounded,
    round_quantity,
    to_decimal,
)

SEVEN_AND_A_HALF = WorkSchedule(Decimal("7.5"))


def days(value: str) -> Quantity:
    return Quantity.of(value, Unit.DAYS)


def hours(value: str) -> Quantity:
    return Quantity.of(value, Unit.HOURS)


def minutes(value: str) -> Quantity:
    return Quantity.of(value, Unit.MINUTES)


# --- to_decimal ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(Decimal("1.25"), Decimal("1.25")), (3, Decimal(3)), ("-0.5", Decimal("-0.5")), ("1e2", 100)],
)
def test_to_decimal_accepts_decimal_int_and_numeric_str(
    raw: Decimal | int | str, expected: Decimal
) -> None:
    result = to_decimal(raw)
    assert isinstance(result, Decimal)
    assert result == expected


def test_to_decimal_keeps_every_digit_of_a_long_string() -> None:
    digits = "1234567890.12345678901234567890123456789"
    assert str(to_decimal(digits)) == digits


def test_to_decimal_rejects_float_and_says_how_to_convert() -> None:
    with pytest.raises(TypeError, match=r"Decimal\(str\(x\)\)"):
        to_decimal(0.1)  # type: ignore[arg-type]


def test_to_decimal_rejects_bool_even_though_it_is_an_int() -> None:
    with pytest.raises(TypeError, match="bool"):
        to_decimal(True)


def test_to_decimal_rejects_other_types() -> None:
    with pytest.raises(TypeError, match="NoneType"):
        to_decimal(None)  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", [Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), "-inf"])
def test_to_decimal_rejects_non_finite_values(raw: Decimal | str) -> None:
    with pytest.raises(CanonicalError, match="not a finite number"):
        to_decimal(raw)


def test_to_decimal_rejects_text_that_is_not_a_number() -> None:
    with pytest.raises(CanonicalError, match="'seven' is not a decimal number"):
        to_decimal("seven")


# --- Quantity -----------------------------------------------------------------------------------


def test_quantity_str_shows_value_and_unit() -> None:
    assert str(hours("7.5")) == "7.5 hours"
    assert str(Quantity(Decimal("1E+1"), Unit.DAYS)) == "10 days"


def test_quantity_rejects_float_and_non_finite_values() -> None:
    with pytest.raises(TypeError, match=r"Decimal\(str\(x\)\)"):
        Quantity(1.5, Unit.DAYS)  # type: ignore[arg-type]
    with pytest.raises(CanonicalError, match="finite"):
        Quantity(Decimal("Infinity"), Unit.DAYS)


def test_quantity_rejects_unknown_unit() -> None:
    with pytest.raises(CanonicalError, match="unknown unit 'weeks'"):
        Quantity(Decimal(1), "weeks")  # type: ignore[arg-type]


def test_quantity_accepts_unit_given_as_its_string_value() -> None:
    assert Quantity(Decimal(1), "hours").unit is Unit.HOURS  # type: ignore[arg-type]


def test_quantity_arithmetic_in_the_same_unit() -> None:
    assert hours("7.5") + hours("0.5") == hours("8")
    assert hours("7.5") - hours("10") == hours("-2.5")
    assert -hours("2.5") == hours("-2.5")
    assert abs(hours("-2.5")) == hours("2.5")


def test_quantity_addition_does_not_round_long_values() -> None:
    # 30 significant digits: the default decimal context would round this sum to 28.
    total = days("0.000000000000000000000000000001") + days("1")
    assert total.value == Decimal("1.000000000000000000000000000001")


def test_quantity_arithmetic_across_units_is_refused() -> None:
    with pytest.raises(CanonicalError, match=r"cannot add 1 days and 8 hours.*convert"):
        _ = days("1") + hours("8")
    with pytest.raises(CanonicalError, match="cannot subtract"):
        _ = days("1") - hours("8")


def test_quantity_comparison_in_the_same_unit() -> None:
    assert days("1.5") < days("2")
    assert days("2") <= days("2.0")
    assert days("2") > days("-3")
    assert days("2") >= days("2")
    assert max(days("1"), days("3"), days("2")) == days("3")


def test_quantity_comparison_across_units_is_refused() -> None:
    with pytest.raises(CanonicalError, match="cannot compare"):
        _ = days("1") < hours("9")
    # Equality is not an ordering: 1 day and 8 hours are simply different quantities.
    assert days("1") != hours("8")


def test_equal_quantities_hash_alike_whatever_their_trailing_zeros() -> None:
    assert {days("1.50"), days("1.5")} == {days("1.5")}


# --- WorkSchedule(s) ----------------------------------------------------------------------------


def test_default_schedule_is_eight_hours() -> None:
    assert WorkSchedule.default().hours_per_day == Decimal(8)


@pytest.mark.parametrize("bad", [Decimal(0), Decimal("-7.5"), Decimal("24.01"), Decimal(40)])
def test_schedule_rejects_hours_outside_a_day(bad: Decimal) -> None:
    with pytest.raises(CanonicalError, match="hours_per_day"):
        WorkSchedule(bad)


def test_schedule_rejects_float() -> None:
    with pytest.raises(TypeError, match=r"Decimal\(str\(x\)\)"):
        WorkSchedule(7.5)  # type: ignore[arg-type]


def test_schedules_per_employee_with_default_fallback() -> None:
    schedules = WorkSchedules(default=WorkSchedule.default(), per_employee={"e1": SEVEN_AND_A_HALF})
    assert schedules.for_employee("e1") == SEVEN_AND_A_HALF
    assert schedules.for_employee("e2") == WorkSchedule.default()
    assert WorkSchedules().for_employee("anyone") == WorkSchedule.default()


def test_schedules_refuse_a_bare_number_as_a_schedule() -> None:
    with pytest.raises(TypeError, match="'e1' must be a WorkSchedule"):
        WorkSchedules(per_employee={"e1": Decimal("7.5")})  # type: ignore[dict-item]


def test_schedules_do_not_change_when_the_source_dict_does() -> None:
    overrides = {"e1": SEVEN_AND_A_HALF}
    schedules = WorkSchedules(WorkSchedule.default(), overrides)
    overrides["e1"] = WorkSchedule(Decimal(6))
    assert schedules.for_employee("e1") == SEVEN_AND_A_HALF
    assert hash(schedules) == hash(WorkSchedules(WorkSchedule.default(), overrides))


# --- convert ------------------------------------------------------------------------------------


def test_three_days_of_seven_and_a_half_hours_are_22_5_hours() -> None:
    assert convert(days("3"), Unit.HOURS, SEVEN_AND_A_HALF) == hours("22.5")


def test_days_to_minutes_and_back() -> None:
    assert convert(days("1.25"), Unit.MINUTES, SEVEN_AND_A_HALF) == minutes("562.5")
    assert convert(minutes("562.5"), Unit.DAYS, SEVEN_AND_A_HALF) == days("1.25")


def test_hours_and_minutes_convert_without_a_schedule() -> None:
    assert convert(hours("1.5"), Unit.MINUTES) == minutes("90")
    assert convert(minutes("45"), Unit.HOURS) == hours("0.75")
    assert convert(hours("-2"), Unit.MINUTES) == minutes("-120")


def test_converting_to_the_same_unit_returns_the_quantity_itself() -> None:
    q = days("2.50")
    assert convert(q, Unit.DAYS) is q


@pytest.mark.parametrize(("source", "target"), [(Unit.DAYS, Unit.HOURS), (Unit.MINUTES, Unit.DAYS)])
def test_days_conversion_without_schedule_names_the_units(source: Unit, target: Unit) -> None:
    with pytest.raises(MissingScheduleError, match=rf"{source.value} to {target.value}.*Schedule"):
        convert(Quantity.of(1, source), target)


def test_inexact_conversion_is_refused_with_a_pointer_to_convert_rounded() -> None:
    with pytest.raises(InexactConversionError, match=r"2/15 days.*convert_rounded") as info:
        convert(hours("1"), Unit.DAYS, SEVEN_AND_A_HALF)
    assert "7.5 hours per day" in str(info.value)


def test_convert_result_is_exact_not_rounded_to_28_digits() -> None:
    long = Decimal("0.1234567890123456789012345678901")  # 31 significant digits
    assert long * 60 != Decimal("7.407407340740740734074074073406")  # default context rounds
    assert convert(Quantity(long, Unit.HOURS), Unit.MINUTES).value == Decimal(
        "7.407407340740740734074074073406"
    )


def test_merge_style_multiply_by_eight_is_not_what_a_7_5_hour_schedule_gives() -> None:
    assert convert(days("20"), Unit.HOURS, SEVEN_AND_A_HALF) == hours("150")
    assert convert(days("20"), Unit.HOURS, WorkSchedule.default()) == hours("160")


# --- rounding -----------------------------------------------------------------------------------


def test_one_and_a_quarter_days_at_7_5_hours_to_whole_minutes() -> None:
    up = convert_rounded(
        days("1.25"), Unit.MINUTES, SEVEN_AND_A_HALF, Decimal(1), RoundingMode.HALF_UP
    )
    assert up.value == minutes("563")
    assert up.exact == Fraction(1125, 2)
    assert up.difference == Decimal("0.5")
    assert up.changed

    even = convert_rounded(
        days("1.25"), Unit.MINUTES, SEVEN_AND_A_HALF, Decimal(1), RoundingMode.HALF_EVEN
    )
    assert even.value == minutes("562")
    assert even.difference == Decimal("-0.5")


def test_one_hour_to_one_decimal_of_a_7_5_hour_day_reports_the_difference() -> None:
    result = convert_rounded(
        hours("1"), Unit.DAYS, SEVEN_AND_A_HALF, Decimal("0.1"), RoundingMode.HALF_UP
    )
    assert result.value == days("0.1")
    assert str(result.value) == "0.1 days"
    assert result.exact == Fraction(2, 15)
    # -1/30 has no decimal form: 28 significant digits.
    assert result.difference == Decimal("-0.03333333333333333333333333333")


def test_convert_rounded_rounds_once_from_the_exact_value() -> None:
    # Just under 3.75 h is just under half a 7.5-hour day: 0.4999...(31 nines)867 days. A
    # 28-digit division first makes that 0.5000..., which HALF_UP would then take to 1 day.
    just_under = hours("3.749999999999999999999999999999")
    naive = (just_under.value / SEVEN_AND_A_HALF.hours_per_day).quantize(
        Decimal(1), rounding=decimal.ROUND_HALF_UP
    )
    assert naive == 1  # the double rounding this function exists to avoid

    result = convert_rounded(
        just_under, Unit.DAYS, SEVEN_AND_A_HALF, Decimal(1), RoundingMode.HALF_UP
    )
    assert result.value == days("0")
    assert result.exact < Fraction(1, 2)
    assert result.difference < 0


def test_round_quantity_is_exact_multiple_of_step() -> None:
    result = round_quantity(hours("1"), Decimal("0.3"), RoundingMode.HALF_EVEN)
    assert result.value == hours("0.9")
    assert result.difference == Decimal("-0.1")


# ties and non-ties, positive and negative, against the documented meaning of each mode
@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        (RoundingMode.HALF_UP, ["3", "-3", "2", "-2", "4", "-4"]),
        (RoundingMode.HALF_EVEN, ["2", "-2", "2", "-2", "4", "-4"]),
        (RoundingMode.DOWN, ["2", "-2", "2", "-2", "3", "-3"]),
        (RoundingMode.UP, ["3", "-3", "3", "-3", "4", "-4"]),
        (RoundingMode.FLOOR, ["2", "-3", "2", "-3", "3", "-4"]),
        (RoundingMode.CEILING, ["3", "-2", "3", "-2", "4", "-3"]),
    ],
)
def test_each_rounding_mode_to_whole_units(mode: RoundingMode, expected: list[str]) -> None:
    inputs = ["2.5", "-2.5", "2.4", "-2.4", "3.5", "-3.5"]
    got = [round_quantity(days(v), Decimal(1), mode).value.value for v in inputs]
    assert got == [Decimal(e) for e in expected]


def test_rounding_modes_map_to_decimal_module_constants() -> None:
    assert RoundingMode.HALF_UP.decimal_rounding == decimal.ROUND_HALF_UP
    assert RoundingMode.HALF_EVEN.decimal_rounding == decimal.ROUND_HALF_EVEN
    assert RoundingMode.DOWN.decimal_rounding == decimal.ROUND_DOWN
    assert RoundingMode.UP.decimal_rounding == decimal.ROUND_UP
    assert RoundingMode.FLOOR.decimal_rounding == decimal.ROUND_FLOOR
    assert RoundingMode.CEILING.decimal_rounding == decimal.ROUND_CEILING


def test_rounding_difference_is_exact_even_beyond_28_digits() -> None:
    long = Decimal("0.1234567890123456789012345678901")  # 31 significant digits
    result = round_quantity(Quantity(long, Unit.DAYS), Decimal(1), RoundingMode.DOWN)
    assert result.value == days("0")
    assert result.difference == long.copy_negate()


def test_rounding_a_multiple_changes_nothing() -> None:
    result = round_quantity(days("2.5"), Decimal("0.5"), RoundingMode.UP)
    assert result.value == days("2.5")
    assert not result.changed
    assert result.difference == 0


@pytest.mark.parametrize("step", [Decimal(0), Decimal("-0.1"), Decimal("NaN")])
def test_rounding_needs_a_positive_finite_step(step: Decimal) -> None:
    with pytest.raises(CanonicalError):
        round_quantity(days("1"), step, RoundingMode.HALF_UP)


def test_rounding_rejects_an_unknown_mode() -> None:
    with pytest.raises(CanonicalError, match="unknown rounding mode 'bankers'"):
        round_quantity(days("1"), Decimal(1), "bankers")  # type: ignore[arg-type]


def test_convert_rounded_still_needs_a_schedule_for_days() -> None:
    with pytest.raises(MissingScheduleError):
        convert_rounded(days("1"), Unit.MINUTES, None, Decimal(1), RoundingMode.HALF_UP)


def test_equal_conversions_share_one_decimal() -> None:
    # A plan holds a converted figure per row; the same figure converted twice is one object.
    schedule = WorkSchedule(Decimal(8))
    first = convert(Quantity(Decimal("12.5"), Unit.DAYS), Unit.HOURS, schedule)
    second = convert(Quantity(Decimal("12.5"), Unit.DAYS), Unit.HOURS, schedule)
    assert first.value == Decimal(100)
    assert first.value is second.value
