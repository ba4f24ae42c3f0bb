"""Where the state store is: a SQLite file (`[state] path`) or a PostgreSQL database
(`[state] url`). No database library is imported here: the configuration loads without one.

A URL may carry a password (`postgresql://user:pw@host/db`): it is only ever shown masked
(`mask_url`), and `StateStore`'s repr masks it too, so a traceback or a log line cannot leak it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# The schemes `[state] url` accepts: PostgreSQL, through psycopg (the `scale` extra).
POSTGRES_SCHEMES = ("postgresql", "postgresql+psycopg", "postgres")

_USERINFO_PASSWORD = re.compile(r"(?P<head>://[^/?#@]*?:)[^/?#@]*@")
_QUERY_PASSWORD = re.compile(r"(?P<head>[?&]password=)[^&#]*", re.IGNORECASE)


def driver_error(exc: BaseException, empty: str = "") -> str:
    """The first line of a database driver's error (a DBAPIError's `orig`), any password in it
    masked; `empty` when it says nothing."""
    text = str(getattr(exc, "orig", exc)).strip()
    return mask_url(text.splitlines()[0]) if text else empty


def mask_url(url: str) -> str:
    """`url` with any password (in the user info or a `password=` parameter) shown as ***."""
    masked = _USERINFO_PASSWORD.sub(r"\g<head>***@", url)
    return _QUERY_PASSWORD.sub(r"\g<head>***", masked)


def url_problem(url: str) -> str | None:
    """Why `url` is not a state store URL this project can use, or None when it is."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return "must be a URL such as postgresql://user@host:5432/database"
    if scheme.lower() not in POSTGRES_SCHEMES:
        return (
            f"must be a postgresql:// URL (got {scheme}://...); a SQLite state store is "
            "configured with `path` instead"
        )
    database = rest.partition("?")[0].partition("/")[2]
    if not database:
        return "names no database: add it after the host, as in postgresql://user@host/database"
    return None


@dataclass(frozen=True)
class StateStore:
    """The configured state store: exactly one of `path` (SQLite) and `url` (PostgreSQL)."""

    path: Path | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        if (self.path is None) == (self.url is None):
            raise ValueError("a state store is either a path or a URL")

    @property
    def is_sqlite(self) -> bool:
        return self.path is not None

    @property
    def shown(self) -> str:
        """How messages name the store: its path, or its URL with the password masked."""
        return str(self.path) if self.path is not None else mask_url(self.url or "")

    def __repr__(self) -> str:
        return f"StateStore({self.shown!r})"

    def __str__(self) -> str:
        return self.shown
