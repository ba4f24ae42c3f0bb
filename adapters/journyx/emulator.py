"""A faithful in-memory fake of the Journyx accruals API (users, pay types, accruals).

What it stores: users, pay types and accruals with their own values only. Everything the seed
calls generated (`limits_description*`, `pay_type_names*`, `pay_type_uris`, creator/modifier
full names and properties, every formatted timestamp, `status`, `is_hidden`/`hidden`) is
computed on each read from the stored values.

Auth [docs]: HTTP Basic `<username>:<API key>`, or the `wtsession` cookie of `POST /login`.
The emulator's token is the API key of the sample user `admin` (John Doe).

ASSUMED (the public docs are silent): the paths (`/api/v1/accruals[/{id}]`), the single-object
envelope, the error envelope, the `$filter` subset, `$top` default 100 and maximum 1000, the
login body, PUT as a full replace, and the wording of limit descriptions other than the seed's.
"""

from __future__ import annotations

import base64
import binascii
import operator
import re
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from urllib.parse import parse_qsl, quote, urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, field_validator, model_validator
from starlette.exceptions import HTTPException as StarletteHTTPException

from balance_gateway.adapters._emulator.base import (
    EmulatedBalance,
    Emulator,
    EmulatorOptions,
)
from balance_gateway.adapters._emulator.bodies import parse_json, read_json
from balance_gateway.adapters._emulator.fields import exceeds
from balance_gateway.adapters._emulator.openapi import Operation, declare
from balance_gateway.adapters.journyx.client import (
    ACCRUALS_PATH,
    LOGIN_PATH,
    MAX_TOP,
    SESSION_COOKIE,
)
from balance_gateway.adapters.journyx.models import (
    ACCRUAL_DEFAULT_KEYS,
    ACCRUAL_KEYS,
    STATUS_CODES,
    STATUS_NAMES,
    Accrual,
    AccrualEnvelope,
    AccrualPage,
    DeleteResult,
    LoginResult,
)

# The latest moment a timestamp can render as (9999-12-31T00:00:00Z; formatted in any zone).
MAX_EPOCH = Decimal(253402214400)
SAMPLE_USERNAME = "admin"
DEFAULT_TOP = 100  # ASSUMED
SEED_ACCRUAL_ID = "64BBA147B9AC41D9978062300826C89F"
SEED_USER_ID = "64BBA147B9AC41D9978062300826C89F"
PAY_TYPE_URI = "/api/v1/entry_codes/codes_pay_types/"  # seed: pay_type_uris


# -- state ----------------------------------------------------------------------------------


class MemorizedSheet(BaseModel):
    value: str
    text: str


class User(BaseModel):
    id: str
    username: str
    first_name: str
    last_name: str
    email: str
    expense_gui: str = "default"
    time_gui: str = "default"
    travel_gui: str = "default"
    memorized_sheets: list[MemorizedSheet] = Field(default_factory=list)

    @property
    def fullname(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class PayType(BaseModel):
    id: str
    name: str


class StoredAccrual(BaseModel):
    """An accrual's own values; everything else is derived on read."""

    id: str
    id_timebank: str
    id_user: str
    pname: str
    pay_type_ids: list[str]
    hours_left: Decimal = Decimal(0)
    hard_threshold: Decimal = Decimal(0)
    use_hard_threshold: bool = False
    warning_threshold: Decimal = Decimal(0)
    use_warning: bool = False
    status_code: Literal["lr", "ro", "h"] = "lr"
    creator: str
    # Epoch seconds, bounded so that every loaded state renders: 0 .. the end of year 9999.
    create_timestamp: Decimal = Field(ge=0, le=MAX_EPOCH)
    modifier: str
    modify_timestamp: Decimal = Field(ge=0, le=MAX_EPOCH)


class JournyxState(BaseModel):
    """One tenant. `accruals` keeps creation order, which is the default order of lists."""

    users: dict[str, User] = Field(default_factory=dict)
    pay_types: dict[str, PayType] = Field(default_factory=dict)
    accruals: dict[str, StoredAccrual] = Field(default_factory=dict)
    # The "system settings" time zone the formatted timestamps use; the seed shows CDT.
    timezone: str = "America/Chicago"  # ASSUMED

    @model_validator(mode="after")
    def _keyed_by_id(self) -> JournyxState:
        """Each record sits under its own id (reads look records up by the id they show)."""
        tables: dict[str, Mapping[str, User | PayType | StoredAccrual]] = {
            "users": self.users,
            "pay_types": self.pay_types,
            "accruals": self.accruals,
        }
        for name, table in tables.items():
            for key, record in table.items():
                if key != record.id:
                    raise ValueError(f"{name}: the record under {key!r} has id {record.id!r}")
        return self

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ValueError, ZoneInfoNotFoundError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


class JournyxError(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(message)


# -- rendering ------------------------------------------------------------------------------


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def timestamp_formats(prefix: str, epoch: Decimal, zone: str) -> dict[str, Any]:
    """`<prefix>` and its five formatted forms, from the epoch seconds (seed formats)."""
    moment = datetime.fromtimestamp(float(epoch), ZoneInfo(zone))
    date_long = f"{moment:%A}, {moment:%B} {moment.day}, {moment.year}"
    date_short = f"{moment:%m/%d/%Y}"
    clock = f"{moment:%H:%M:%S %Z}"
    return {
        prefix: _number(epoch),
        f"{prefix}_date_long": date_long,
        f"{prefix}_date_short": date_short,
        f"{prefix}_datetime_long": f"{date_long} {clock}",
        f"{prefix}_datetime_short": f"{date_short} {clock}",
        f"{prefix}_iso": moment.replace(microsecond=0).isoformat(),
    }


def limits_descriptions(acc: StoredAccrual) -> tuple[str, str]:
    """(short, full). Seed: a hard threshold of 0 reads "Min 0.00" / "Minimum balance of 0.00
    hours is enforced." (the warning is not mentioned then). ASSUMED: the other wordings."""
    if acc.use_hard_threshold:
        value = f"{acc.hard_threshold:.2f}"
        return f"Min {value}", f"Minimum balance of {value} hours is enforced."
    if acc.use_warning:
        value = f"{acc.warning_threshold:.2f}"
        return f"Warn {value}", f"A warning is shown below a balance of {value} hours."
    return "", "No limits are enforced."


def user_properties(user: User | None, user_id: str) -> dict[str, Any]:
    """The `*_properties` expansion of a user (seed shape)."""
    return {
        "expense_gui": user.expense_gui if user else "",
        "time_gui": user.time_gui if user else "",
        "travel_gui": user.travel_gui if user else "",
        "daysinlist": 0,
        "email": user.email if user else "",
        "first_name": user.first_name if user else "",
        "id_user": user_id,
        "last_name": user.last_name if user else "",
        "memorized_sheet_choices": [
            {"value": s.value, "text": s.text} for s in (user.memorized_sheets if user else [])
        ],
        "reserved1": "",
        "reserved2": 0,
        "reserved3": 0,
        "timerecs_out": 0,
        "time_gui_properties": {},
        "travel_gui_properties": {},
        "expense_gui_properties": {},
    }


def render_accrual(
    state: JournyxState, acc: StoredAccrual, keys: Sequence[str] | None = None
) -> dict[str, Any]:
    """The accrual as Journyx answers it: every default field, or exactly `keys`."""
    short, full = limits_descriptions(acc)
    names = [state.pay_types[p].name for p in acc.pay_type_ids if p in state.pay_types]
    creator, modifier = state.users.get(acc.creator), state.users.get(acc.modifier)
    hidden = acc.status_code == "h"
    body: dict[str, Any] = {
        "id_timebank": acc.id_timebank,
        "limits_description": short,
        "limits_description_full": full,
        "pay_type_names": names,
        "pay_type_names_str": ", ".join(names),
        "pay_type_uris": [PAY_TYPE_URI + quote(name) for name in names],
        "warning_type": "v2",
        "id": acc.id,
        "uri": f"{ACCRUALS_PATH}/{acc.id}",  # ASSUMED: the seed example shows /api/v1/objects/
        # ASSUMED: the seed example's values (they look generic; nothing says otherwise).
        "tablename": "users",
        "table_label": "codes_pay_types",
        "hard_threshold": _number(acc.hard_threshold),
        "hours_left": _number(acc.hours_left),
        "id_user": acc.id_user,
        "is_hidden": hidden,
        "pay_type_ids": list(acc.pay_type_ids),
        "pname": acc.pname,
        "use_hard_threshold": acc.use_hard_threshold,
        "use_warning": acc.use_warning,
        "warning_threshold": _number(acc.warning_threshold),
        "hidden": hidden,  # seed: read-only alias for is_hidden
        "status": STATUS_NAMES[acc.status_code],
        "status_code": acc.status_code,
        "creator": acc.creator,
        "creator_fullname": creator.fullname if creator else "",
        **timestamp_formats("create_timestamp", acc.create_timestamp, state.timezone),
        "modifier": acc.modifier,
        "modifier_fullname": modifier.fullname if modifier else "",
        **timestamp_formats("modify_timestamp", acc.modify_timestamp, state.timezone),
        "id_domain": "install_root_dom",
    }
    if keys is None:
        return body
    expansions = {
        "id_user_properties": (acc.id_user, state.users.get(acc.id_user)),
        "creator_properties": (acc.creator, creator),
        "modifier_properties": (acc.modifier, modifier),
    }
    selected: dict[str, Any] = {}
    for key in keys:
        if key in expansions:
            user_id, user = expansions[key]
            selected[key] = user_properties(user, user_id)
        else:
            selected[key] = body[key]
    return selected


# -- query options ----------------------------------------------------------------------------

_CLAUSE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s+eq\s+('(?:[^']|'')*'|[^\s']+)\s*")
_AND = re.compile(r"and\s+")
_ORDER = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)(?:\s+(asc|desc))?\s*")


def _literal(text: str) -> Any:
    if text.startswith("'"):
        return text[1:-1].replace("''", "'")
    if text in ("true", "false"):
        return text == "true"
    if text == "null":
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise JournyxError(400, f"$filter: {text!r} is not a value") from None
    # A number a stored figure can equal: finite, and within what the emulator stores.
    if not number.is_finite() or exceeds(number, Decimal(10) ** 12):
        raise JournyxError(400, f"$filter: {text!r} is not a number an accrual can hold")
    return number


def parse_filter(text: str) -> list[tuple[str, Any]]:
    """ASSUMED subset of OData: `field eq value` joined by ` and `; values are 'quoted'
    strings, numbers, true, false or null. Anything else answers 400."""
    clauses: list[tuple[str, Any]] = []
    position = 0
    while True:
        match = _CLAUSE.match(text, position)
        if match is None:
            raise JournyxError(
                400,
                f"$filter: unsupported expression at {text[position:]!r}; "
                "use field eq 'value' joined by and",
            )
        field, value = match.group(1), match.group(2)
        if field not in ACCRUAL_DEFAULT_KEYS:
            raise JournyxError(400, f"$filter: unknown field {field!r}")
        clauses.append((field, _literal(value)))
        position = match.end()
        if position == len(text):
            return clauses
        joined = _AND.match(text, position)
        if joined is None:
            raise JournyxError(400, f"$filter: expected 'and' at {text[position:]!r}")
        position = joined.end()


def _matches(body: Mapping[str, Any], clauses: list[tuple[str, Any]]) -> bool:
    for field, wanted in clauses:
        value = body.get(field)
        if isinstance(wanted, Decimal):
            if isinstance(value, bool) or not isinstance(value, int | float):
                return False
            if Decimal(str(value)) != wanted:
                return False
        elif isinstance(wanted, bool) or wanted is None:
            if value is not wanted:
                return False
        elif value != wanted:
            return False
    return True


# Fields whose rendered value is the stored text itself: a filter on them needs no rendering.
_STORED_TEXT_FIELDS = frozenset(
    {"id", "id_timebank", "id_user", "pname", "status_code", "creator", "modifier"}
)


def filter_accruals(
    state: JournyxState,
    clauses: list[tuple[str, Any]],
    by_user: Mapping[str, Sequence[str]] | None = None,
) -> list[StoredAccrual]:
    """The accruals whose rendered body `_matches` the clauses, in stored order. Rendering
    (timestamps formatted in the state's zone) is the costly part of a list, so clauses on
    stored text fields compare the stored values, which match only an equal string literal.
    `by_user` (id_user -> the ids of that user's accruals, in stored order) narrows a filter on
    `id_user` to that user's accruals instead of all of them."""
    stored = state.accruals
    if not clauses:
        return list(stored.values())
    if not all(field in _STORED_TEXT_FIELDS for field, _ in clauses):
        return [a for a in stored.values() if _matches(render_accrual(state, a), clauses)]
    if not all(isinstance(wanted, str) for _, wanted in clauses):
        return []
    user = next((wanted for field, wanted in clauses if field == "id_user"), None)
    if by_user is not None and user is not None:
        accruals = [stored[i] for i in by_user.get(user, ()) if i in stored]
    else:
        accruals = list(stored.values())
    (field, wanted), *rest = clauses
    get = operator.attrgetter(field)
    found = [a for a in accruals if get(a) == wanted]
    return [a for a in found if all(getattr(a, f) == w for f, w in rest)]


def _sort_key(field: str) -> Callable[[dict[str, Any]], tuple[bool, Any]]:
    def key(body: dict[str, Any]) -> tuple[bool, Any]:
        value = body.get(field)
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        return (value is None, value)

    return key


def _int_option(name: str, raw: str | None, default: int, minimum: int, maximum: int) -> int:
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise JournyxError(400, f"{name} must be an integer, got {raw!r}") from None
    if not minimum <= value <= maximum:
        raise JournyxError(400, f"{name} must be between {minimum} and {maximum}, got {value}")
    return value


def parse_keys(raw: str | None) -> list[str] | None:
    if raw is None:
        return None
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    if not keys:
        raise JournyxError(400, "$keys must name at least one field")
    unknown = [k for k in keys if k not in ACCRUAL_KEYS]
    if unknown:
        raise JournyxError(400, f"$keys: unknown field(s) {', '.join(unknown)}")
    return keys


# -- request bodies -----------------------------------------------------------------------------


def _body_number(name: str, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise JournyxError(400, f"{name} must be a number, got {value!r}")
    number = Decimal(str(value))
    if not number.is_finite():
        raise JournyxError(400, f"{name} must be a finite number")
    return number


def _body_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise JournyxError(400, f"{name} must be true or false, got {value!r}")
    return value


def writable_changes(
    state: JournyxState, body: Any, *, full: bool, existing: StoredAccrual | None
) -> dict[str, Any]:
    """The stored fields a create (full, no existing), replace (full) or patch would set.
    Read-only fields in the body are ignored (a client may send back what it read), except
    `id_user`, which cannot change once set."""
    if not isinstance(body, dict):
        raise JournyxError(400, "the request body must be a JSON object")
    unknown = sorted(k for k in body if k not in ACCRUAL_KEYS)
    if unknown:
        raise JournyxError(400, f"unknown field(s): {', '.join(unknown)}")
    changes: dict[str, Any] = {}
    if full:
        for required in ("pname", "pay_type_ids"):
            if body.get(required) is None:
                raise JournyxError(400, f"{required} is required")
    if "pname" in body:
        pname = body["pname"]
        if not isinstance(pname, str) or not pname.strip():
            raise JournyxError(400, "pname must be a non-empty string")
        changes["pname"] = pname
    if "pay_type_ids" in body:
        ids = body["pay_type_ids"]
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            raise JournyxError(400, "pay_type_ids must be a non-empty list of pay type ids")
        unknown_ids = [i for i in ids if i not in state.pay_types]
        if unknown_ids:
            raise JournyxError(400, f"pay_type_ids: unknown pay type(s) {', '.join(unknown_ids)}")
        changes["pay_type_ids"] = list(ids)
    if "id_user" in body:
        id_user = body["id_user"]
        if existing is not None and id_user != existing.id_user:
            raise JournyxError(400, "id_user cannot be changed once set")
        if not isinstance(id_user, str) or id_user not in state.users:
            raise JournyxError(400, f"id_user: no user {id_user!r}")
        changes["id_user"] = id_user
    for name in ("hours_left", "hard_threshold", "warning_threshold"):
        if name in body:
            changes[name] = _body_number(name, body[name])
    for name in ("use_hard_threshold", "use_warning"):
        if name in body:
            changes[name] = _body_bool(name, body[name])
    code: str | None = None
    if "status_code" in body:
        code = body["status_code"]
        if not isinstance(code, str) or code not in STATUS_NAMES:
            raise JournyxError(400, f"status_code must be one of lr, ro, h, got {code!r}")
    if "status" in body:
        status = body["status"]
        if not isinstance(status, str) or status not in STATUS_CODES:
            raise JournyxError(400, f"status must be one of {', '.join(STATUS_CODES)}")
        if code is not None and STATUS_CODES[status] != code:
            raise JournyxError(400, f"status {status!r} contradicts status_code {code!r}")
        code = STATUS_CODES[status]
    if "is_hidden" in body:
        hidden = _body_bool("is_hidden", body["is_hidden"])
        if code is None:
            current = existing.status_code if existing is not None else "lr"
            code = "h" if hidden else ("lr" if current == "h" else current)
        elif hidden != (code == "h"):
            raise JournyxError(400, f"is_hidden {hidden} contradicts status_code {code!r}")
    if code is not None:
        changes["status_code"] = code
    if not full and not changes:
        raise JournyxError(400, "no writable field to change")
    return changes


# -- the emulator ---------------------------------------------------------------------------------


def _sample_state() -> JournyxState:
    john = User(
        id=SEED_USER_ID,
        username=SAMPLE_USERNAME,
        first_name="John",
        last_name="Doe",
        email="john.doe@example.com",
        memorized_sheets=[MemorizedSheet(value="4D31CFB78D81F1ACC1C54EB79F227DB4", text="Week")],
    )
    jane = User(
        id="5CD906A3941C463B9CC98F49DBCC25AA",  # the seed's example id_user of a user
        username="jroe",
        first_name="Jane",
        last_name="Roe",
        email="jane.roe@example.com",
    )
    alex = User(
        id="3A8BFD0F3951508D4DBFB1F47EE7B158",
        username="asmith",
        first_name="Alex",
        last_name="Smith",
        email="alex.smith@example.com",
    )
    vacation = PayType(id="7FD02168BF7737FFAC2068C7DD76C31B", name="Vacation")
    sick = PayType(id="8F2B0F3C30F2F0FB26C7B5C61443E7E8", name="Sick")
    floating = PayType(id="16F2D8890195F447415B84D46CE22C3F", name="Floating Holiday")

    def accrual(
        id_: str, user: User, pname: str, pay: list[PayType], **values: Any
    ) -> StoredAccrual:
        stamp = values.pop("stamp", Decimal("1700000000.5"))
        return StoredAccrual(
            id=id_,
            id_timebank=values.pop("id_timebank", id_),
            id_user=user.id,
            pname=pname,
            pay_type_ids=[p.id for p in pay],
            creator=john.id,
            create_timestamp=stamp,
            modifier=john.id,
            modify_timestamp=stamp,
            **values,
        )

    accruals = [
        # The seed's example accrual, verbatim where the seed is self-consistent.
        accrual(
            SEED_ACCRUAL_ID,
            john,
            "Vacation",
            [vacation, sick],
            id_timebank="1A40D7570AF94AFDB286D0697DEA5CF3",
            hours_left=Decimal(40),
            hard_threshold=Decimal(0),
            use_hard_threshold=True,
            warning_threshold=Decimal(16),
            use_warning=True,
            stamp=Decimal("1696021987.01375"),
        ),
        accrual(
            "B00F1292662CD06045C20D4305D72887",
            jane,
            "Vacation",
            [vacation],
            hours_left=Decimal(80),
            use_hard_threshold=True,
            warning_threshold=Decimal(16),
        ),
        accrual(
            "7D50783C4A141292108472803B0FB610",
            jane,
            "Sick",
            [sick],
            hours_left=Decimal("12.5"),
            warning_threshold=Decimal(8),
            use_warning=True,
            stamp=Decimal("1700086400.25"),
        ),
        accrual(
            "D026C943761D49E454F45CAAC88F5F9E",
            alex,
            "Vacation",
            [vacation],
            hours_left=Decimal(4),
            hard_threshold=Decimal(-8),
            use_hard_threshold=True,
            stamp=Decimal("1700172800"),
        ),
        accrual(
            "0C7E5A9D2B4F4E1A8D6C3B5A7E9F1D2C",
            alex,
            "Floating Holiday",
            [floating],
            hours_left=Decimal(8),
            status_code="h",
            stamp=Decimal("1700172800"),
        ),
    ]
    return JournyxState(
        users={u.id: u for u in (john, jane, alex)},
        pay_types={p.id: p for p in (vacation, sick, floating)},
        accruals={a.id: a for a in accruals},
    )


# The optional writable fields a PUT resets when it omits them.
_REPLACED_BY_PUT = (
    "hours_left",
    "hard_threshold",
    "use_hard_threshold",
    "warning_threshold",
    "use_warning",
    "status_code",
)


def _ok(status: int, uri: str, **extra: Any) -> JSONResponse:
    return JSONResponse(
        {"response_code": status, "success": True, "uri": uri, **extra}, status_code=status
    )


class JournyxEmulator(Emulator[JournyxState]):
    """Journyx accruals with users and pay types; see the module docstring."""

    vendor = "journyx"
    title = "Journyx"

    def __init__(
        self, options: EmulatorOptions | None = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.clock = clock
        # wtsession -> the id of the user who logged in (the tenant is in `credentials`).
        self.sessions: dict[str, str] = {}
        # id(accruals dict) -> (that dict, its size then, id_user -> accrual ids): see
        # `accruals_by_user`.
        self._by_user: dict[int, tuple[dict[str, StoredAccrual], int, dict[str, list[str]]]] = {}
        super().__init__(options)

    @classmethod
    def state_model(cls) -> type[JournyxState]:
        return JournyxState

    def sample_state(self) -> JournyxState:
        return _sample_state()

    def error_body(self, status: int, message: str) -> Any:
        return {"response_code": status, "success": False, "error": message}

    def unreadable_body_message(self, reason: str) -> str:
        return "the request body is not valid JSON"

    def credentials_text(self) -> list[str]:
        return [
            f"username: {SAMPLE_USERNAME}",
            f"api_key: {self.token}",
            "auth: HTTP Basic (username, api_key)",
            "   or POST /login {username, password: api_key} -> wtsession cookie",
        ]

    def client_credentials(self) -> dict[str, str]:
        return {"username": SAMPLE_USERNAME, "api_key": self.token}

    def accruals_by_user(self, state: JournyxState) -> dict[str, list[str]]:
        """id_user -> the ids of that user's accruals, in stored order (for `filter_accruals`:
        a filter on one user then reads that user's accruals, not all of them). Built once and
        kept while the state holds the same accruals dict at the same size; the create and
        delete routes drop it (an update keeps the id and, necessarily, the id_user)."""
        accruals = state.accruals
        kept = self._by_user.get(id(accruals))
        if kept is not None and kept[0] is accruals and kept[1] == len(accruals):
            return kept[2]
        index: dict[str, list[str]] = {}
        for accrual_id, accrual in accruals.items():
            index.setdefault(accrual.id_user, []).append(accrual_id)
        live = {id(s.accruals) for s in self.tenants.values()}
        self._by_user = {k: v for k, v in self._by_user.items() if k in live}
        self._by_user[id(accruals)] = (accruals, len(accruals), index)
        return index

    # -- auth ---------------------------------------------------------------------------------

    def _api_user(self, tenant: str) -> User | None:
        state = self.state_for(tenant)
        return next((u for u in state.users.values() if u.username == SAMPLE_USERNAME), None)

    def authenticate(self, request: Request) -> tuple[JournyxState, User]:
        """The caller's tenant state and user; 401 otherwise."""
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                raise JournyxError(401, "invalid credentials") from None
            username, _, api_key = decoded.partition(":")
            tenant = self.tenant_for(api_key)
            user = self._api_user(tenant) if tenant is not None else None
            if tenant is None or user is None or user.username != username:
                raise JournyxError(401, "invalid credentials")
            return self.state_for(tenant), user
        session = request.cookies.get(SESSION_COOKIE)
        if session is not None:
            tenant = self.session_tenant(session)
            user_id = self.sessions.get(session)
            if tenant is not None and user_id is not None:
                state = self.state_for(tenant)
                if user_id in state.users:
                    return state, state.users[user_id]
        raise JournyxError(401, "authentication required")

    # -- routes -------------------------------------------------------------------------------

    def balances(self, state: JournyxState, as_of: date) -> list[EmulatedBalance]:
        """Each visible accrual's `hours_left` [seed]; an accrual has no date, so `as_of`
        does not change it."""
        return [
            EmulatedBalance(
                employee=a.id_user, leave_type=a.pname, unit="hours", remaining=a.hours_left
            )
            for a in state.accruals.values()
            if a.status_code != "h"
        ]

    def add_routes(self, app: FastAPI) -> None:
        declare(app, OPENAPI, (Accrual,))

        async def vendor_error(request: Request, exc: Exception) -> JSONResponse:
            if isinstance(exc, JournyxError):
                status, message = exc.status, exc.message
            elif isinstance(exc, StarletteHTTPException):
                status, message = exc.status_code, str(exc.detail)
            else:
                status, message = 400, "invalid request"
            return JSONResponse(self.error_body(status, message), status_code=status)

        app.add_exception_handler(JournyxError, vendor_error)
        app.add_exception_handler(StarletteHTTPException, vendor_error)
        app.add_exception_handler(RequestValidationError, vendor_error)

        async def json_body(request: Request) -> Any:
            return await read_json(request)  # unreadable -> 400 (`unreadable_body_message`)

        def find(state: JournyxState, accrual_id: str) -> StoredAccrual:
            acc = state.accruals.get(accrual_id)
            if acc is None:
                raise JournyxError(404, f"accrual {accrual_id} not found")
            return acc

        def stamp() -> Decimal:
            return Decimal(str(round(self.clock(), 5)))

        def single(state: JournyxState, acc: StoredAccrual, status: int = 200) -> JSONResponse:
            return _ok(status, f"{ACCRUALS_PATH}/{acc.id}", results=render_accrual(state, acc))

        @app.post(LOGIN_PATH, summary="Log in; sets the wtsession cookie")
        async def login(request: Request) -> JSONResponse:
            raw = await request.body()
            if request.headers.get("content-type", "").startswith("application/json"):
                body = parse_json(raw)
            else:
                body = dict(parse_qsl(raw.decode(errors="replace")))
            if not isinstance(body, dict):
                raise JournyxError(400, "send username and password")
            username, password = body.get("username"), body.get("password")
            if not isinstance(username, str) or not isinstance(password, str):
                raise JournyxError(400, "send username and password")
            tenant = self.tenant_for(password)
            user = self._api_user(tenant) if tenant is not None else None
            if tenant is None or user is None or user.username != username:
                raise JournyxError(401, "invalid username or password")
            session = self.issue_session(tenant)
            self.sessions[session] = user.id
            response = JSONResponse(
                {
                    "response_code": 200,
                    "success": True,
                    "username": user.username,
                    "id_user": user.id,
                }
            )
            response.set_cookie(SESSION_COOKIE, session, httponly=True, path="/")
            return response

        @app.get(ACCRUALS_PATH, summary="List accruals")
        async def list_accruals(request: Request) -> JSONResponse:
            state, _user = self.authenticate(request)
            query = request.query_params
            keys = parse_keys(query.get("$keys"))
            skip = _int_option("$skip", query.get("$skip"), 0, 0, 10**9)
            top = _int_option("$top", query.get("$top"), DEFAULT_TOP, 1, MAX_TOP)
            clauses = parse_filter(query["$filter"]) if "$filter" in query else []
            # Filter first, render only the page answered (a full render per accrual made
            # every filtered GET cost O(all accruals) renders).
            by_user = (
                self.accruals_by_user(state) if any(f == "id_user" for f, _ in clauses) else None
            )
            matching = filter_accruals(state, clauses, by_user)
            if "$orderBy" in query:
                order = _ORDER.fullmatch(query["$orderBy"])
                if order is None or order.group(1) not in ACCRUAL_DEFAULT_KEYS:
                    raise JournyxError(400, f"$orderBy: unsupported {query['$orderBy']!r}")
                by = _sort_key(order.group(1))
                matching.sort(
                    key=lambda a: by(render_accrual(state, a)), reverse=order.group(2) == "desc"
                )
            page = [render_accrual(state, a, keys) for a in matching[skip : skip + top]]
            next_link = None
            if skip + top < len(matching):
                params = dict(query.multi_items())
                params["$skip"] = str(skip + top)
                params["$top"] = str(top)
                next_link = f"{ACCRUALS_PATH}?" + urlencode(params, safe="$,'", quote_via=quote)
            return _ok(
                200,
                ACCRUALS_PATH,
                **{"$count": len(matching), "$skip": skip, "$top": top, "@nextLink": next_link},
                results=page,
            )

        @app.post(ACCRUALS_PATH, summary="Create an accrual")
        async def create_accrual(request: Request) -> JSONResponse:
            state, user = self.authenticate(request)
            body = await json_body(request)
            changes = writable_changes(state, body, full=True, existing=None)
            now = stamp()
            new_id = uuid.uuid4().hex.upper()
            acc = StoredAccrual.model_validate(
                {
                    "id": new_id,
                    "id_timebank": new_id,
                    "id_user": user.id,
                    "creator": user.id,
                    "create_timestamp": now,
                    "modifier": user.id,
                    "modify_timestamp": now,
                    **changes,
                }
            )
            state.accruals[acc.id] = acc
            self._by_user.pop(id(state.accruals), None)
            return single(state, acc, 201)

        @app.get(ACCRUALS_PATH + "/{accrual_id}", summary="Get an accrual")
        async def get_accrual(accrual_id: str, request: Request) -> JSONResponse:
            state, _user = self.authenticate(request)
            keys = parse_keys(request.query_params.get("$keys"))
            acc = find(state, accrual_id)
            return _ok(200, f"{ACCRUALS_PATH}/{acc.id}", results=render_accrual(state, acc, keys))

        async def update(accrual_id: str, request: Request, *, full: bool) -> JSONResponse:
            state, user = self.authenticate(request)
            body = await json_body(request)
            acc = find(state, accrual_id)
            changes = writable_changes(state, body, full=full, existing=acc)
            if full:
                # ASSUMED: PUT replaces every writable field; omitted ones take their defaults.
                fields = StoredAccrual.model_fields
                defaults = {name: fields[name].default for name in _REPLACED_BY_PUT}
                changes = {**defaults, **changes}
            updated = acc.model_copy(
                update={**changes, "modifier": user.id, "modify_timestamp": stamp()}
            )
            state.accruals[acc.id] = updated
            return single(state, updated)

        @app.put(ACCRUALS_PATH + "/{accrual_id}", summary="Replace an accrual")
        async def put_accrual(accrual_id: str, request: Request) -> JSONResponse:
            return await update(accrual_id, request, full=True)

        @app.patch(ACCRUALS_PATH + "/{accrual_id}", summary="Update an accrual")
        async def patch_accrual(accrual_id: str, request: Request) -> JSONResponse:
            return await update(accrual_id, request, full=False)

        @app.delete(ACCRUALS_PATH + "/{accrual_id}", summary="Delete an accrual")
        async def delete_accrual(accrual_id: str, request: Request) -> JSONResponse:
            state, _user = self.authenticate(request)
            acc = find(state, accrual_id)
            del state.accruals[acc.id]
            self._by_user.pop(id(state.accruals), None)
            return _ok(200, f"{ACCRUALS_PATH}/{acc.id}")


_ACCRUAL_FIELDS: dict[str, Any] = {
    "id_user": {"type": "string"},
    "pname": {"type": "string"},
    "hours_left": {"type": "number"},
    "hard_threshold": {"type": "number"},
    "use_hard_threshold": {"type": "boolean"},
    "warning_threshold": {"type": "number"},
    "use_warning": {"type": "boolean"},
    "pay_type_ids": {"type": "array", "items": {"type": "string"}},
    "status_code": {"type": "string", "enum": ["lr", "ro", "h"]},
}
_ACCRUAL_WRITE = {"type": "object", "properties": _ACCRUAL_FIELDS}
_ONE = "/api/v1/accruals/{accrual_id}"
_SAMPLE = "64BBA147B9AC41D9978062300826C89F"  # [seed] the example accrual
# The answers as the SDK parses them (adapters/journyx/models.py); the write bodies are the
# accrual's writable fields [seed] (ASSUMED: which are required on create).
OPENAPI = {
    ("POST", "/login"): Operation(
        {200: LoginResult},
        request={
            "type": "object",
            "properties": {"username": {"type": "string"}, "password": {"type": "string"}},
            "required": ["username", "password"],
        },
    ),
    ("GET", "/api/v1/accruals"): Operation({200: AccrualPage}),
    ("POST", "/api/v1/accruals"): Operation(
        {200: AccrualEnvelope},
        request={**_ACCRUAL_WRITE, "required": ["id_user", "pname", "pay_type_ids"]},
    ),
    ("GET", _ONE): Operation({200: AccrualEnvelope}, examples={"accrual_id": _SAMPLE}),
    ("PUT", _ONE): Operation(
        {200: AccrualEnvelope},
        request={**_ACCRUAL_WRITE, "required": ["id_user", "pname", "pay_type_ids"]},
        examples={"accrual_id": _SAMPLE},
    ),
    ("PATCH", _ONE): Operation(
        {200: AccrualEnvelope}, request=_ACCRUAL_WRITE, examples={"accrual_id": _SAMPLE}
    ),
    ("DELETE", _ONE): Operation({200: DeleteResult}, examples={"accrual_id": _SAMPLE}),
}


def build_emulator(options: EmulatorOptions) -> JournyxEmulator:
    return JournyxEmulator(options)


__all__ = ["JournyxEmulator", "JournyxState", "build_emulator", "render_accrual"]
