"""Secrets that cannot leak by accident.

A credential handed to a client is wrapped in `Secret`: its `str()`/`repr()` are masked, and
its value is remembered so that `scrub()` can mask it wherever else it turns up (a log event,
an exception message, an echoed error body). Only `reveal()` gives the value, and only auth
flows call it.
"""

from __future__ import annotations

import threading

MASK = "***"
# Shorter values would mask innocent text (ids, short words); no real credential is this short.
_MIN_SCRUB_LENGTH = 4

_known: set[str] = set()
_lock = threading.Lock()


class Secret:
    """A credential value that masks itself in `str`, `repr` and f-strings."""

    __slots__ = ("_value",)

    def __init__(self, value: str | Secret) -> None:
        raw = value.reveal() if isinstance(value, Secret) else value
        if not isinstance(raw, str):
            raise TypeError("a secret must be a string")
        self._value = raw
        register_secret(raw)

    def reveal(self) -> str:
        """The real value: for building a request header or body, never for display."""
        return self._value

    def __str__(self) -> str:
        return MASK

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


def register_secret(value: str) -> None:
    """Remember `value` so that `scrub` masks it from now on."""
    if len(value) >= _MIN_SCRUB_LENGTH:
        with _lock:
            _known.add(value)


def scrub(text: str) -> str:
    """`text` with every registered secret replaced by the mask."""
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, MASK)
    return text


def as_secret(value: str | Secret) -> Secret:
    return value if isinstance(value, Secret) else Secret(value)
