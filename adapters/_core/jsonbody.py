"""Reading a vendor's JSON answer without trusting it.

`json.loads` alone lets a hostile or broken server raise almost anything: `RecursionError` for
a few thousand `[`, `ValueError` for an integer of more than 4,300 digits, floats that are
`inf` or `nan` (from `1e999`, `NaN`, `Infinity`) that later poison `Decimal` arithmetic. Here
every such body is refused with one exception, `UnreadableJSON`, which the clients turn into
the typed `ResponseParseError` (or `WriteOutcomeUnknown` for a write).

Limits (ASSUMED: generous for any balance API, far below what could hurt):
- nesting: `MAX_DEPTH` levels (no vendor answer nests more than about six);
- numbers: `MAX_NUMBER_CHARS` characters, finite (no `NaN`, `Infinity`, or float overflow).
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_DEPTH = 64
MAX_NUMBER_CHARS = 64

# What a number past the limits must contain somewhere: a long run of digits, or an exponent of
# three digits or more, which in JSON always follows a digit ("1e999", "2.5E+400"). Found at C
# speed: digits become "0", e/E "E", signs "s", then plain substring searches (a regex is ten
# times slower on a 1,000-record page). The digit before the exponent keeps text such as
# "employee-1001" (an "e", a sign, digits) from flagging every answer that holds such an id.
# Only a flagged body is parsed through the checking hooks (a Python call per number: about a
# sixth more than the plain parse of a page), so ordinary answers pay nothing for them, and any
# body is parsed once. Text can be flagged too (a hex id such as "1e5a0f..."): such a body pays
# the hooks, not a second parse; cutting the strings out first (a regex) would cost several
# times the hooks.
_FOLD = bytes.maketrans(b"0123456789eE+-", b"0000000000EEss")
_SUSPECTS = (b"0" * (MAX_NUMBER_CHARS + 1), b"0E000", b"0Es000")


def _suspect_numbers(raw: bytes) -> bool:
    folded = raw.translate(_FOLD)
    return any(suspect in folded for suspect in _SUSPECTS)


class UnreadableJSON(ValueError):
    """A body that is not a readable JSON document; `reason` says why (never the body)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def _number(text: str) -> str:
    if len(text) > MAX_NUMBER_CHARS:
        raise UnreadableJSON(f"a number of {len(text)} characters (at most {MAX_NUMBER_CHARS})")
    return text


def _int(text: str) -> int:
    return int(_number(text))


def _float(text: str) -> float:
    value = float(_number(text))
    if not math.isfinite(value):
        raise UnreadableJSON(f"the number {text} is out of range")
    return value


def _constant(text: str) -> Any:
    raise UnreadableJSON(f"{text} is not a JSON number")


def _too_deep(raw: bytes, value: Any) -> bool:
    """Whether `value` (parsed from `raw`) nests deeper than MAX_DEPTH. Without recursion, and
    only when `raw` has more brackets than that at all (counting them is C speed); the walk
    then visits containers only, so a page of flat records costs one type check per field."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:
        return False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        for child in item.values() if isinstance(item, dict) else item:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
    return False


def loads_json(raw: bytes | str) -> Any:
    """`raw` as JSON; `UnreadableJSON` if it is empty, not UTF-8, not JSON (truncated, HTML),
    nested deeper than MAX_DEPTH, or holds a number that is too long, NaN or infinite."""
    data = raw.encode("utf-8", errors="surrogatepass") if isinstance(raw, str) else raw
    if not data.strip():
        raise UnreadableJSON("the body is empty")
    try:
        if _suspect_numbers(data):
            value = json.loads(data, parse_int=_int, parse_float=_float, parse_constant=_constant)
        else:
            value = json.loads(data, parse_constant=_constant)
    except UnreadableJSON:
        raise
    except RecursionError:
        raise UnreadableJSON(f"nested deeper than {MAX_DEPTH} levels") from None
    except UnicodeDecodeError:
        raise UnreadableJSON("the body is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise UnreadableJSON(f"not JSON ({exc.msg} at character {exc.pos})") from None
    except ValueError as exc:  # int() past Python's own digit limit, and the like
        raise UnreadableJSON(f"not JSON ({type(exc).__name__})") from None
    if isinstance(value, dict | list) and _too_deep(data, value):
        raise UnreadableJSON(f"nested deeper than {MAX_DEPTH} levels")
    return value
