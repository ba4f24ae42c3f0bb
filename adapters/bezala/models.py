"""Bezala wire models: the time_balances records, their list page, and request bodies.

Field names are exactly the documented ones (seed `001_717343f4c3b4e9bd.txt`). Quantities are
Decimal (a wire float such as `5.0` becomes `Decimal("5.0")` through its text); ids are opaque
strings when read back, even though Bezala sends integers.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, RootModel, field_validator

from balance_gateway.adapters._core.models import WireModel


class BalanceType(StrEnum):
    """The two balance types Bezala imports, and the unit each is counted in."""

    WORK_TIME = "work_time"  # minutes, integer: WORKED_TIME - MANDATORY_WORKING_TIME
    VACATION = "vacation"  # days, integer or fractional: GUARANTEED - USED vacation days

    @property
    def units(self) -> str:
        """The `units` Bezala reports for this type: `minutes` or `days`."""
        return "minutes" if self is BalanceType.WORK_TIME else "days"


class SortOrder(StrEnum):
    ASC = "asc"
    DESC = "desc"


def _id_text(value: Any) -> Any:
    # Ids arrive as JSON integers; they are opaque strings once read.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _number_text(value: Any) -> Any:
    # Through the text, so 0.1 stays 0.1 and never becomes its binary neighbour.
    return str(value) if isinstance(value, float) else value


_WIRE_ID: dict[str, Any] = {"type": ["integer", "string"]}
_WIRE_OPTIONAL_ID: dict[str, Any] = {
    "anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}]
}


class TimeBalance(WireModel):
    """One imported balance: `value` in `units` (minutes for work_time, days for vacation),
    valid as of the END of `date`."""

    # Bezala sends integer ids [seed]; they are kept as text (opaque ids). The JSON schema says
    # what the wire carries (the emulators' OpenAPI document is built from it).
    id: str = Field(json_schema_extra=_WIRE_ID)
    user_id: str = Field(json_schema_extra=_WIRE_ID)
    balance_type: str
    date: dt.date
    value: Decimal
    units: str
    creator_id: str | None = Field(default=None, json_schema_extra=_WIRE_OPTIONAL_ID)
    creator_name: str | None = None

    @field_validator("id", "user_id", "creator_id", mode="before")
    @classmethod
    def _ids_as_text(cls, value: Any) -> Any:
        return _id_text(value)

    @field_validator("value", mode="before")
    @classmethod
    def _value_through_text(cls, value: Any) -> Any:
        return _number_text(value)


class User(WireModel):
    """One entry of `GET /api/users`. ASSUMED: the seed documents no user list; Bezala's API
    conventions [docs] say lists are plain arrays of objects with integer ids and an
    `external_id`; name and email are what a user record holds."""

    id: str = Field(json_schema_extra=_WIRE_ID)
    name: str | None = None
    email: str | None = None
    external_id: str | None = Field(default=None, json_schema_extra=_WIRE_OPTIONAL_ID)

    @field_validator("id", "external_id", mode="before")
    @classmethod
    def _ids_as_text(cls, value: Any) -> Any:
        return _id_text(value)


class UserList(RootModel[list[User]]):
    """`GET /api/users`: a plain JSON array [docs: Bezala's lists]."""


class Pagination(WireModel):
    current_page: int
    total_pages: int
    total_count: int


class TimeBalancePage(WireModel):
    """One page of `GET /api/users/:user_id/time_balances`.

    `pagination` is None when Bezala answered with a plain JSON array (as other Bezala lists do).
    """

    collection: list[TimeBalance]
    pagination: Pagination | None = None


class AuthToken(WireModel):
    """The answer to `POST /api/auth/token`.

    ASSUMED: the seed does not document it; `{"token": "...", "expires_in": seconds}`.
    """

    token: str
    expires_in: int | None = None

    def __repr__(self) -> str:  # the token is a credential: never shown
        return f"AuthToken(token='***', expires_in={self.expires_in!r})"

    __str__ = __repr__


class TimeBalanceParams(BaseModel):
    """The `time_balance` hash of an import (`time_balance[balance_type|date|value]`)."""

    model_config = ConfigDict(extra="forbid")

    balance_type: BalanceType
    date: dt.date
    value: Decimal

    def wire_value(self) -> int | float:
        """`value` as a JSON number: an integer when whole (work_time always is), else a float
        that reads back as exactly this decimal."""
        if self.value == self.value.to_integral_value():
            return int(self.value)
        return float(self.value)

    def to_json(self) -> dict[str, Any]:
        """The JSON request body: `{"time_balance": {...}}`."""
        return {
            "time_balance": {
                "balance_type": self.balance_type.value,
                "date": self.date.isoformat(),
                "value": self.wire_value(),
            }
        }
