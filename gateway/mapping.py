"""The employee mapping: which id one person has in each configured system.

A CSV file with a header row naming one column per configured system (the `[systems.<name>]`
names) and an optional `hours_per_day` column (that person's working day, overriding
`[schedule] hours_per_day`). An empty cell means the person does not exist in that system.

    kenjo,bezala,companyflow,hours_per_day
    5f1e0c0a1b2c3d4e5f607182,1001,17,7.5

Every error names the file and the 1-based line (the header is line 1).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType
from typing import Any

from balance_gateway.canonical import CanonicalError, WorkSchedule
from balance_gateway.gateway.errors import ConfigError

HOURS_PER_DAY = "hours_per_day"


@dataclass(frozen=True)
class Person:
    """One mapping row: the person's id per system, and their own working day if given."""

    line: int
    ids: Mapping[str, str]
    hours_per_day: Decimal | None = None

    def id_in(self, system: str) -> str | None:
        """This person's employee id in `system`, or None when they have none there."""
        return self.ids.get(system)


@dataclass(frozen=True)
class EmployeeMapping:
    """Every mapping row, with lookups by (system, employee id)."""

    file: Path
    people: tuple[Person, ...]
    _index: Mapping[tuple[str, str], Person] = field(repr=False, compare=False)

    def __iter__(self) -> Iterator[Person]:
        return iter(self.people)

    def __len__(self) -> int:
        return len(self.people)

    def find(self, system: str, employee_id: str) -> Person | None:
        """The person whose id in `system` is `employee_id`, if mapped."""
        return self._index.get((system, employee_id))

    def schedule(self, person: Person, default: WorkSchedule) -> WorkSchedule:
        """`person`'s working day: their `hours_per_day`, else `default`."""
        if person.hours_per_day is None:
            return default
        return WorkSchedule(person.hours_per_day)


def not_utf8(file: Path, exc: UnicodeDecodeError) -> ConfigError:
    """The error for a configuration or mapping file that is not UTF-8 text (a binary file,
    or one saved in another encoding), naming the line of the first byte that is not."""
    line = exc.object[: exc.start].count(b"\n") + 1
    return ConfigError(
        file,
        None,
        f"not a UTF-8 text file (byte {exc.start + 1} cannot be decoded); save it as UTF-8",
        line=line,
    )


def _rows(file: Path, reader: Any) -> Iterator[list[str]]:
    """The rows of a `csv.reader`; one it cannot read (a cell past the csv module's size
    limit) is a ConfigError naming its line, not a traceback."""
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ConfigError(
                file, None, f"not a readable CSV row: {exc}", line=reader.line_num
            ) from None
        # Ids and hours never span lines: a cell that does swallowed the rows after an
        # unclosed quote, which would silently drop people from the mapping.
        spanning = next((cell for cell in cells if "\n" in cell or "\r" in cell), None)
        if spanning is not None:
            start = reader.line_num - spanning.rstrip("\r\n").count("\n")
            raise ConfigError(
                file, None, "a cell spans several lines: is a quote left unclosed?", line=start
            )
        yield cells


def _parse_hours(file: Path, line: int, text: str) -> Decimal | None:
    text = text.strip()
    if not text:
        return None
    try:
        hours = Decimal(text)
        WorkSchedule(hours)
    except (InvalidOperation, CanonicalError):
        raise ConfigError(
            file,
            HOURS_PER_DAY,
            f"{text!r} is not a working day in hours (a number greater than 0, at most 24, "
            "e.g. 8 or 7.5)",
            line=line,
        ) from None
    return hours


def load_mapping(
    file: Path, systems: Collection[str], required: Collection[str] | None = None
) -> EmployeeMapping:
    """Read the mapping CSV at `file`; it must have a column for every name in `required`
    (default: all of `systems`, the configured system names).

    Columns other than configured systems and `hours_per_day` are refused (a typo in a
    system name would otherwise map nobody). Raises ConfigError naming the file and line for a
    missing file, a missing or unknown column, a duplicate id within a system's column, or a bad
    `hours_per_day`.
    """
    try:
        text = file.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(file, None, f"cannot read the employee mapping: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise not_utf8(file, exc) from None
    # A stream, not split lines: a quoted cell keeps its line breaks, so they can be seen.
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = _rows(file, reader)
    header = next(rows, None)
    if header is None:
        raise ConfigError(
            file, None, "the employee mapping is empty; it needs a header row", line=1
        )
    columns = [name.strip() for name in header]
    seen_columns: set[str] = set()
    for name in columns:
        if name in seen_columns:
            raise ConfigError(file, name, "this column appears twice in the header", line=1)
        seen_columns.add(name)
        if name != HOURS_PER_DAY and name not in systems:
            known = ", ".join(sorted(systems))
            raise ConfigError(
                file,
                name,
                f"no configured system is called {name!r}; columns are system names "
                f"({known}) or {HOURS_PER_DAY}",
                line=1,
            )
    missing = sorted(set(systems if required is None else required) - seen_columns)
    if missing:
        raise ConfigError(
            file,
            ", ".join(missing),
            "the header has no column for "
            + ", ".join(repr(m) for m in missing)
            + "; add one column per configured system holding that system's employee id",
            line=1,
        )

    people: list[Person] = []
    index: dict[tuple[str, str], Person] = {}
    first_seen: dict[tuple[str, str], int] = {}
    # csv.reader's line_num counts physical lines, so quoted newlines still give the right line.
    for cells in rows:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(columns):
            raise ConfigError(
                file,
                None,
                f"expected {len(columns)} cells (like the header), found {len(cells)}",
                line=line,
            )
        ids: dict[str, str] = {}
        hours: Decimal | None = None
        for name, cell in zip(columns, cells, strict=True):
            if name == HOURS_PER_DAY:
                hours = _parse_hours(file, line, cell)
                continue
            value = cell.strip()
            if not value:
                continue
            key = (name, value)
            if key in first_seen:
                raise ConfigError(
                    file,
                    name,
                    f"employee id {value!r} appears twice (first on line {first_seen[key]}); "
                    "each person needs one row",
                    line=line,
                )
            first_seen[key] = line
            ids[name] = value
        if not ids:
            raise ConfigError(file, None, "the row maps no system", line=line)
        person = Person(line=line, ids=MappingProxyType(ids), hours_per_day=hours)
        people.append(person)
        for name, value in ids.items():
            index[(name, value)] = person
    return EmployeeMapping(file=file, people=tuple(people), _index=MappingProxyType(index))
