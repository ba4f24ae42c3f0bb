"""Who may call the service.

The API takes `Authorization: Bearer <token>`: a token from `[service] read_tokens` may read,
one from `operator_tokens` may also apply plans (`settings.Role`). No token: 401 with
`WWW-Authenticate: Bearer`; a read token where an operator's is needed: 403. `/healthz` needs
no token (it tells nothing but that the process answers).

The dashboard is for a browser, which cannot send a bearer header on a link: `/login` takes the
token once and sets a session cookie (a random id, HttpOnly, SameSite=Strict; the token itself
is never stored in the browser). Sessions live in memory for `SESSION_TTL`; a restart ends
them. Every form that changes something carries the session's CSRF token, checked on POST.
A bearer header works on the dashboard too (curl), and needs no CSRF token.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from balance_gateway.gateway.service.settings import Role, Tokens

SESSION_COOKIE = "bg_session"
SESSION_TTL = timedelta(hours=12)
MAX_SESSIONS = 1000

bearer_scheme = HTTPBearer(
    auto_error=False,
    description=(
        "A token from the environment variables named in the config's [service] read_tokens "
        "(read) or operator_tokens (read, plan and apply)."
    ),
)


@dataclass(frozen=True)
class Session:
    session_id: str
    role: Role
    csrf: str
    expires_at: datetime


class Sessions:
    """Dashboard sessions in memory, by id (thread-safe: pages run on worker threads)."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def create(self, role: Role) -> Session:
        now = self._now()
        session = Session(
            session_id=secrets.token_urlsafe(32),
            role=role,
            csrf=secrets.token_urlsafe(24),
            expires_at=now + SESSION_TTL,
        )
        with self._lock:
            for key in [k for k, s in self._sessions.items() if s.expires_at <= now]:
                del self._sessions[key]
            if len(self._sessions) >= MAX_SESSIONS:  # drop the oldest: a flood cannot grow
                oldest = min(self._sessions.values(), key=lambda s: s.expires_at)
                del self._sessions[oldest.session_id]
            self._sessions[session.session_id] = session
        return session

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        with self._lock:
            session = self._sessions.get(session_id)
        if session is None or session.expires_at <= self._now():
            return None
        return session

    def end(self, session_id: str | None) -> None:
        if session_id:
            with self._lock:
                self._sessions.pop(session_id, None)


@dataclass(frozen=True)
class Caller:
    """Who is calling: their role, and their dashboard session (None with a bearer header)."""

    role: Role
    session: Session | None = None

    def may(self, needed: Role) -> bool:
        return self.role.allows(needed)

    def csrf_ok(self, presented: str | None) -> bool:
        """A bearer caller needs no CSRF token (a browser never sends the header by itself)."""
        if self.session is None:
            return True
        return presented is not None and hmac.compare_digest(presented, self.session.csrf)


def unauthorized(message: str) -> HTTPException:
    return HTTPException(401, detail=message, headers={"WWW-Authenticate": "Bearer"})


def forbidden(needed: Role) -> HTTPException:
    return HTTPException(
        403, detail=f"this needs an {needed.value} token (from [service] {needed.value}_tokens)"
    )


def bearer_role(tokens: Tokens, credentials: HTTPAuthorizationCredentials | None) -> Role:
    """The role of the bearer token in `credentials`; 401 when missing or unknown."""
    if credentials is None:
        raise unauthorized("missing bearer token: send Authorization: Bearer <token>")
    role = tokens.role_of(credentials.credentials)
    if role is None:
        raise unauthorized("the bearer token is not one of the configured tokens")
    return role


def dashboard_caller(request: Request, tokens: Tokens, sessions: Sessions) -> Caller | None:
    """The caller of a dashboard page: by bearer header, else by session cookie; None when
    neither (the page redirects to /login). An unknown bearer token is a 401."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value:
            raise unauthorized("the Authorization header must be: Bearer <token>")
        role = tokens.role_of(value.strip())
        if role is None:
            raise unauthorized("the bearer token is not one of the configured tokens")
        return Caller(role)
    session = sessions.get(request.cookies.get(SESSION_COOKIE))
    return None if session is None else Caller(session.role, session)
