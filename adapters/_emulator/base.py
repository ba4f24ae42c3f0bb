"""The emulator base every vendor emulator builds on.

A vendor emulator subclasses `Emulator[State]`: it names its state model (pydantic), builds the
sample dataset, renders errors in its vendor's style, and adds the vendor's routes. The base
gives it tenants, the admin API, fault injection and state dump/load.

Tenants: every credential (a static token, or a session issued by a login route) belongs to
one tenant, and handlers only ever see that tenant's state. The default tenant is `default`.

Admin API (not part of any vendor API, so it lives under `/_emulator/` and is never faulted):
    GET  /_emulator/state            {"tenants": {name: state}}
    PUT  /_emulator/state            load that shape (or one bare state, for ?tenant=, default
                                     `default`)
    POST /_emulator/reset            every tenant back to the sample dataset, faults cleared
    GET  /_emulator/balances         each employee's balances in canonical terms (`balances`),
                                     ?tenant= (default `default`), ?as_of= (default today, UTC)
    GET  /_emulator/faults           {"config": FaultConfig, "counts": {...}}
    PUT  /_emulator/faults           a FaultConfig
Admin errors (a body that is not JSON, a state or fault config that does not validate) answer
400 `{"error": "..."}`; a state is loaded all or nothing.

Request bodies: `adapters._emulator.bodies.read_json` reads a vendor route's JSON body; a body
it cannot read (not JSON, too deeply nested) is answered here with the vendor's 400
(`error_body`), never a 500.

Handlers must be `async def` without awaits while they change state: the event loop then makes
each change atomic, which threaded `def` handlers would not be.
"""

from __future__ import annotations

import json
import secrets
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from balance_gateway.adapters._emulator.bodies import (
    BodyLimitMiddleware,
    UnreadableBody,
    parse_json,
)
from balance_gateway.adapters._emulator.faults import FaultConfig, FaultInjector, FaultMiddleware

S = TypeVar("S", bound=BaseModel)

DEFAULT_TENANT = "default"
# ASSUMED: no vendor request body is anywhere near this; a larger one is answered 413.
MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class EmulatedBalance:
    """One employee's balance of one leave type as the emulator holds it, in canonical terms:
    what tests and benchmarks compare a sync's end state with (the project's own admin read,
    never part of a vendor API). Figures the vendor does not keep are None."""

    employee: str
    leave_type: str
    unit: str  # "days" | "hours" | "minutes"
    remaining: Decimal
    entitled: Decimal | None = None
    used: Decimal | None = None
    pending: Decimal | None = None
    as_of: date | None = None  # the date the figures hold for, where the vendor dates them

    def to_json(self) -> dict[str, Any]:
        def text(value: Decimal | None) -> str | None:
            return None if value is None else str(value)

        return {
            "employee": self.employee,
            "leave_type": self.leave_type,
            "unit": self.unit,
            "remaining": str(self.remaining),
            "entitled": text(self.entitled),
            "used": text(self.used),
            "pending": text(self.pending),
            "as_of": None if self.as_of is None else self.as_of.isoformat(),
        }


class InvalidState(ValueError):
    """A state (file or admin API payload) that does not load; nothing was loaded."""


@dataclass
class EmulatorOptions:
    """How to start an emulator; the CLI's `emulate` flags map onto these."""

    token: str | None = None  # the default tenant's credential; None = the vendor's default
    data: Path | None = None  # a state file (the admin API's GET /_emulator/state shape)
    latency_ms: float = 0
    fail_rate: float = 0
    rate_limit: float | None = None
    seed: int = 0
    # More tenants: credential -> tenant name; each starts from the sample dataset.
    tenants: Mapping[str, str] = field(default_factory=dict)


class Emulator(ABC, Generic[S]):
    """An in-memory fake of one vendor API, served as a FastAPI app (`self.app`)."""

    vendor: ClassVar[str]
    title: ClassVar[str]
    default_token: ClassVar[str] = "emulator-token"

    def __init__(self, options: EmulatorOptions | None = None) -> None:
        self.options = options or EmulatorOptions()
        self.token = self.options.token or self.default_token
        # credential -> tenant; login routes add session tokens here too.
        self.credentials: dict[str, str] = {self.token: DEFAULT_TENANT, **self.options.tenants}
        # Sessions a login route issued -> tenant. Kept apart from `credentials`: a session
        # is never a password or an API key (an issued token used as a password logged in as
        # anyone of its tenant).
        self.session_tenants: dict[str, str] = {}
        self.tenants: dict[str, S] = {}
        self.reset_state()
        if self.options.data is not None:
            self.load_state(json.loads(self.options.data.read_text()))
        self.faults = FaultInjector(
            FaultConfig(
                seed=self.options.seed,
                latency_ms=self.options.latency_ms,
                error_rate=self.options.fail_rate,
                rate_limit=self.options.rate_limit,
            )
        )
        self.app = self._build_app()

    # -- what a vendor emulator provides ------------------------------------------------------

    @classmethod
    @abstractmethod
    def state_model(cls) -> type[S]:
        """The pydantic model of one tenant's state."""

    @abstractmethod
    def sample_state(self) -> S:
        """A fresh sample dataset: every id the seed's examples use."""

    @abstractmethod
    def error_body(self, status: int, message: str) -> Any:
        """An error body in the vendor's style (also used for injected faults)."""

    @abstractmethod
    def add_routes(self, app: FastAPI) -> None:
        """Register the vendor's routes and exception handlers on `app`."""

    @abstractmethod
    def balances(self, state: S, as_of: date) -> list[EmulatedBalance]:
        """Every balance in `state` as of `as_of`, in canonical terms (`GET
        /_emulator/balances`), by the vendor's own arithmetic."""

    def unreadable_body_message(self, reason: str) -> str:
        """The message of the 400 a vendor route answers to a body that is not readable JSON
        (`reason` says why); a vendor overrides it to word it as the vendor does."""
        return f"malformed JSON body: {reason}"

    def credentials_text(self) -> list[str]:
        """Lines printed at start: how a client authenticates against this emulator."""
        return [f"token: {self.token}"]

    def client_credentials(self) -> dict[str, str]:
        """The keyword arguments that authenticate the vendor's SDK `Client` (and
        `AsyncClient`) as the default tenant, e.g. `{"token": ...}`."""
        return {"token": self.token}

    # -- tenants ------------------------------------------------------------------------------

    def tenant_for(self, credential: str | None) -> str | None:
        """The tenant of a configured credential (a token, password or API key); never of a
        session a login issued (`session_tenant`)."""
        return None if credential is None else self.credentials.get(credential)

    def session_tenant(self, session: str | None) -> str | None:
        """The tenant of a session a login route issued (`issue_session`), if any."""
        return None if session is None else self.session_tenants.get(session)

    def state_for(self, tenant: str) -> S:
        if tenant not in self.tenants:
            self.tenants[tenant] = self.sample_state()
        return self.tenants[tenant]

    def issue_session(self, tenant: str, prefix: str = "") -> str:
        """A new random credential for `tenant` (what a login route hands out)."""
        token = prefix + secrets.token_urlsafe(24)
        self.session_tenants[token] = tenant
        return token

    # -- state --------------------------------------------------------------------------------

    def reset_state(self) -> None:
        names = {DEFAULT_TENANT, *self.credentials.values()}
        self.tenants = {name: self.sample_state() for name in names}

    def dump_state(self) -> dict[str, Any]:
        return {"tenants": {name: s.model_dump(mode="json") for name, s in self.tenants.items()}}

    def load_state(self, payload: Any, tenant: str | None = None) -> None:
        """Load `{"tenants": {...}}`, or one bare state into `tenant` (default tenant).

        All or nothing: `InvalidState` (a `ValueError`) if the payload or any state in it does
        not validate, and then nothing is loaded."""
        model = self.state_model()

        def validate(name: str, state: Any) -> S:
            try:
                return model.model_validate(state)
            # ArithmeticError: a Decimal validator that gives up (decimal.InvalidOperation).
            except (ValidationError, ValueError, ArithmeticError) as exc:
                raise InvalidState(f"tenant {name!r}: {exc}") from None

        if isinstance(payload, dict) and "tenants" in payload and tenant is None:
            states = payload["tenants"]
            if not isinstance(states, dict):
                raise InvalidState(
                    '"tenants" must be an object of tenant name -> state, '
                    f"got {type(states).__name__}"
                )
            loaded = {name: validate(name, s) for name, s in states.items()}
            self.tenants.update(loaded)
        else:
            name = tenant or DEFAULT_TENANT
            self.tenants[name] = validate(name, payload)

    # -- the app ------------------------------------------------------------------------------

    def _build_app(self) -> FastAPI:
        app = FastAPI(title=f"{self.title} (balance-gateway emulator)", version="emulator")
        self._add_admin_routes(app)

        async def unreadable_body(request: Request, exc: Exception) -> JSONResponse:
            assert isinstance(exc, UnreadableBody)
            message = self.unreadable_body_message(exc.reason)
            return JSONResponse(self.error_body(400, message), status_code=400)

        app.add_exception_handler(UnreadableBody, unreadable_body)
        self.add_routes(app)
        app.add_middleware(FaultMiddleware, injector=self.faults, error_body=self.error_body)
        # Outermost: a body past the limit is refused before anything reads it.
        app.add_middleware(BodyLimitMiddleware, limit=MAX_BODY_BYTES, error_body=self.error_body)
        return app

    def _add_admin_routes(self, app: FastAPI) -> None:
        @app.get("/_emulator/state", include_in_schema=False)
        async def get_state() -> dict[str, Any]:
            return self.dump_state()

        @app.put("/_emulator/state", include_in_schema=False)
        async def put_state(request: Request, tenant: str | None = None) -> JSONResponse:
            try:
                self.load_state(parse_json(await request.body()), tenant)
            except UnreadableBody as exc:
                return JSONResponse({"error": f"invalid state: {exc.reason}"}, status_code=400)
            except InvalidState as exc:
                return JSONResponse({"error": f"invalid state: {exc}"}, status_code=400)
            return JSONResponse(self.dump_state())

        @app.get("/_emulator/balances", include_in_schema=False)
        async def get_balances(
            tenant: str = DEFAULT_TENANT, as_of: str | None = None
        ) -> JSONResponse:
            state = self.tenants.get(tenant)
            if state is None:
                return JSONResponse({"error": f"no tenant {tenant!r}"}, status_code=404)
            try:
                day = datetime.now(UTC).date() if as_of is None else date.fromisoformat(as_of)
            except ValueError:
                return JSONResponse(
                    {"error": f"as_of: {as_of!r} is not a date (YYYY-MM-DD)"}, status_code=400
                )
            found = sorted(self.balances(state, day), key=lambda b: (b.employee, b.leave_type))
            return JSONResponse(
                {
                    "tenant": tenant,
                    "as_of": day.isoformat(),
                    "balances": [b.to_json() for b in found],
                }
            )

        @app.post("/_emulator/reset", include_in_schema=False)
        async def reset() -> dict[str, str]:
            self.reset_state()
            self.faults.configure(FaultConfig(seed=self.options.seed))
            return {"status": "reset"}

        @app.get("/_emulator/faults", include_in_schema=False)
        async def get_faults() -> dict[str, Any]:
            return {"config": self.faults.config.model_dump(), "counts": dict(self.faults.counts)}

        @app.put("/_emulator/faults", include_in_schema=False)
        async def put_faults(request: Request) -> JSONResponse:
            try:
                config = FaultConfig.model_validate(parse_json(await request.body()))
            except UnreadableBody as exc:
                return JSONResponse(
                    {"error": f"invalid fault config: {exc.reason}"}, status_code=400
                )
            except (ValueError, ValidationError) as exc:
                return JSONResponse({"error": f"invalid fault config: {exc}"}, status_code=400)
            self.faults.configure(config)
            return JSONResponse({"config": config.model_dump()})
