"""Matching people across systems, to propose the employee mapping (`balance-gateway map`).

Pure logic, no I/O: each system's `DirectoryPerson`s in, proposed mapping rows out.

Two people in different systems are the same person when their emails are equal (compared
case- and Unicode-insensitively: NFKC, casefolded, trimmed), or else when their employee
numbers are equal (trimmed, casefolded). Matches chain: a person matched by email in one pair
of systems and by employee number in another ends up in one row. A row that would hold two
people of one system (a shared mailbox, a reused number) is ambiguous: it is not proposed, and
its people are listed for a human to decide.

Names never join a row: two people with the same name are too often two people. A person left
alone in their row whose name equals the name of someone in another system's lone row is
listed as a suggestion, with both ids, for a human to join by hand.

With an existing mapping (`--merge`), its rows are kept exactly as they are; proposed rows that
contain none of its ids are added; a proposal that disagrees with an existing row (pairs an id
of that row with an id the row does not have) is a conflict, listed, and the existing row wins.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from balance_gateway.adapters._core.discovery import DirectoryPerson

Node = tuple[str, str]  # (system name, employee id)


def normalize_email(email: str | None) -> str | None:
    """The email as matching compares it: NFKC, casefolded, trimmed; None when empty."""
    if not email:
        return None
    text = unicodedata.normalize("NFKC", email).strip().casefold()
    return text or None


def normalize_number(number: str | None) -> str | None:
    """The employee number as matching compares it: NFKC, trimmed, casefolded."""
    if not number:
        return None
    text = unicodedata.normalize("NFKC", number).strip().casefold()
    return text or None


def normalize_name(name: str | None) -> str | None:
    """A name as suggestions compare it: accents dropped, casefolded, spaces folded."""
    if not name:
        return None
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    text = " ".join(plain.casefold().split())
    return text or None


@dataclass(frozen=True)
class ProposedRow:
    """One proposed mapping row: an id per system, and how the systems were joined."""

    ids: Mapping[str, str]
    matched_by: tuple[str, ...]  # "email", "employee number"; empty for a lone person
    name: str | None = None

    @property
    def systems(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class Ambiguity:
    """People that would share one row although two of them are in the same system."""

    people: tuple[tuple[str, DirectoryPerson], ...]
    reason: str


@dataclass(frozen=True)
class Suggestion:
    """Two lone people with the same name, in different systems: perhaps one person."""

    name: str
    ids: Mapping[str, str]


@dataclass(frozen=True)
class Conflict:
    """A proposal that disagrees with a row of the existing mapping (which is kept)."""

    line: int
    existing: Mapping[str, str]
    proposed: Mapping[str, str]


@dataclass
class MatchResult:
    """Everything `map` reports. `rows` are the rows to write (existing ones first when
    merging); `unmatched` are people found in one system only."""

    rows: list[ProposedRow] = field(default_factory=list)
    unmatched: list[tuple[str, DirectoryPerson]] = field(default_factory=list)
    ambiguous: list[Ambiguity] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    kept: int = 0  # existing rows kept as they were

    @property
    def people(self) -> int:
        """People proposed in rows (existing rows aside) plus those left unmatched."""
        return sum(1 for r in self.rows[self.kept :] if r.systems > 1) + len(self.unmatched)

    @property
    def matched(self) -> int:
        return sum(1 for r in self.rows[self.kept :] if r.systems > 1)


class _Groups:
    """Union-find over (system, id) nodes, remembering which keys joined each group."""

    def __init__(self, nodes: Sequence[Node]) -> None:
        self._parent: dict[Node, Node] = {n: n for n in nodes}
        self.how: dict[Node, set[str]] = defaultdict(set)

    def find(self, node: Node) -> Node:
        root = node
        while self._parent[root] != root:
            root = self._parent[root]
        while self._parent[node] != root:
            self._parent[node], node = root, self._parent[node]
        return root

    def join(self, a: Node, b: Node, how: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self._parent[rb] = ra
            self.how[ra] |= self.how.pop(rb, set())
        self.how[ra].add(how)

    def members(self) -> dict[Node, list[Node]]:
        found: dict[Node, list[Node]] = defaultdict(list)
        for node in self._parent:
            found[self.find(node)].append(node)
        return found


def match_people(
    directories: Mapping[str, Sequence[DirectoryPerson]],
    existing: Sequence[tuple[int, Mapping[str, str]]] = (),
) -> MatchResult:
    """Propose mapping rows for the people of `directories` (system name -> people listed),
    in the order of the systems given; `existing` are the rows of a mapping to keep (line,
    ids), for `--merge`."""
    order = list(directories)
    people: dict[Node, DirectoryPerson] = {}
    for system, listed in directories.items():
        for person in listed:
            people.setdefault((system, person.id), person)
    groups = _Groups(list(people))
    for how, key in (("email", normalize_email), ("employee number", normalize_number)):
        first: dict[str, Node] = {}
        for node, person in people.items():
            value = key(person.email if how == "email" else person.employee_number)
            if value is None:
                continue
            if value in first:
                groups.join(first[value], node, how)
            else:
                first[value] = node
    result = MatchResult()
    proposed: list[ProposedRow] = []
    for root, members in groups.members().items():
        systems = [system for system, _id in members]
        if len(set(systems)) < len(systems):
            result.ambiguous.append(
                Ambiguity(
                    people=tuple((s, people[(s, i)]) for s, i in sorted(members)),
                    reason="two of them are in the same system (a shared email or number?)",
                )
            )
            continue
        ids = {s: i for s, i in sorted(members, key=lambda n: order.index(n[0]))}
        name = next((people[n].name for n in members if people[n].name), None)
        proposed.append(
            ProposedRow(ids=ids, matched_by=tuple(sorted(groups.how.get(root, ()))), name=name)
        )
    proposed.sort(key=lambda r: (-r.systems, (r.name or "").casefold(), sorted(r.ids.items())))
    _merge(result, proposed, existing)
    lone = [r for r in result.rows[result.kept :] if r.systems == 1]
    result.unmatched = [
        (system, people[(system, employee)]) for r in lone for system, employee in r.ids.items()
    ]
    result.suggestions = _same_names(lone)
    return result


def _merge(
    result: MatchResult,
    proposed: list[ProposedRow],
    existing: Sequence[tuple[int, Mapping[str, str]]],
) -> None:
    """Keep every existing row; add the proposals that touch none of its ids; list the ones
    that disagree with an existing row as conflicts."""
    owner: dict[Node, int] = {}
    for index, (_line, ids) in enumerate(existing):
        for system, employee in ids.items():
            owner[(system, employee)] = index
        result.rows.append(ProposedRow(ids=dict(ids), matched_by=("existing mapping",)))
    result.kept = len(existing)
    for row in proposed:
        touched = {owner[n] for n in row.ids.items() if n in owner}
        if not touched:
            result.rows.append(row)
            continue
        for index in sorted(touched):
            line, ids = existing[index]
            agrees = all(
                ids.get(system) in (None, employee) for system, employee in row.ids.items()
            )
            if not agrees or any(n not in owner for n in row.ids.items()):
                result.conflicts.append(Conflict(line=line, existing=dict(ids), proposed=row.ids))


def _same_names(lone: Sequence[ProposedRow]) -> list[Suggestion]:
    by_name: dict[str, dict[str, str]] = defaultdict(dict)
    ambiguous: set[str] = set()
    for row in lone:
        name = normalize_name(row.name)
        if name is None:
            continue
        ((system, employee),) = row.ids.items()
        if system in by_name[name]:
            ambiguous.add(name)  # two lone people of one system share the name: no guess
        by_name[name][system] = employee
    return [
        Suggestion(name=name, ids=ids)
        for name, ids in sorted(by_name.items())
        if len(ids) > 1 and name not in ambiguous
    ]
