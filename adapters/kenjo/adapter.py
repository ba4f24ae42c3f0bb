"""Kenjo as a sync target: write-only, it SETS the remaining balance.

Kenjo documents no endpoint that reads a balance back, so the adapter declares
`can_read=False, remembers_writes=True`: the engine keeps what it last wrote (its state store)
and passes that as `current` to `plan_write`, which skips an unchanged value (every Kenjo write
adds a time-off history entry, so rewriting the same value is noise, not harm).

A set is absolute and idempotent: re-applying it after an unknown outcome cannot double
anything, which is why `confirm_write` may honestly answer `Confirmation.UNKNOWN`.

Credentials (`CREDENTIAL_KEYS`): `api_key` (the integration user's key; the adapter logs in and
renews the session itself), or `token` (a session token, with or without `Bearer `).

Options (`config.options`):
    type_units: {time_off_type_id: "days" | "hours"}   the unit each Kenjo time-off type counts
                                                       in; types not listed count in days.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Literal

from pydantic import Field

from balance_gateway.adapters._core.adapter import (
    AdapterConfig,
    Capabilities,
    Confirmation,
    OperationKind,
    PlannedWrite,
    TargetUnit,
    WriteBlocked,
    WriteIntent,
    WriteKind,
    WriteOutcome,
    provenance_note,
)
from balance_gateway.adapters._core.discovery import (
    ConnectionCheck,
    DirectoryPerson,
    LeaveTypeInfo,
    Listing,
)
from balance_gateway.adapters._core.errors import (
    NotFoundError,
    RequestValidationError,
)
from balance_gateway.adapters._core.options import AdapterOptions, parse_options
from balance_gateway.adapters.kenjo.client import MAX_DESCRIPTION_LENGTH, AsyncClient
from balance_gateway.adapters.kenjo.models import TimeOffBalance
from balance_gateway.canonical import Balance, Quantity, Unit

__all__ = ["CREDENTIAL_KEYS", "KenjoAdapter", "Options", "build_adapter"]

CREDENTIAL_KEYS: tuple[tuple[str, ...], ...] = (("api_key",), ("token",))


class Options(AdapterOptions):
    """Kenjo's `[systems] options`: `type_units` maps a time-off type id to the unit it counts
    in ("days" or "hours"); types not listed count in days."""

    type_units: dict[str, Literal["days", "hours"]] = Field(default_factory=dict)


_TYPE_UNITS = {"days": Unit.DAYS, "hours": Unit.HOURS}


class KenjoAdapter:
    """Writes remaining balances to Kenjo through its `AsyncClient`."""

    vendor = "kenjo"
    capabilities = Capabilities(
        can_read=False, can_write=True, write_kind=WriteKind.SET, remembers_writes=True
    )

    def __init__(
        self, system: str, client: AsyncClient, type_units: Mapping[str, Unit] | None = None
    ) -> None:
        self.system = system
        self.client = client
        self._type_units = dict(type_units or {})

    def target_unit(self, leave_type_id: str) -> TargetUnit:
        """The time-off type's unit (option `type_units`, default days); Kenjo takes any
        number, so no rounding step."""
        return TargetUnit(self._type_units.get(leave_type_id, Unit.DAYS))

    async def read_balances(
        self, employee_ids: Sequence[str], leave_type_ids: Sequence[str], as_of: date
    ) -> list[Balance]:
        """Kenjo cannot be read: always raises `NotImplementedError`."""
        raise NotImplementedError(
            "Kenjo documents no endpoint that reads a balance back; it is a write-only target "
            "(the engine remembers what it wrote)"
        )

    def _unit_problem(self, intent: WriteIntent) -> str | None:
        expected = self.target_unit(intent.leave_type.id).unit
        if intent.remaining.unit is not expected:
            return (
                f"Kenjo time-off type {intent.leave_type.id} counts in {expected.value}, but the "
                f"value to write is {intent.remaining}; convert it first (option type_units "
                "says which unit each type uses)"
            )
        return None

    async def plan_write(self, intent: WriteIntent, current: Balance | None) -> PlannedWrite:
        """`skip` when `current` (what was last written, from the engine's state store) already
        holds the same remaining value, else `set`; `blocked` when the unit is wrong."""
        after = intent.remaining
        problem = self._unit_problem(intent)
        before = _remaining(current)
        if problem is not None:
            return PlannedWrite(OperationKind.BLOCKED, before, after, problem)
        if before is not None and before.unit is after.unit and before.value == after.value:
            return PlannedWrite(
                OperationKind.SKIP, before, after, "already written with this value"
            )
        note = "set remaining" if before is not None else "set remaining (no earlier write known)"
        return PlannedWrite(OperationKind.SET, before, after, note)

    async def apply_write(self, intent: WriteIntent) -> WriteOutcome:
        """Set the remaining balance, with a description saying where it came from.

        Raises `WriteBlocked` (nothing written) when the ids are not Kenjo ObjectIds, the unit
        is wrong, or Kenjo answers 404 (type or employee unknown, or the employee not assigned
        to the type); `WriteOutcomeUnknown` when the answer is not Kenjo's (a redirect, an HTML
        page, a body that is not the documented JSON): the engine then forgets the value it
        remembered, since Kenjo may or may not hold the new one."""
        problem = self._unit_problem(intent)
        if problem is not None:
            raise WriteBlocked(problem)
        type_id, employee_id = intent.leave_type.id, intent.employee.id
        try:
            result = await self.client.set_balance(
                type_id,
                employee_id,
                intent.remaining.value,
                description=provenance_note(intent, MAX_DESCRIPTION_LENGTH),
            )
        except RequestValidationError as exc:
            raise WriteBlocked(f"Kenjo cannot take this write: {exc.message}") from exc
        except NotFoundError as exc:
            raise WriteBlocked(
                f"Kenjo answered 404 for time-off type {type_id} and employee {employee_id}: "
                "one of them does not exist, or the employee is not assigned to the type; "
                "assign the type in Kenjo or fix the mapping"
            ) from exc
        return WriteOutcome(OperationKind.SET, intent.remaining, _describe(result))

    async def confirm_write(self, intent: WriteIntent) -> Confirmation:
        """Kenjo cannot be read back: `UNKNOWN`. Re-applying a set is safe."""
        return Confirmation.UNKNOWN

    # -- discovery ----------------------------------------------------------------------------

    async def check_connection(self) -> ConnectionCheck:
        """A login (when the client has an API key), then `GET /api/v1/employees`."""
        employees = await self.client.list_employees()
        return ConnectionCheck(True, f"GET /api/v1/employees: {len(employees.data)} employees")

    async def list_people(self) -> Listing[DirectoryPerson]:
        """`GET /api/v1/employees` [docs]: id, name and email; Kenjo shows no employee number."""
        people = [
            DirectoryPerson(
                id=e.id,
                name=e.displayName or _full_name(e.firstName, e.lastName),
                email=e.email,
            )
            async for e in self.client.iter_employees()
        ]
        return Listing(tuple(people), how="GET /api/v1/employees")

    async def list_leave_types(self) -> Listing[LeaveTypeInfo]:
        """Kenjo documents no list of time-off types: unavailable, with how to find them."""
        configured = ", ".join(f"{t} ({u.value})" for t, u in sorted(self._type_units.items()))
        return Listing.unavailable(
            "Kenjo's documented API has no list of time-off types: copy each type's id "
            "(a 24-hex ObjectId) from Kenjo (Settings > Time off) into [[syncs]].types, and "
            "give the types that count in hours in the option type_units"
            + (f" (configured: {configured})" if configured else "")
        )

    async def aclose(self) -> None:
        await self.client.aclose()


def _full_name(first: str | None, last: str | None) -> str | None:
    name = " ".join(part for part in (first, last) if part)
    return name or None


def _remaining(current: Balance | None) -> Quantity | None:
    if current is None or current.remaining is None:
        return None
    return Quantity(current.remaining, current.unit)


def _describe(result: TimeOffBalance) -> str:
    figures = [
        f"{name} {value}"
        for name, value in (
            ("totalAllowance", result.totalAllowance),
            ("available", result.available),
        )
        if value is not None
    ]
    return "Kenjo now shows " + ", ".join(figures) if figures else "set"


def _type_units(options: Mapping[str, Any]) -> dict[str, Unit]:
    parsed = parse_options(Options, options)
    return {type_id: _TYPE_UNITS[unit] for type_id, unit in parsed.type_units.items()}


def build_adapter(config: AdapterConfig) -> KenjoAdapter:
    """The Kenjo adapter for `config` (credentials `api_key` or `token`; option `type_units`)."""
    api_key = config.credentials.get("api_key")
    token = config.credentials.get("token")
    if api_key is None and token is None:
        config.credential("api_key")  # raises a KeyError naming what is missing
    client = AsyncClient(
        config.base_url,
        api_key=api_key,
        token=token,
        **config.client_options(),
    )
    return KenjoAdapter(config.system, client, _type_units(config.options))
