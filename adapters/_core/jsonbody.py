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
import re
from typing import Any

MAX_DEPTH = 64
MAX_NUMBER_CHARS = 64

# Strings first (a bracket inside one is text), then everything but brackets.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_INNERMOST = re.compile(rb"\[\]|\{\}")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


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


def _too_deep(raw: bytes) -> bool:
    """Whether `raw` (valid JSON) nests deeper than MAX_DEPTH; at C speed, without recursion:
    strip the strings, keep the brackets, and peel innermost pairs off one level at a time."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:
        return False
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    for _ in range(MAX_DEPTH):
        if not brackets:
            return False
        brackets = _INNERMOST.sub(b"", brackets)
    return bool(brackets)


def loads_json(raw: bytes | str) -> Any:
    """`raw` as JSON; `UnreadableJSON` if it is empty, not UTF-8, not JSON (truncated, HTML),
    nested deeper than MAX_DEPTH, or holds a number that is too long, NaN or infinite."""
    data = raw.encode("utf-8", errors="surrogatepass") if isinstance(raw, str) else raw
    if not data.strip():
        raise UnreadableJSON("the body is empty")
    try:
        value = json.loads(data, parse_int=_int, parse_float=_float, parse_constant=_constant)
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
    if _too_deep(data):
        raise UnreadableJSON(f"nested deeper than {MAX_DEPTH} levels")
    return value
