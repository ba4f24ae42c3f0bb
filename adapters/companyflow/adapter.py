"""CompanyFlow as a balance source: read-only, days with one decimal, per calendar year.

Reading: for each employee, the balances of `as_of.year` become canonical `Balance`s with
every figure set: entitled = `total_days` (allowed + carried forward), carried_over =
`carried_forward_days`, used = `used_days`, pending = `pending_days`, remaining = total - used,
available = `available_days` (a vendor figure that contradicts total - used - pending is
rejected by `Balance` with `BalanceInconsistentError`). Period = the calendar year; provenance
record id = the balance's `id`.

As of a date: CompanyFlow answers per `year` [seed], not per date, so a balance is the year of
`as_of` as CompanyFlow holds it when read: `as_of` is the date asked for, with basis `period`
(the plan says so on the row).

Two ways to read, chosen by the options:

- default: one manager/admin login (credentials `email` + `password`, or a static `token`)
  reading `GET /employees/{id}/leave-balances?year=` per employee;
- `options["company_id"]` (optional): the company whose employees and leave types `discover`
  and `map` list; by default the company of the login (a static token must name it).
- `options["employee_logins"]`: a mapping employee id -> {"email": <credential key>,
  "password": <credential key>} naming, for each employee, the credential keys of that
  employee's own login; balances are then read with `GET /leave-balance/{type}?year=` under
  each employee's token (for integrators who have nothing but employee logins). In this mode
  an employee with no entry raises `KeyError`, and when `leave_type_ids` is empty the leave
  types of the employee's company are listed first.

An empty `leave_type_ids` means every leave type. A balance that does not exist (no record for
that year, an unknown employee) is simply absent.

Writing: CompanyFlow has no endpoint that writes a balance; `plan_write`, `apply_write` and
`confirm_write` raise `NotImplementedError`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import partial
from typing import Any

from pydantic import field_validator

from balance_gateway.adapters._core.adapter import (
    AdapterConfig,
    Capabilities,
    Confirmation,
    PlannedWrite,
    TargetUnit,
    WriteIntent,
    WriteKind,
    WriteOutcome,
)
from balance_gateway.adapters._core.concurrency import gather_limited
from balance_gateway.adapters._core.discovery import (
    ConnectionCheck,
    DirectoryPerson,
    LeaveTypeInfo,
    Listing,
)
from balance_gateway.adapters._core.errors import NotFoundError
from balance_gateway.adapters._core.options import AdapterOptions, CredentialSets, parse_options
from balance_gateway.adapters.companyflow.client import AsyncClient
from balance_gateway.adapters.companyflow.models import LeaveBalance
from balance_gateway.canonical import (
    AsOfBasis,
    Balance,
    EmployeeRef,
    LeaveTypeRef,
    Period,
    Provenance,
    Unit,
)

CREDENTIAL_KEYS: tuple[tuple[str, ...], ...] = (("email", "password"), ("token",))


class EmployeeLogin(AdapterOptions):
    """The credential keys (not the values) of one employee's own login."""

    email: str
    password: str


class Options(AdapterOptions):
    """CompanyFlow's `[systems] options` (see the module docstring)."""

    company_id: str | None = None
    employee_logins: dict[str, EmployeeLogin] | None = None

    @field_validator("company_id", mode="before")
    @classmethod
    def _id_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    def credential_sets(self, default: CredentialSets) -> CredentialSets:
        if self.employee_logins is None:
            return default
        keys = {k for login in self.employee_logins.values() for k in (login.email, login.password)}
        return (tuple(sorted(keys)),)


# [docs] DECIMAL(6,1): CompanyFlow keeps days with one decimal place.
DAY_STEP = Decimal("0.1")

_READ_ONLY = (
    "companyflow is read-only: its API has no endpoint that writes a leave balance; "
    "configure it as a source, not a target"
)


class CompanyFlowAdapter:
    """Reads CompanyFlow leave balances into canonical `Balance`s (see the module docstring)."""

    vendor = "companyflow"
    capabilities = Capabilities(can_read=True, can_write=False, write_kind=WriteKind.NONE)

    def __init__(self, config: AdapterConfig) -> None:
        self.config = config
        self.system = config.system
        self._employee_logins = _employee_logins(config.options)
        company = config.options.get("company_id")
        self._company_id: str | None = None if company is None else str(company)
        self._client: AsyncClient | None = None
        self._employee_clients: dict[str, AsyncClient] = {}
        if self._employee_logins is None:
            self._client = self._make_client(self._shared_credentials())

    # -- clients ------------------------------------------------------------------------------

    def _shared_credentials(self) -> dict[str, Any]:
        creds = self.config.credentials
        if "email" in creds or "password" in creds:
            found = {
                "email": self.config.credential("email"),
                "password": self.config.credential("password"),
            }
            if "token" in creds:
                found["token"] = creds["token"]
            return found
        return {"token": self.config.credential("token")}

    def _make_client(self, credentials: Mapping[str, Any]) -> AsyncClient:
        return AsyncClient(self.config.base_url, **self.config.client_options(), **credentials)

    def _client_for(self, employee_id: str) -> AsyncClient:
        assert self._employee_logins is not None
        if employee_id not in self._employee_logins:
            raise KeyError(
                f"system {self.system!r}: option employee_logins has no login for employee "
                f"{employee_id!r}"
            )
        if employee_id not in self._employee_clients:
            keys = self._employee_logins[employee_id]
            self._employee_clients[employee_id] = self._make_client(
                {
                    "email": self.config.credential(keys["email"]),
                    "password": self.config.credential(keys["password"]),
                }
            )
        return self._employee_clients[employee_id]

    # -- reading ------------------------------------------------------------------------------

    def target_unit(self, leave_type_id: str) -> TargetUnit:
        """Days with one decimal place, for every leave type."""
        return TargetUnit(Unit.DAYS, step=DAY_STEP)

    async def read_balances(
        self, employee_ids: Sequence[str], leave_type_ids: Sequence[str], as_of: date
    ) -> list[Balance]:
        """The balances of `as_of.year` of the given employees and leave types (all types when
        `leave_type_ids` is empty), in days. A missing balance is no balance; an unknown
        employee is the SDK's `NotFoundError`, as is every other error it raises
        (`AuthenticationError` for a refused login or role)."""
        wanted = set(leave_type_ids)
        # One read per employee, independent of each other: concurrently (bounded), in order.
        calls = [
            partial(self._read_with_shared_login, employee_id, as_of.year)
            if self._employee_logins is None
            else partial(self._read_with_own_login, employee_id, leave_type_ids, as_of.year)
            for employee_id in employee_ids
        ]
        found: list[LeaveBalance] = [
            record for records in await gather_limited(calls) for record in records
        ]
        fetched_at = datetime.now(UTC)
        return [
            self._to_balance(record, as_of, fetched_at)
            for record in found
            if not wanted or record.leave_type_id in wanted
        ]

    async def _read_with_shared_login(self, employee_id: str, year: int) -> list[LeaveBalance]:
        # A 404 here is "Employee not found" (an employee without balances gets an empty
        # list): raised, so that a stale id in the mapping blocks that employee's rows
        # (`gateway.isolation`) instead of reading as "no balance".
        assert self._client is not None
        return await self._client.employee_balances(employee_id, year)

    async def _read_with_own_login(
        self, employee_id: str, leave_type_ids: Sequence[str], year: int
    ) -> list[LeaveBalance]:
        client = self._client_for(employee_id)
        type_ids = list(leave_type_ids)
        if not type_ids:
            user = (await client.login()).user
            type_ids = [t.id async for t in client.iter_leave_types(user.company_id)]
        found = []
        for type_id in type_ids:
            try:
                found.append(await client.get_balance(type_id, year))
            except NotFoundError:
                continue
        return found

    def _to_balance(self, record: LeaveBalance, as_of: date, fetched_at: datetime) -> Balance:
        return Balance.build(
            employee=EmployeeRef(self.system, record.employee_id),
            leave_type=LeaveTypeRef(self.system, record.leave_type_id),
            unit=Unit.DAYS,
            entitled=record.total_days,
            carried_over=record.carried_forward_days,
            used=record.used_days,
            pending=record.pending_days,
            remaining=record.total_days - record.used_days,
            available=record.available_days,
            as_of=as_of,
            as_of_basis=AsOfBasis.PERIOD,
            period=Period.calendar_year(record.year),
            provenance=Provenance(self.system, record.id, fetched_at),
        )

    # -- writing: none ------------------------------------------------------------------------

    async def plan_write(self, intent: WriteIntent, current: Balance | None) -> PlannedWrite:
        """Always raises `NotImplementedError`: CompanyFlow is read-only."""
        raise NotImplementedError(_READ_ONLY)

    async def apply_write(self, intent: WriteIntent) -> WriteOutcome:
        """Always raises `NotImplementedError`: CompanyFlow is read-only."""
        raise NotImplementedError(_READ_ONLY)

    async def confirm_write(self, intent: WriteIntent) -> Confirmation:
        """Always raises `NotImplementedError`: CompanyFlow is read-only."""
        raise NotImplementedError(_READ_ONLY)

    # -- discovery ----------------------------------------------------------------------------

    async def _company(self) -> tuple[AsyncClient | None, str | None, str]:
        """The shared client and the company to list, or why there is none."""
        if self._client is None:
            return (
                None,
                None,
                (
                    "with option employee_logins there is no HR login: listing needs one "
                    "(credentials email + password of an HR manager or admin)"
                ),
            )
        if self._company_id is None:
            if "token" in self._shared_credentials() and "email" not in self.config.credentials:
                return (
                    None,
                    None,
                    (
                        "a static token does not say its company: set the option company_id "
                        "(the company's UUID) to list"
                    ),
                )
            self._company_id = (await self._client.login()).user.company_id
        return self._client, self._company_id, ""

    async def check_connection(self) -> ConnectionCheck:
        """A login (email and password), then the first page of the company's leave types."""
        client, company, why = await self._company()
        if client is None or company is None:
            return ConnectionCheck(False, why)
        async for _type in client.iter_leave_types(company, page_size=1):
            break
        return ConnectionCheck(True, f"logged in; company {company}'s leave types answered")

    async def list_people(self) -> Listing[DirectoryPerson]:
        """`GET /companies/{company_id}/employees` [docs] (an HR manager or admin login):
        id, name, email and `employee_code` as the employee number."""
        client, company, why = await self._company()
        if client is None or company is None:
            return Listing.unavailable(why)
        people = [
            DirectoryPerson(
                id=e.id,
                name=" ".join(p for p in (e.first_name, e.last_name) if p) or None,
                email=e.email,
                employee_number=e.employee_code,
            )
            async for e in client.iter_employees(company)
        ]
        return Listing(tuple(people), how=f"GET /companies/{company}/employees")

    async def list_leave_types(self) -> Listing[LeaveTypeInfo]:
        """`GET /companies/{company_id}/leave-types` [docs]: id and name, in days."""
        client, company, why = await self._company()
        if client is None or company is None:
            return Listing.unavailable(why)
        types = [
            LeaveTypeInfo(t.id, t.name, Unit.DAYS) async for t in client.iter_leave_types(company)
        ]
        return Listing(tuple(types), how=f"GET /companies/{company}/leave-types")

    async def aclose(self) -> None:
        clients = [*self._employee_clients.values()]
        if self._client is not None:
            clients.append(self._client)
        for client in clients:
            await client.aclose()
        self._employee_clients.clear()


def _employee_logins(options: Mapping[str, Any]) -> dict[str, dict[str, str]] | None:
    logins = parse_options(Options, options).employee_logins
    if logins is None:
        return None
    return {employee: login.model_dump() for employee, login in logins.items()}


def build_adapter(config: AdapterConfig) -> CompanyFlowAdapter:
    """The CompanyFlow adapter for one configured system."""
    return CompanyFlowAdapter(config)


__all__ = ["CREDENTIAL_KEYS", "CompanyFlowAdapter", "Options", "build_adapter"]
