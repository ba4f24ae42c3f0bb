"""Balances: derivation, consistency, validation, conversion and serialisation."""

import dataclasses
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pydantic
import pytest

from balance_gateway.canonical import (
    Balance,
    BalanceInconsistentError,
    CanonicalError,
    EmployeeRef,
    Figure,
    InexactConversionError,
    LeaveKind,
    LeaveTypeRef,
    MissingScheduleError,
    Period,
    Provenance,
    Quantity,
    Unit,
    WorkSchedule,
)

D = Decimal
FETCHED = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)


def build(**overrides: Any) -> Balance:
    fields: dict[str, Any] = {
        "employee": EmployeeRef("hr", "abc"),
        "leave_type": LeaveTypeRef("hr", "vac", LeaveKind.VACATION),
        "unit": Unit.DAYS,
        "as_of": date(2024, 5, 1),
        "provenance": Provenance("hr", "rec-1", FETCHED),
    }
    fields.update(overrides)
    return Balance.build(**fields)


# --- derivation ---------------------------------------------------------------------------------


def test_the_seed_example_derives_remaining_and_available() -> None:
    """CompanyFlow's seed example (22 entitled, 2 carried over, 5 used, 1.5 pending)."""
    balance = build(
        employee=EmployeeRef("hr", "42"),
        leave_type=LeaveTypeRef("hr", "annual"),
        entitled=D(22),
        carried_over=D(2),
        used=D(5),
        pending=D("1.5"),
        period=Period.calendar_year(2024),
        provenance=Provenance("hr", None, FETCHED),
    )
    assert balance.remaining == D(17)
    assert balance.available == D("15.5")
    assert balance.carried_over == D(2)
    assert balance.entitled == D(22)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        # remaining from entitled and used; available stays unknown without pending
        ({"entitled": D(25), "used": D(10)}, {"remaining": D(15), "available": None}),
        # entitled from remaining and used
        ({"remaining": D(15), "used": D(10)}, {"entitled": D(25)}),
        # used from entitled and remaining
        ({"entitled": D(25), "remaining": D(15)}, {"used": D(10)}),
        # available from remaining and pending (Kenjo-style: only remaining is stored)
        ({"remaining": D("12.5"), "pending": D(2)}, {"available": D("10.5")}),
        # remaining from available and pending, then entitled from remaining and used
        (
            {"available": D(8), "pending": D(2), "used": D(5)},
            {"remaining": D(10), "entitled": D(15)},
        ),
        # pending from remaining and available
        ({"remaining": D(10), "available": D(7)}, {"pending": D(3)}),
        # a chain through both identities: remaining from the first, then pending from the second
        (
            {"entitled": D(20), "used": D(4), "available": D("15.25")},
            {"remaining": D(16), "pending": D("0.75")},
        ),
    ],
)
def test_figures_that_follow_from_the_identities_are_derived(
    given: dict[str, Decimal], expected: dict[str, Decimal | None]
) -> None:
    balance = build(**given)
    for name, value in {**given, **expected}.items():
        assert balance.figure(Figure(name)) == value, name


def test_figures_that_cannot_be_derived_stay_none_not_zero() -> None:
    balance = build(remaining=D("12.5"))
    assert balance.remaining == D("12.5")
    for f in (Figure.ENTITLED, Figure.USED, Figure.PENDING, Figure.AVAILABLE, Figure.CARRIED_OVER):
        assert balance.figure(f) is None


def test_zero_is_a_known_figure_and_takes_part_in_derivation() -> None:
    balance = build(remaining=D(10), pending=D(0))
    assert balance.available == D(10)


def test_negative_figures_are_allowed_for_overdrawn_balances() -> None:
    balance = build(entitled=D(20), used=D(23), pending=D(1))
    assert balance.remaining == D(-3)
    assert balance.available == D(-4)


def test_carried_over_alone_is_a_balance_and_is_in_no_identity() -> None:
    balance = build(carried_over=D(3))
    assert balance.carried_over == D(3)
    assert balance.entitled is None
    # carried_over larger than entitled is not checked: the source may count it differently.
    assert build(entitled=D(1), carried_over=D(3)).entitled == D(1)


def test_derived_figures_are_marked_as_set_so_exclude_unset_keeps_them() -> None:
    dumped = build(entitled=D(22), used=D(5)).model_dump(exclude_unset=True)
    assert dumped["remaining"] == D(17)
    assert "pending" not in dumped


def test_derivation_is_exact_beyond_28_digits() -> None:
    entitled = D("10000000000000000000000000000.5")  # 30 significant digits
    balance = build(entitled=entitled, used=D("0.25"))
    assert balance.remaining == D("10000000000000000000000000000.25")


# --- consistency --------------------------------------------------------------------------------


def test_inconsistent_first_identity_is_refused_naming_the_figures() -> None:
    with pytest.raises(BalanceInconsistentError) as info:
        build(entitled=D(20), used=D(5), remaining=D(14))
    message = str(info.value)
    assert "hr:abc / hr:vac" in message
    assert "entitled 20 - used 5 = 15, but remaining is 14" in message


def test_inconsistency_with_a_derived_figure_says_how_it_was_derived() -> None:
    with pytest.raises(BalanceInconsistentError) as info:
        build(entitled=D(22), used=D(5), pending=D(1), available=D(15))
    message = str(info.value)
    assert "remaining 17 (derived as entitled 22 - used 5) - pending 1 = 16" in message
    assert "but available is 15" in message


def test_equal_values_with_different_trailing_zeros_are_consistent() -> None:
    balance = build(entitled=D("20.00"), used=D("5"), remaining=D("15.0"))
    assert balance.remaining == D(15)


def test_constructor_reports_inconsistency_inside_a_pydantic_validation_error() -> None:
    with pytest.raises(pydantic.ValidationError, match="entitled 20 - used 5 = 15") as info:
        Balance(
            employee=EmployeeRef("hr", "abc"),
            leave_type=LeaveTypeRef("hr", "vac"),
            unit=Unit.DAYS,
            entitled=D(20),
            used=D(5),
            remaining=D(14),
            as_of=date(2024, 5, 1),
            provenance=Provenance("hr", None, FETCHED),
        )
    assert isinstance(info.value.errors()[0]["ctx"]["error"], BalanceInconsistentError)


def test_a_balance_without_any_figure_is_refused() -> None:
    with pytest.raises(CanonicalError, match=r"no figures.*at least one of entitled"):
        build()


# --- values -------------------------------------------------------------------------------------


def test_float_figure_is_refused_with_the_edge_conversion_hint() -> None:
    with pytest.raises(TypeError, match=r"figure used is a float.*Decimal\(str\(x\)\)"):
        build(entitled=D(22), used=5.0)


def test_bool_figure_is_refused() -> None:
    with pytest.raises(TypeError, match="figure pending"):
        build(pending=True)


def test_ints_and_numeric_strings_become_decimals() -> None:
    balance = build(entitled=22, used="5.5")
    assert isinstance(balance.entitled, Decimal)
    assert isinstance(balance.used, Decimal)
    assert balance.remaining == D("16.5")


@pytest.mark.parametrize("bad", [D("NaN"), D("-Infinity"), "inf"])
def test_non_finite_figures_are_refused_naming_the_figure(bad: object) -> None:
    with pytest.raises(CanonicalError, match=r"figure remaining.*not a finite number"):
        build(remaining=bad)


def test_non_numeric_figure_text_is_refused() -> None:
    with pytest.raises(CanonicalError, match="figure used: 'five' is not a decimal number"):
        build(used="five")


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(pydantic.ValidationError, match="balance"):
        build(remaining=D(1), balance=D(1))


def test_build_leaves_non_canonical_problems_as_validation_errors() -> None:
    with pytest.raises(pydantic.ValidationError, match="as_of"):
        build(remaining=D(1), as_of=None)


def test_balance_is_frozen() -> None:
    balance = build(remaining=D(1))
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        balance.remaining = D(2)  # type: ignore[misc]


def test_equal_balances_hash_alike() -> None:
    assert hash(build(entitled=D(22), used=D(5))) == hash(build(entitled=D(22), remaining=D(17)))


# --- figure / quantity --------------------------------------------------------------------------


def test_figure_and_quantity_accessors() -> None:
    balance = build(entitled=D(22), used=D(5))
    assert balance.figure(Figure.REMAINING) == D(17)
    assert balance.figure(Figure.PENDING) is None
    assert balance.quantity(Figure.USED) == Quantity(D(5), Unit.DAYS)


def test_quantity_of_an_unknown_figure_names_it() -> None:
    with pytest.raises(CanonicalError, match=r"pending is not known for hr:abc / hr:vac"):
        build(remaining=D(3)).quantity(Figure.PENDING)


# --- in_unit ------------------------------------------------------------------------------------


def test_in_unit_converts_every_known_figure_exactly() -> None:
    balance = build(entitled=D(22), carried_over=D(2), used=D(5), pending=D("1.5"))
    hours = balance.in_unit(Unit.HOURS, WorkSchedule(D("7.5")))
    assert hours.unit is Unit.HOURS
    assert hours.entitled == D(165)
    assert hours.carried_over == D(15)
    assert hours.used == D("37.5")
    assert hours.pending == D("11.25")
    assert hours.remaining == D("127.5")
    assert hours.available == D("116.25")
    assert hours.employee == balance.employee
    assert hours.provenance == balance.provenance
    assert hours.in_unit(Unit.DAYS, WorkSchedule(D("7.5"))) == balance


def test_in_unit_keeps_unknown_figures_unknown() -> None:
    minutes = build(used=D("1.5")).in_unit(Unit.MINUTES, WorkSchedule.default())
    assert minutes.used == D(720)
    assert minutes.remaining is None


def test_in_unit_same_unit_returns_the_balance_itself() -> None:
    balance = build(remaining=D(3))
    assert balance.in_unit(Unit.DAYS) is balance


def test_in_unit_needs_a_schedule_for_days() -> None:
    with pytest.raises(MissingScheduleError):
        build(remaining=D(3)).in_unit(Unit.HOURS)


def test_in_unit_refuses_an_inexact_figure() -> None:
    balance = build(unit=Unit.HOURS, remaining=D(1))
    with pytest.raises(InexactConversionError, match="convert_rounded"):
        balance.in_unit(Unit.DAYS, WorkSchedule(D("7.5")))


# --- JSON ---------------------------------------------------------------------------------------


def test_json_round_trip_preserves_every_field() -> None:
    balance = build(
        entitled=D("22.5"),
        carried_over=D(2),
        used=D(5),
        pending=D("1.5"),
        period=Period.calendar_year(2024),
        provenance=Provenance(
            "hr", "rec-1", datetime(2024, 5, 1, 10, tzinfo=timezone(timedelta(hours=2)))
        ),
    )
    dumped = balance.model_dump(mode="json")
    assert dumped["remaining"] == "17.5"
    assert dumped["employee"] == {"system": "hr", "id": "abc"}
    assert dumped["leave_type"]["kind"] == "vacation"
    restored = Balance.model_validate(dumped)
    assert restored == balance
    assert isinstance(restored.employee, EmployeeRef)
    assert isinstance(restored.period, Period)
    assert restored.provenance.fetched_at.utcoffset() == timedelta(hours=2)
    assert Balance.model_validate_json(balance.model_dump_json()) == balance


def test_json_input_with_inconsistent_figures_is_refused() -> None:
    dumped = build(entitled=D(22), used=D(5)).model_dump(mode="json")
    dumped["remaining"] = "16"
    with pytest.raises(pydantic.ValidationError, match="but remaining is 16"):
        Balance.model_validate(dumped)


# --- Period and Provenance ----------------------------------------------------------------------


def test_calendar_year_period_includes_both_ends() -> None:
    period = Period.calendar_year(2024)
    assert period == Period(date(2024, 1, 1), date(2024, 12, 31))
    assert period.contains(date(2024, 1, 1))
    assert period.contains(date(2024, 12, 31))
    assert period.contains(date(2024, 2, 29))
    assert not period.contains(date(2023, 12, 31))
    assert not period.contains(date(2025, 1, 1))


def test_single_day_period_is_allowed_and_reversed_is_refused() -> None:
    assert Period(date(2024, 3, 1), date(2024, 3, 1)).contains(date(2024, 3, 1))
    with pytest.raises(CanonicalError, match="2024-03-02 is after its end 2024-03-01"):
        Period(date(2024, 3, 2), date(2024, 3, 1))


def test_calendar_year_out_of_range_is_a_canonical_error() -> None:
    with pytest.raises(CanonicalError, match="no calendar year 0"):
        Period.calendar_year(0)


def test_period_refuses_datetimes() -> None:
    with pytest.raises(TypeError, match=r"Period.start must be a date"):
        Period(datetime(2024, 1, 1, tzinfo=UTC), date(2024, 12, 31))
    with pytest.raises(TypeError, match="takes a date"):
        Period.calendar_year(2024).contains(datetime(2024, 1, 1, tzinfo=UTC))


def test_build_unwraps_a_period_error_from_json_input() -> None:
    with pytest.raises(CanonicalError, match="is after its end"):
        build(remaining=D(1), period={"start": "2024-12-31", "end": "2024-01-01"})


def test_provenance_requires_an_aware_fetch_time() -> None:
    with pytest.raises(CanonicalError, match=r"has no timezone.*aware"):
        Provenance("hr", None, FETCHED.replace(tzinfo=None))


def test_provenance_requires_a_system() -> None:
    with pytest.raises(CanonicalError, match="non-empty system"):
        Provenance("", "r", FETCHED)


def test_provenance_is_immutable() -> None:
    provenance = Provenance("hr", "r", FETCHED)
    with pytest.raises(dataclasses.FrozenInstanceError):
        provenance.system = "bank"  # type: ignore[misc]


# --- memory -------------------------------------------------------------------------------------


def test_balances_built_alike_share_their_set_of_given_fields() -> None:
    # A sync holds every balance it reads: a set per balance was a third of each one's memory.
    first, second = build(entitled=D(25), used=D(3)), build(entitled=D(20), used=D(1))
    assert first.model_fields_set is second.model_fields_set
    assert first.model_fields_set >= {"entitled", "used", "remaining"}  # derived ones count
    assert build(remaining=D(4)).model_fields_set != first.model_fields_set


def test_a_balance_keeps_its_fields_in_a_key_sharing_dict() -> None:
    # pydantic gives each instance a plain dict (~460 bytes for 13 fields); a key-sharing one
    # keeps only the values. The fields, their order and the copies are unchanged.
    balance = build(entitled=D(25), used=D(3))
    plain = dict(balance.__dict__)
    assert sys.getsizeof(balance.__dict__) < sys.getsizeof(plain) * 3 // 4
    assert list(balance.__dict__) == list(Balance.model_fields)
    assert balance.model_dump() == build(entitled=D(25), used=D(3)).model_dump()
    assert balance.model_copy(update={"used": D(4)}).used == D(4)
    assert balance.used == D(3)


def test_a_copy_with_changes_leaves_the_shared_set_of_the_others_alone() -> None:
    first, second = build(entitled=D(25), used=D(3)), build(entitled=D(20), used=D(1))
    given = set(second.model_fields_set)
    copied = first.model_copy(update={"pending": D(2)})
    assert "pending" in copied.model_fields_set
    assert second.model_fields_set == given
    assert "pending" not in build(entitled=D(9), used=D(1)).model_fields_set


def test_equal_figures_share_one_decimal_and_keep_their_own_form() -> None:
    first, second = build(entitled=D("25"), used=D("2.5")), build(entitled=D("25"), used=D("2.5"))
    assert first.entitled is second.entitled
    assert first.remaining is second.remaining  # derived: 22.5 both
    # 25 and 25.0 are equal but written differently: each keeps its own form.
    written = build(entitled=D("25.0"), used=D("2.5"))
    assert str(written.entitled) == "25.0"
    assert str(first.entitled) == "25"
    assert str(build(remaining=D("-0")).remaining) == "-0"
