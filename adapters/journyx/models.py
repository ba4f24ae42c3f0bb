"""Journyx wire models: the Accrual ("time bank") of the seed, its nested user properties, and
the collection / single-object envelopes.

Every quantity is a `Decimal` (the wire's floats pass through `str`), in HOURS. Every field is
optional because `$keys` may select any subset of them; the three `*_properties` expansions are
only present when `$keys` asks for them. Unknown fields are kept (`extra="allow"`).
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import Field, model_validator

from balance_gateway.adapters._core.models import WireModel


class StatusCode(StrEnum):
    """The internal visibility code of an object (seed: `status_code`)."""

    LOGGABLE_AND_REPORTABLE = "lr"
    REPORTABLE_ONLY = "ro"
    HIDDEN = "h"


# seed: lr <-> "Loggable and Reportable", ro <-> "Reportable Only", h <-> "Hidden".
STATUS_NAMES: dict[str, str] = {
    StatusCode.LOGGABLE_AND_REPORTABLE.value: "Loggable and Reportable",
    StatusCode.REPORTABLE_ONLY.value: "Reportable Only",
    StatusCode.HIDDEN.value: "Hidden",
}
STATUS_CODES: dict[str, str] = {name: code for code, name in STATUS_NAMES.items()}

# The three expansions `$keys` can request; absent unless requested.
ACCRUAL_EXPANSIONS: tuple[str, ...] = (
    "id_user_properties",
    "creator_properties",
    "modifier_properties",
)

_TIMESTAMP_SUFFIXES = ("", "_date_long", "_date_short", "_datetime_long", "_datetime_short", "_iso")

# Every field of the seed's Accrual schema in the order of the seed's example, expansions
# included; `ACCRUAL_DEFAULT_KEYS` is what a GET without `$keys` answers.
ACCRUAL_KEYS: tuple[str, ...] = (
    "id_timebank",
    "limits_description",
    "limits_description_full",
    "pay_type_names",
    "pay_type_names_str",
    "pay_type_uris",
    "warning_type",
    "id",
    "uri",
    "tablename",
    "table_label",
    "hard_threshold",
    "hours_left",
    "id_user",
    "id_user_properties",
    "is_hidden",
    "pay_type_ids",
    "pname",
    "use_hard_threshold",
    "use_warning",
    "warning_threshold",
    "hidden",
    "status",
    "status_code",
    "creator",
    "creator_fullname",
    "creator_properties",
    *(f"create_timestamp{suffix}" for suffix in _TIMESTAMP_SUFFIXES),
    "modifier",
    "modifier_fullname",
    "modifier_properties",
    *(f"modify_timestamp{suffix}" for suffix in _TIMESTAMP_SUFFIXES),
    "id_domain",
)
ACCRUAL_DEFAULT_KEYS: tuple[str, ...] = tuple(
    k for k in ACCRUAL_KEYS if k not in ACCRUAL_EXPANSIONS
)


class MemorizedSheetChoice(WireModel):
    """One memorized timesheet a user may choose as default."""

    value: str | None = None  # the memorized timesheet's internal id
    text: str | None = None  # its name


class UserProperties(WireModel):
    """A user's properties, as expanded into `id_user_properties`, `creator_properties` and
    `modifier_properties` when `$keys` requests them."""

    expense_gui: str | None = None
    time_gui: str | None = None
    travel_gui: str | None = None
    daysinlist: int | None = None  # unused legacy field
    email: str | None = None
    first_name: str | None = None
    id_user: str | None = None
    last_name: str | None = None
    memorized_sheet_choices: list[MemorizedSheetChoice] | None = None
    reserved1: str | None = None  # unused legacy field
    reserved2: Decimal | None = None  # unused legacy field
    reserved3: Decimal | None = None  # unused legacy field
    timerecs_out: int | None = None  # unused legacy field
    time_gui_properties: dict[str, Any] | None = None
    travel_gui_properties: dict[str, Any] | None = None
    expense_gui_properties: dict[str, Any] | None = None


class Accrual(WireModel):
    """An accrual (time bank): `hours_left` is the balance in hours.

    `hard_threshold` is the minimum balance, enforced when `use_hard_threshold`;
    `warning_threshold` warns, when `use_warning`. `status` and `status_code` must agree when
    both are present (a contradiction raises on validation). Epoch timestamps are seconds.
    """

    id: str | None = None
    id_timebank: str | None = None
    uri: str | None = None
    tablename: str | None = None
    table_label: str | None = None
    hard_threshold: Decimal | None = None
    hours_left: Decimal | None = None
    id_user: str | None = None
    id_user_properties: UserProperties | None = None
    is_hidden: bool | None = None
    pay_type_ids: list[str] | None = None
    pname: str | None = None
    use_hard_threshold: bool | None = None
    use_warning: bool | None = None
    warning_threshold: Decimal | None = None
    hidden: bool | None = None
    status: str | None = None
    status_code: str | None = None
    creator: str | None = None
    creator_fullname: str | None = None
    creator_properties: UserProperties | None = None
    create_timestamp: Decimal | None = None
    create_timestamp_date_long: str | None = None
    create_timestamp_date_short: str | None = None
    create_timestamp_datetime_long: str | None = None
    create_timestamp_datetime_short: str | None = None
    create_timestamp_iso: str | None = None
    modifier: str | None = None
    modifier_fullname: str | None = None
    modifier_properties: UserProperties | None = None
    modify_timestamp: Decimal | None = None
    modify_timestamp_date_long: str | None = None
    modify_timestamp_date_short: str | None = None
    modify_timestamp_datetime_long: str | None = None
    modify_timestamp_datetime_short: str | None = None
    modify_timestamp_iso: str | None = None
    id_domain: str | None = None
    limits_description: str | None = None
    limits_description_full: str | None = None
    pay_type_names: list[str] | None = None
    pay_type_names_str: str | None = None
    pay_type_uris: list[str] | None = None
    warning_type: str | None = None

    @model_validator(mode="after")
    def _status_consistent(self) -> Accrual:
        code, name = self.status_code, self.status
        if code is not None and name is not None and STATUS_NAMES.get(code, name) != name:
            raise ValueError(
                f"status {name!r} contradicts status_code {code!r} "
                f"(expected {STATUS_NAMES[code]!r})"
            )
        return self

    @property
    def hard_threshold_enforced(self) -> bool:
        """Whether a balance below `hard_threshold` blocks time entries."""
        return bool(self.use_hard_threshold) and self.hard_threshold is not None


class AccrualPage(WireModel):
    """One page of a collection: `results` plus the paging figures. `@nextLink` is the relative
    URI of the next page, None on the last page; `$count` is the number of matching objects."""

    response_code: int | None = None
    success: bool | None = None
    uri: str | None = None
    count: int | None = Field(None, alias="$count")
    skip: int | None = Field(None, alias="$skip")
    top: int | None = Field(None, alias="$top")
    next_link: str | None = Field(None, alias="@nextLink")
    results: list[Accrual] = Field(default_factory=list)


class AccrualEnvelope(WireModel):
    """A single object's answer. ASSUMED: the collection envelope without the paging keys,
    `results` holding the object itself."""

    response_code: int | None = None
    success: bool | None = None
    uri: str | None = None
    results: Accrual


class DeleteResult(WireModel):
    """ASSUMED: the answer to a delete, the envelope without results. Its two figures are
    required: a delete has nothing else to show it was understood (any JSON object would
    otherwise read as done)."""

    response_code: int
    success: bool
    uri: str | None = None


class LoginResult(WireModel):
    """ASSUMED: the body of a successful `POST /login` (the session itself is the
    `wtsession` cookie)."""

    response_code: int | None = None
    success: bool | None = None
    username: str | None = None
    id_user: str | None = None


class ErrorBody(WireModel):
    """ASSUMED error body: `{"response_code": 4xx, "success": false, "error": "..."}`."""

    response_code: int | None = None
    success: bool | None = None
    error: str | None = None


# The fields a create / update may send.
WRITABLE_KEYS: tuple[str, ...] = (
    "pname",
    "pay_type_ids",
    "id_user",
    "hours_left",
    "hard_threshold",
    "use_hard_threshold",
    "warning_threshold",
    "use_warning",
    "status",
    "status_code",
    "is_hidden",
)


__all__ = [
    "ACCRUAL_DEFAULT_KEYS",
    "ACCRUAL_EXPANSIONS",
    "ACCRUAL_KEYS",
    "STATUS_CODES",
    "STATUS_NAMES",
    "WRITABLE_KEYS",
    "Accrual",
    "AccrualEnvelope",
    "AccrualPage",
    "DeleteResult",
    "ErrorBody",
    "LoginResult",
    "MemorizedSheetChoice",
    "StatusCode",
    "UserProperties",
]
