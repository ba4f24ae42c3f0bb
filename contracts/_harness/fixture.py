"""The fixture format the project owns: one recorded exchange per file.

    contracts/<vendor>/<operation>/<scenario>.json

    {
      "provenance": "seed" | "docs" | "assumed",   where the facts come from
      "source": "seeds/001_...txt: GET list example",
      "description": "what this exchange shows",
      "given": {                                   preconditions
        "state": {... vendor state ...} | null,    emulator state of the default tenant
                                                   (null: the emulator's sample dataset)
        "auth": "valid" | "none" | "invalid"       which credential the request carries
        "login": null | "manager"                  (optional) whose valid credential
      },
      "request": {"method": "GET", "path": "/api/...", "query": {"k": "v"},
                  "json": {...} | null, "form": {...} | null},
      "response": {"status": 200, "json": {...} | null, "headers": {"retry-after": "2"}},
      "matchers": {"$.data.created_at": "iso-datetime", "$.collection[*].id": "int"},
      "sdk": {                                     how the SDK makes this request
        "call": "list_time_balances",              a method of the vendor's sync Client
        "args": {"user_id": 819},                  (and the same-named async method)
        "raises": null | "NotFoundError",          expected error class name
        "sends": true                              false: refused before sending
      } | null,                                    null: an emulator-only fixture
      "live": true                                 safe to replay against a live vendor
    }

Matchers (for values that vary between runs): any, int, number, string, bool, uuid, objectid,
hex32, iso-date, iso-datetime, jwt, present (key exists, any value).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Provenance = Literal["seed", "docs", "assumed"]
MatcherName = Literal[
    "any", "int", "number", "string", "bool", "uuid", "objectid", "hex32",
    "iso-date", "iso-datetime", "jwt", "present",
]  # fmt: skip

FIXTURES_ROOT = Path(__file__).resolve().parent.parent


class Given(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: dict[str, Any] | None = None
    auth: Literal["valid", "none", "invalid"] = "valid"
    # Which of the emulator's sample logins a valid credential belongs to (a name the
    # vendor's binding lists in `emulator_logins`); None: the binding's default login.
    login: str | None = None


class RecordedRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: str
    path: str
    query: dict[str, str] = Field(default_factory=dict)
    json_body: Any = Field(None, alias="json")
    form: dict[str, str] | None = None


class RecordedResponse(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: int
    json_body: Any = Field(None, alias="json")
    headers: dict[str, str] = Field(default_factory=dict)


class SdkCall(BaseModel):
    model_config = ConfigDict(extra="forbid")

    call: str
    args: dict[str, Any] = Field(default_factory=dict)
    raises: str | None = None
    sends: bool = True


class Fixture(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    provenance: Provenance
    source: str
    description: str
    given: Given = Field(default_factory=Given)
    request: RecordedRequest
    response: RecordedResponse
    matchers: dict[str, MatcherName] = Field(default_factory=dict)
    sdk: SdkCall | None = None
    live: bool = False
    # Filled in by the loader, not stored.
    vendor: str = Field("", exclude=True)
    name: str = Field("", exclude=True)


def load_fixtures(vendor: str, root: Path = FIXTURES_ROOT) -> list[Fixture]:
    """Every fixture of `vendor`, sorted by name (`<operation>/<scenario>`)."""
    base = root / vendor
    fixtures = []
    for path in sorted(base.glob("*/*.json")):
        fixture = Fixture.model_validate(json.loads(path.read_text()))
        fixture.vendor = vendor
        fixture.name = f"{path.parent.name}/{path.stem}"
        fixtures.append(fixture)
    return fixtures


def fixture_vendors(root: Path = FIXTURES_ROOT) -> list[str]:
    """Vendors that have fixtures and a binding."""
    return sorted(
        p.name
        for p in root.iterdir()
        if p.is_dir() and not p.name.startswith("_") and (p / "binding.py").exists()
    )
