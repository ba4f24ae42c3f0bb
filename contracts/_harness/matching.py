"""Comparing a recorded body with an actual one, where some values are allowed to vary.

Paths are JSON-path-like: `$` is the body, `.key` a member, `[0]` an index, `[*]` every index.
A matcher at a path replaces exact comparison there with a check of the value's kind.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

_PATTERNS = {
    "uuid": re.compile(
        r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    ),
    "objectid": re.compile(r"^[0-9a-fA-F]{24}$"),
    "hex32": re.compile(r"^[0-9a-fA-F]{32}$"),
    "jwt": re.compile(r"^(Bearer )?[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$"),
}


def _is_iso_date(value: Any) -> bool:
    try:
        date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


def _is_iso_datetime(value: Any) -> bool:
    try:
        datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return False
    return isinstance(value, str)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


MATCHERS: dict[str, Callable[[Any], bool]] = {
    "any": lambda v: True,
    "present": lambda v: True,
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": _number,
    "string": lambda v: isinstance(v, str),
    "bool": lambda v: isinstance(v, bool),
    "iso-date": lambda v: isinstance(v, str) and _is_iso_date(v),
    "iso-datetime": _is_iso_datetime,
    **{
        name: (lambda p: lambda v: isinstance(v, str) and bool(p.match(v)))(pattern)
        for name, pattern in _PATTERNS.items()
    },
}


def _matcher_for(path: str, matchers: Mapping[str, str]) -> str | None:
    for pattern, name in matchers.items():
        regex = "^" + re.escape(pattern).replace(r"\[\*\]", r"\[\d+\]") + "$"
        if re.match(regex, path):
            return name
    return None


def _same_scalar(expected: Any, actual: Any) -> bool:
    if _number(expected) and _number(actual):
        return bool(expected == actual)  # 5 and 5.0 are the same JSON number
    return type(expected) is type(actual) and bool(expected == actual)


def compare(expected: Any, actual: Any, matchers: Mapping[str, str], path: str = "$") -> list[str]:
    """Every difference between `expected` and `actual`, as readable lines."""
    name = _matcher_for(path, matchers)
    if name is not None:
        return [] if MATCHERS[name](actual) else [f"{path}: expected {name}, got {actual!r}"]
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {type(actual).__name__}"]
        problems = []
        for key in expected:
            if key not in actual:
                problems.append(f"{path}.{key}: missing")
            else:
                problems += compare(expected[key], actual[key], matchers, f"{path}.{key}")
        problems += [
            f"{path}.{key}: unexpected (value {actual[key]!r})"
            for key in actual
            if key not in expected
        ]
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{path}: expected an array, got {type(actual).__name__}"]
        if len(expected) != len(actual):
            return [f"{path}: expected {len(expected)} items, got {len(actual)}"]
        problems = []
        for index, (e, a) in enumerate(zip(expected, actual, strict=True)):
            problems += compare(e, a, matchers, f"{path}[{index}]")
        return problems
    if not _same_scalar(expected, actual):
        return [f"{path}: expected {expected!r}, got {actual!r}"]
    return []


def shape_drift(expected: Any, actual: Any, path: str = "$") -> tuple[list[str], list[str]]:
    """(additive, breaking) differences in SHAPE only: values may differ on a live system.

    Additive: a member the live API has and the fixture does not. Breaking: a documented
    member missing, or a value of another JSON type.
    """
    additive: list[str] = []
    breaking: list[str] = []
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in expected:
            if key not in actual:
                breaking.append(f"{path}.{key}: missing")
            else:
                a, b = shape_drift(expected[key], actual[key], f"{path}.{key}")
                additive += a
                breaking += b
        additive += [f"{path}.{key}: new member" for key in actual if key not in expected]
    elif isinstance(expected, list) and isinstance(actual, list):
        if expected and actual:
            a, b = shape_drift(expected[0], actual[0], f"{path}[0]")
            additive += a
            breaking += b
    elif expected is not None and actual is not None and _kind(expected) != _kind(actual):
        breaking.append(f"{path}: was {_kind(expected)}, now {_kind(actual)}")
    return additive, breaking


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if _number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"
