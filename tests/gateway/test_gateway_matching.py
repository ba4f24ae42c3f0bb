"""Matching people across systems: email first, then employee number; names only suggest."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from balance_gateway.adapters._core.discovery import DirectoryPerson as P
from balance_gateway.gateway.matching import match_people, normalize_email


def test_emails_match_whatever_their_case_and_unicode_form() -> None:
    # A fullwidth A and the "fi" ligature are the same letters once NFKC-normalized.
    assert normalize_email("  \uff21nna.\ufb01sher@Example.COM ") == "anna.fisher@example.com"
    result = match_people(
        {
            "hr": [P("h1", "Anna Fisher", "anna.fisher@example.com")],
            "time": [P("t9", "Anna Fisher", "ANNA.ﬁsher@example.com")],
        }
    )
    assert [dict(r.ids) for r in result.rows] == [{"hr": "h1", "time": "t9"}]
    assert result.rows[0].matched_by == ("email",)
    assert result.matched == result.people == 1


def test_employee_number_joins_people_without_a_shared_email() -> None:
    result = match_people(
        {
            "hr": [P("h1", "Ben Okafor", "ben@example.com", "E7")],
            "expenses": [P("42", "Ben Okafor", None, " e7 ")],
            "bank": [P("b1", "B. Okafor", "ben@example.com")],
        }
    )
    (row,) = result.rows
    assert dict(row.ids) == {"hr": "h1", "expenses": "42", "bank": "b1"}
    assert row.matched_by == ("email", "employee number")


def test_names_never_join_a_row_they_only_suggest() -> None:
    result = match_people(
        {
            "hr": [P("h1", "Chloé Martin", "chloe@example.com")],
            "time": [P("t1", "chloe  martin", None)],
        }
    )
    assert sorted(tuple(r.ids.items()) for r in result.rows) == [(("hr", "h1"),), (("time", "t1"),)]
    assert result.matched == 0
    assert {s for s, _p in result.unmatched} == {"hr", "time"}
    (suggestion,) = result.suggestions
    assert dict(suggestion.ids) == {"hr": "h1", "time": "t1"}


def test_a_shared_email_within_one_system_is_ambiguous_not_guessed() -> None:
    result = match_people(
        {
            "hr": [P("h1", "Dario", "team@example.com"), P("h2", "Eeva", "team@example.com")],
            "time": [P("t1", "Dario", "team@example.com")],
        }
    )
    assert result.rows == []
    (ambiguity,) = result.ambiguous
    assert {(s, p.id) for s, p in ambiguity.people} == {("hr", "h1"), ("hr", "h2"), ("time", "t1")}


def test_merge_keeps_existing_rows_adds_new_people_and_lists_conflicts() -> None:
    directories = {
        "hr": [P("h1", "A", "a@x"), P("h2", "B", "b@x"), P("h3", "C", "c@x")],
        "time": [P("t1", "A", "a@x"), P("t2", "B", "b@x"), P("t3", "C", "c@x")],
    }
    existing = [(2, {"hr": "h1", "time": "t1"}), (3, {"hr": "h2", "time": "t9"})]
    result = match_people(directories, existing)
    assert result.kept == 2
    assert [dict(r.ids) for r in result.rows[:2]] == [dict(ids) for _line, ids in existing]
    # C is new: added. B disagrees with line 3 (t9 vs t2): a conflict, line 3 kept as it was.
    assert [dict(r.ids) for r in result.rows[2:]] == [{"hr": "h3", "time": "t3"}]
    (conflict,) = result.conflicts
    assert conflict.line == 3
    assert dict(conflict.proposed) == {"hr": "h2", "time": "t2"}


people_lists = st.lists(
    st.tuples(
        st.sampled_from(["a@x", "b@x", "c@x", None]),
        st.sampled_from(["1", "2", None]),
    ),
    max_size=6,
)


@given(st.dictionaries(st.sampled_from(["hr", "time", "bank"]), people_lists, max_size=3))
def test_every_person_ends_up_exactly_once_and_rows_hold_one_id_per_system(
    raw: dict[str, list[tuple[str | None, str | None]]],
) -> None:
    directories = {
        system: [P(f"{system}{i}", None, email, number) for i, (email, number) in enumerate(found)]
        for system, found in raw.items()
    }
    result = match_people(directories)
    placed = [(s, i) for r in result.rows for s, i in r.ids.items()]
    placed += [(s, p.id) for a in result.ambiguous for s, p in a.people]
    everyone = [(s, p.id) for s, found in directories.items() for p in found]
    assert sorted(placed) == sorted(everyone)
    assert all(len(r.ids) == len(set(r.ids)) for r in result.rows)
    assert result.people == result.matched + len(result.unmatched)
