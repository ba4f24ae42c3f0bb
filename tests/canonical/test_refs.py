"""Employee and leave-type references."""

import pytest

from balance_gateway.canonical import (
    CanonicalError,
    EmployeeRef,
    LeaveKind,
    LeaveTypeRef,
    SharedRefs,
)


def test_employee_ref_positional_and_printed_as_system_colon_id() -> None:
    ref = EmployeeRef("hr", "abc")
    assert (ref.system, ref.id) == ("hr", "abc")
    assert str(ref) == "hr:abc"


def test_leave_type_ref_printed_without_its_kind_hint() -> None:
    ref = LeaveTypeRef("hr", "vac", LeaveKind.VACATION)
    assert str(ref) == "hr:vac"
    assert ref.kind is LeaveKind.VACATION
    assert LeaveTypeRef("hr", "vac").kind is None


def test_ids_are_opaque_strings_kept_verbatim() -> None:
    ref = EmployeeRef("time", " 00042:x ")
    assert ref.id == " 00042:x "
    assert str(ref) == "time: 00042:x "
    assert EmployeeRef("time", "00042") != EmployeeRef("time", "42")


def test_refs_are_hashable_and_equal_by_value() -> None:
    owners = {EmployeeRef("hr", "abc"): 1}
    assert owners[EmployeeRef("hr", "abc")] == 1
    assert EmployeeRef("hr", "abc") != EmployeeRef("bank", "abc")


@pytest.mark.parametrize(("system", "id_"), [("", "abc"), ("hr", "")])
def test_empty_system_or_id_is_refused(system: str, id_: str) -> None:
    with pytest.raises(CanonicalError, match="non-empty"):
        EmployeeRef(system, id_)
    with pytest.raises(CanonicalError, match="non-empty"):
        LeaveTypeRef(system, id_)


def test_system_name_with_a_colon_is_refused_as_ambiguous() -> None:
    with pytest.raises(CanonicalError, match="must not contain ':'"):
        EmployeeRef("a:b", "c")


def test_numeric_id_must_be_passed_as_a_string() -> None:
    with pytest.raises(TypeError, match="as strings"):
        EmployeeRef("time", 42)  # type: ignore[arg-type]


def test_leave_kind_given_as_string_becomes_the_enum() -> None:
    ref = LeaveTypeRef("ledger", "t1", "work_time")  # type: ignore[arg-type]
    assert ref.kind is LeaveKind.WORK_TIME


def test_unknown_leave_kind_is_refused_with_the_choices() -> None:
    with pytest.raises(CanonicalError, match=r"unknown leave kind 'holiday'.*vacation"):
        LeaveTypeRef("hr", "vac", "holiday")  # type: ignore[arg-type]


def test_shared_refs_make_one_ref_per_employee_and_per_leave_type() -> None:
    # A bulk read makes a balance per employee and type: one ref each, not one per balance.
    refs = SharedRefs("hr")
    assert refs.employee("e1") is refs.employee("e1")
    assert refs.employee("e1") == EmployeeRef("hr", "e1")
    assert refs.employee("e2") is not refs.employee("e1")
    assert refs.leave_type("vac") is refs.leave_type("vac")
    assert refs.leave_type("vac", LeaveKind.VACATION) == LeaveTypeRef(
        "hr", "vac", LeaveKind.VACATION
    )
    assert refs.leave_type("vac", LeaveKind.VACATION) is not refs.leave_type("vac")
    with pytest.raises(CanonicalError):
        refs.employee("")  # checked as any ref is
