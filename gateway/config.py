"""The sync configuration: a TOML file, validated by pydantic, plus the employee mapping CSV.

    [systems.hr]                       # one table per system; the name is yours
    vendor = "companyflow"             # a vendor of the registry (adapters._core.registry)
    base_url = "https://api.example.com"
    credentials = { email = "HR_EMAIL", password = "HR_PASSWORD" }   # ENVIRONMENT VARIABLE NAMES
    options = { company_id = "1" }     # vendor-specific: the adapter's `Options` model
    requests_per_second = 20           # this system's request budget (token bucket)
    retry = { max_attempts = 4, max_total_seconds = 60 }   # one request's retry budget

    [[syncs]]
    name = "hr-to-time"
    source = "hr"
    target = "time"
    types = [{ source = "1", target = "vacation", kind = "vacation" }]
    figure = "remaining"               # the canonical figure carried (default remaining)
    rounding = { step = "0.5", mode = "half_even" }   # default: what the target demands
    as_of = "today"                    # or "2025-03-31"
    max_source_age = "45 days"         # a source figure older than this is blocked
    allow_below_threshold = false
    schedule = "0 2 * * *"             # when `serve` runs it (cron, [service] timezone)

    [mapping]
    file = "employees.csv"             # relative to this file
    [schedule]
    hours_per_day = 8                  # default working day, per person in the CSV
    [guardrails]
    max_change = "30 days"             # largest change of one balance (days, hours or minutes)
    max_operations = 500               # most writes in one run
    [concurrency]
    max_in_flight = 16                 # requests in flight across all systems
    [state]
    path = "balance-gateway.sqlite3"   # relative to this file (SQLite, the default), or
    # url = "postgresql://gateway@db.example.com:5432/gateway"   # PostgreSQL (`scale` extra)
    [plans]
    max_age = "24h"                    # `sync --plan` refuses a saved plan older than this
    [distributed]                      # `sync --distributed` and `worker` (gateway.distributed)
    broker = "redis://127.0.0.1:6379/0"   # Celery's broker and result store; the shared budgets
    batch_size = 50                    # employees per work unit
    visibility_timeout_seconds = 3600  # a unit unacknowledged this long is delivered again
    queue = "balance-gateway"          # the Celery queue of this configuration's units
    [service]                          # `balance-gateway serve` (see gateway.service)
    timezone = "UTC"                   # of the syncs' `schedule = "0 2 * * *"`
    read_tokens = ["GATEWAY_READ_TOKEN"]          # ENVIRONMENT VARIABLE NAMES
    operator_tokens = ["GATEWAY_OPERATOR_TOKEN"]  # may also apply plans

Credentials are never written in the file: each value names an environment variable, read at
load time. A value that does not look like a variable name is refused as a probable literal
secret, and the message never repeats it. Every error (`ConfigError`) names the file and key.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, Literal, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from balance_gateway.adapters._core import registry
from balance_gateway.adapters._core.options import AdapterOptions
from balance_gateway.adapters._core.registry import adapter_module, known_vendors
from balance_gateway.adapters._core.retry import RetryPolicy
from balance_gateway.adapters._core.secrets import Secret
from balance_gateway.canonical import (
    CanonicalError,
    Figure,
    LeaveKind,
    Quantity,
    RoundingMode,
    Unit,
    WorkSchedule,
)
from balance_gateway.gateway.errors import ConfigError
from balance_gateway.gateway.mapping import EmployeeMapping, load_mapping, not_utf8
from balance_gateway.gateway.store.location import StateStore, url_problem

ENV_VAR_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
# A system name becomes part of "system:id" references and a CSV column: keep it plain.
SYSTEM_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")
_QUANTITY = re.compile(r"^\s*(?P<value>[-+]?[0-9]*\.?[0-9]+)\s*(?P<unit>[a-z]+)\s*$")
_AGE = re.compile(r"^\s*(?P<count>[0-9]+)\s*(?P<unit>days?|weeks?)\s*$")
_DURATION = re.compile(
    r"^\s*(?P<count>[0-9]+)\s*(?P<unit>m|min|minutes?|h|hours?|d|days?|w|weeks?)\s*$"
)
_DURATION_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_UNIT_WORDS = {
    "day": Unit.DAYS,
    "days": Unit.DAYS,
    "hour": Unit.HOURS,
    "hours": Unit.HOURS,
    "minute": Unit.MINUTES,
    "minutes": Unit.MINUTES,
}


def _decimal(value: object) -> object:
    """TOML floats (7.5) become exact Decimals through their text, never through binary."""
    if isinstance(value, float):
        return Decimal(str(value))
    return value


def _env_var_name(name: str) -> str:
    # Never echo `name` back: when it is refused it is probably the secret itself.
    if not ENV_VAR_NAME.match(name):
        raise ValueError(
            "a credential must name an environment variable (capitals, digits and underscores, "
            "e.g. HR_API_KEY), and this value does not look like one: it looks like a "
            "literal secret, which is refused. Put the secret in an environment variable and "
            "write the variable's name here"
        )
    return name


EnvVarName = Annotated[str, AfterValidator(_env_var_name)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RoundingConfig(_Strict):
    """Round converted values to a multiple of `step` (in the target's unit) with `mode`."""

    step: Decimal = Field(gt=0)
    mode: RoundingMode = RoundingMode.HALF_EVEN

    _step = field_validator("step", mode="before")(_decimal)


def parse_age(value: object) -> timedelta:
    """`"45 days"` or `"6 weeks"` as a timedelta; ValueError with an example otherwise."""
    match = _AGE.match(value) if isinstance(value, str) else None
    if match is None:
        shown = repr(value) if isinstance(value, str) else f"{type(value).__name__} {value!r}"
        raise ValueError(
            f'must be a whole number of days or weeks written as text, e.g. "45 days" or '
            f'"6 weeks", got {shown}'
        )
    count = int(match["count"])
    return timedelta(weeks=count) if match["unit"].startswith("week") else timedelta(days=count)


def parse_duration(value: object) -> timedelta:
    """`"24h"`, `"90 minutes"`, `"2 days"` or `"1 week"` as a positive timedelta; ValueError
    with an example otherwise."""
    match = _DURATION.match(value) if isinstance(value, str) else None
    if match is None or int(match["count"]) == 0:
        shown = repr(value) if isinstance(value, str) else f"{type(value).__name__} {value!r}"
        raise ValueError(
            "must be a positive whole number of minutes, hours, days or weeks written as text, "
            f'e.g. "24h", "90 minutes" or "2 days", got {shown}'
        )
    unit = _DURATION_UNITS[match["unit"][0]]
    return timedelta(**{unit: int(match["count"])})


class RetryConfig(_Strict):
    """One request's retry budget on a system; unset keys keep the SDK's defaults.

    `max_attempts` counts attempts that failed for a reason other than a rate limit (5xx,
    timeouts, dropped connections); a 429 is retried, after its `Retry-After`, for as long as
    `max_total_seconds` (the request's whole time, waits included) lasts.
    """

    max_attempts: int | None = Field(default=None, ge=1, le=100)
    max_total_seconds: float | None = Field(default=None, gt=0, le=86_400)

    def policy(self, base: RetryPolicy | None = None) -> RetryPolicy:
        """`base` (default: the SDK's `RetryPolicy()`) with the keys set here."""
        policy = base or RetryPolicy()
        if self.max_attempts is not None:
            policy = replace(policy, max_attempts=self.max_attempts)
        if self.max_total_seconds is not None:
            policy = replace(policy, max_total_seconds=self.max_total_seconds)
        return policy


class TypePair(_Strict):
    """One leave type of the source carried to one leave type of the target (vendor ids)."""

    source: str = Field(min_length=1)
    target: str = Field(min_length=1)
    kind: LeaveKind | None = None

    @field_validator("source", "target", mode="before")
    @classmethod
    def _ids_are_text(cls, value: object) -> object:
        # Numeric ids written without quotes are still ids: keep them as their text.
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return value


class SystemConfig(_Strict):
    """One configured system: which dialect, where, and how to authenticate."""

    vendor: str
    base_url: str = Field(min_length=1)
    credentials: dict[str, EnvVarName] = Field(default_factory=dict)
    options: dict[str, Any] = Field(default_factory=dict)
    requests_per_second: float | None = Field(default=20.0, gt=0)
    timeout_seconds: float = Field(default=30.0, gt=0)
    retry: RetryConfig | None = None

    @field_validator("vendor")
    @classmethod
    def _known_vendor(cls, value: str) -> str:
        if value not in registry.VENDORS:
            known = ", ".join(sorted(registry.VENDORS))
            raise ValueError(f"unknown vendor {value!r}; expected one of {known}")
        return value

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value


class SyncConfig(_Strict):
    """One direction of travel: balances of `types` from system `source` to system `target`."""

    name: str = Field(min_length=1)
    source: str
    target: str
    types: list[TypePair] = Field(min_length=1)
    figure: Figure = Figure.REMAINING
    rounding: RoundingConfig | None = None
    as_of: Literal["today"] | date = "today"
    max_source_age: timedelta | None = None
    allow_below_threshold: bool = False
    # When `balance-gateway serve` runs this sync: a five-field cron expression ("0 2 * * *")
    # in `[service] timezone`. Its syntax is checked when `serve` starts (the cron library is
    # part of the service extra); `plan` and `sync` ignore it.
    schedule: str | None = Field(default=None, min_length=1)

    @field_validator("max_source_age", mode="before")
    @classmethod
    def _age(cls, value: object) -> object:
        return None if value is None else parse_age(value)

    @field_validator("as_of", mode="before")
    @classmethod
    def _as_of(cls, value: object) -> object:
        # One clear message instead of pydantic's two, one per member of the union.
        if value == "today" or (isinstance(value, date) and not isinstance(value, datetime)):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        shown = value if isinstance(value, date) else repr(value)  # a TOML date-time
        raise ValueError(
            f'must be "today" or a date written YYYY-MM-DD (e.g. 2025-03-31), got {shown}'
        )

    def as_of_date(self, today: date) -> date:
        """The as-of date of this sync's balances: `today` when configured as "today"."""
        return today if self.as_of == "today" else self.as_of


class MappingConfig(_Strict):
    file: str = "employees.csv"


class ScheduleConfig(_Strict):
    hours_per_day: Decimal = Decimal(8)

    _hours = field_validator("hours_per_day", mode="before")(_decimal)

    @field_validator("hours_per_day")
    @classmethod
    def _working_day(cls, value: Decimal) -> Decimal:
        try:
            WorkSchedule(value)
        except CanonicalError as exc:
            raise ValueError(str(exc)) from None
        return value


def parse_quantity(text: str) -> Quantity:
    """`"30 days"`, `"7.5 hours"`, `"90 minutes"` as a Quantity; ValueError otherwise."""
    match = _QUANTITY.match(text)
    unit = _UNIT_WORDS.get(match["unit"]) if match else None
    if match is None or unit is None:
        raise ValueError(
            f"{text!r} is not an amount with a unit; write e.g. '10 days', '80 hours' or "
            "'600 minutes'"
        )
    try:
        return Quantity.of(Decimal(match["value"]), unit)
    except (InvalidOperation, CanonicalError) as exc:
        raise ValueError(str(exc)) from None


class GuardrailsConfig(_Strict):
    """Limits checked on the whole plan before anything is written.

    `max_change` bounds |after - before| of one balance. It is an amount with its unit and is
    converted to each target's unit with that person's working day; a balance whose current
    value is unknown (a write-only target never written) counts from 0.
    """

    max_change: str | None = "30 days"
    max_operations: int | None = Field(default=500, ge=0)

    @field_validator("max_change")
    @classmethod
    def _amount(cls, value: str | None) -> str | None:
        if value is not None:
            quantity = parse_quantity(value)
            if quantity.value <= 0:
                raise ValueError("must be greater than 0")
        return value

    def max_change_quantity(self) -> Quantity | None:
        return None if self.max_change is None else parse_quantity(self.max_change)


class ConcurrencyConfig(_Strict):
    max_in_flight: int = Field(default=16, ge=1, le=512)


DEFAULT_STATE_PATH = "balance-gateway.sqlite3"


class StateConfig(_Strict):
    """`path`: a SQLite file (relative to the config file; the default). `url`: a PostgreSQL
    database (`postgresql://user@host:5432/db`, the `scale` extra). One or the other."""

    path: str | None = None
    url: str | None = Field(default=None, repr=False)  # may hold a password

    @field_validator("url")
    @classmethod
    def _postgres_url(cls, value: str | None) -> str | None:
        if value is not None:
            problem = url_problem(value)
            if problem is not None:
                # The message names the key, never the value: a URL may hold a password.
                raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _one_store(self) -> StateConfig:
        if self.path is not None and self.url is not None:
            raise ValueError(
                "give either `path` (a SQLite file) or `url` (a PostgreSQL database), not both"
            )
        return self

    def store(self, base: Path) -> StateStore:
        if self.url is not None:
            return StateStore(url=self.url)
        return StateStore(path=base / (self.path or DEFAULT_STATE_PATH))


class DistributedConfig(_Strict):
    """`balance-gateway sync --distributed` and `balance-gateway worker`: Celery on Redis.

    `broker` is a Redis URL: Celery's broker and result store, and where every process keeps
    the systems' shared token buckets. A unit is delivered again to another worker when it is
    not acknowledged within `visibility_timeout_seconds` (its worker died): keep it well above
    the time one unit takes, or a slow unit is run twice at once (see docs/distributed.md)."""

    broker: str = "redis://127.0.0.1:6379/0"
    batch_size: int = Field(default=50, ge=1, le=100_000)
    visibility_timeout_seconds: float = Field(default=3600, gt=0)
    queue: str = Field(default="balance-gateway", min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")

    @field_validator("broker")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(
                "the broker must be a Redis URL (redis://host:port/db or rediss://...), "
                f"got an {value.split('://')[0]}:// URL"
                if "://" in value
                else "the broker must be a Redis URL, e.g. redis://127.0.0.1:6379/0"
            )
        return value


DEFAULT_PLAN_MAX_AGE = timedelta(hours=24)


class PlansConfig(_Strict):
    """Saved plans (`plan --out`, `sync --plan`): how old a plan may be when it is applied.

    ASSUMED default: 24 hours, long enough to review a plan made the evening before, short
    enough that the source figures it carries are still the day's."""

    max_age: timedelta = DEFAULT_PLAN_MAX_AGE

    @field_validator("max_age", mode="before")
    @classmethod
    def _age(cls, value: object) -> object:
        return parse_duration(value)


class ServiceConfig(_Strict):
    """`balance-gateway serve`: the time zone of the syncs' schedules, and who may call it.

    Tokens are ENVIRONMENT VARIABLE NAMES, like credentials, read when `serve` starts. A read
    token sees everything (systems, balances, drift, runs, plans); an operator token may also
    apply a plan.
    """

    timezone: str = "UTC"
    read_tokens: list[EnvVarName] = Field(default_factory=list)
    operator_tokens: list[EnvVarName] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as UTC or Europe/Helsinki"
            ) from None
        return value


class ConfigFile(_Strict):
    """The TOML document, as written."""

    systems: dict[str, SystemConfig]
    syncs: list[SyncConfig] = Field(min_length=1)
    mapping: MappingConfig = Field(default_factory=MappingConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    guardrails: GuardrailsConfig = Field(default_factory=GuardrailsConfig)
    concurrency: ConcurrencyConfig = Field(default_factory=ConcurrencyConfig)
    state: StateConfig = Field(default_factory=StateConfig)
    plans: PlansConfig = Field(default_factory=PlansConfig)
    service: ServiceConfig = Field(default_factory=ServiceConfig)
    distributed: DistributedConfig | None = None


@dataclass(frozen=True)
class Config:
    """A loaded, checked configuration: the file as written plus what it points at.

    `credentials` maps system name -> credential key -> Secret (empty when loaded without
    credentials, e.g. to list runs); `mapping` is None when loaded without the mapping.
    """

    path: Path
    file: ConfigFile
    credentials: Mapping[str, Mapping[str, Secret]]
    mapping: EmployeeMapping | None
    state: StateStore

    @property
    def state_path(self) -> Path:
        """The SQLite state file; only for a configuration whose store is a file."""
        if self.state.path is None:
            raise ValueError(
                f"{self.path} keeps its state in PostgreSQL ({self.state}), not a file"
            )
        return self.state.path

    @property
    def schedule(self) -> WorkSchedule:
        return WorkSchedule(self.file.schedule.hours_per_day)

    def sync(self, name: str) -> SyncConfig:
        """The sync called `name`; ConfigError listing the configured names otherwise."""
        for sync in self.file.syncs:
            if sync.name == name:
                return sync
        names = ", ".join(s.name for s in self.file.syncs)
        raise ConfigError(self.path, "syncs", f"no sync is called {name!r}; configured: {names}")

    def selected_syncs(self, name: str | None) -> list[SyncConfig]:
        """Every sync, or only the one called `name`."""
        return list(self.file.syncs) if name is None else [self.sync(name)]


def _key(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _inner_model(annotation: Any, keyed: bool) -> Any:
    """The model inside `dict[str, M]`, `list[M]`, `M | None` or `M` (as the type to descend
    into next: a dict or list is entered through its key or index in the same step)."""
    args = [a for a in getattr(annotation, "__args__", ()) if a is not type(None)]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if args:
        inner = args[-1]
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            # `M | None` is the model itself; only a dict or list is entered by key or index.
            origin = get_origin(annotation)
            collection = isinstance(origin, type) and issubclass(origin, Mapping | Sequence)
            return _Collection(inner) if keyed and collection else inner
    return None


@dataclass(frozen=True)
class _Collection:
    """A dict or list of models: the next key (a name or an index) selects one."""

    model: type[BaseModel]


def _did_you_mean(word: str, valid: Sequence[str]) -> str:
    """`; did you mean 'x'? valid keys: a, b, c` for an unknown key `word`."""
    close = difflib.get_close_matches(word, valid, n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else ";"
    return f"{hint} valid keys: {', '.join(valid)}"


def _unknown_key(loc: Sequence[int | str]) -> str:
    """The extra text for pydantic's "extra inputs are not permitted" at `loc`."""
    parent = _model_at_collection(loc[:-1])
    if parent is None or not isinstance(loc[-1], str):
        return ""
    return _did_you_mean(loc[-1], list(parent.model_fields))


def _model_at_collection(loc: Sequence[int | str]) -> type[BaseModel] | None:
    model: Any = ConfigFile
    for part in loc:
        if isinstance(model, _Collection):
            model = model.model
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or isinstance(part, int):
            return None
        field = model.model_fields.get(part)
        if field is None:
            return None
        model = _inner_model(field.annotation, keyed=True)
    if isinstance(model, _Collection):
        return None
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


# pydantic's wording of the two errors people make most, in a configuration's terms.
_PLAIN_WORDS = {"missing": "missing: this key is required", "extra_forbidden": "an unknown key"}


def _pydantic_errors(path: Path, exc: ValidationError) -> ConfigError:
    # Only loc and msg are used: pydantic's own rendering repeats the input, which may be a secret.
    problems = []
    for error in exc.errors():
        message = _PLAIN_WORDS.get(error["type"]) or error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message += _unknown_key(error["loc"])
        problems.append((_key(error["loc"]), message))
    key, message = problems[0]
    if len(problems) > 1:
        message += "; and " + "; ".join(f"{k}: {m}" for k, m in problems[1:])
    return ConfigError(path, key, message)


def _check_references(path: Path, doc: ConfigFile) -> None:
    for name in doc.systems:
        if not SYSTEM_NAME.match(name):
            raise ConfigError(
                path,
                f"systems.{name}",
                "a system name starts with a letter and holds only letters, digits, '_', '.' "
                "and '-' (it is also the mapping CSV's column name)",
            )
    seen: set[str] = set()
    for index, sync in enumerate(doc.syncs):
        where = f"syncs[{index}]"
        if sync.name in seen:
            raise ConfigError(path, f"{where}.name", f"the sync name {sync.name!r} is used twice")
        seen.add(sync.name)
        for role in ("source", "target"):
            system = getattr(sync, role)
            if system not in doc.systems:
                known = ", ".join(sorted(doc.systems)) or "none"
                raise ConfigError(
                    path,
                    f"{where}.{role}",
                    f"no system is called {system!r}; configured: {known}",
                )
        if sync.source == sync.target:
            raise ConfigError(path, f"{where}.target", "a sync needs two different systems")
        pairs: set[str] = set()
        for i, pair in enumerate(sync.types):
            if pair.target in pairs:
                raise ConfigError(
                    path,
                    f"{where}.types[{i}].target",
                    f"target type {pair.target!r} is written twice by this sync",
                )
            pairs.add(pair.target)


def sync_dependencies(syncs: Sequence[SyncConfig]) -> dict[str, list[str]]:
    """For each sync, the syncs among `syncs` that feed it: those writing, in its source system,
    a leave type it reads (its source system and one of its source types are their target
    system and one of their target types). Name -> names, in the order of `syncs`."""
    return {
        reader.name: [
            writer.name
            for writer in syncs
            if writer.name != reader.name
            and writer.target == reader.source
            and {p.target for p in writer.types} & {p.source for p in reader.types}
        ]
        for reader in syncs
    }


class SyncCycle(ValueError):
    """Syncs feed each other in a cycle; `names` are the syncs on it (or waiting on it)."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)
        super().__init__(
            f"syncs {', '.join(self.names)} feed each other in a cycle (each one's source "
            "system and type is another's target system and type), so no order can apply them "
            "without one undoing another; split them into separate configurations"
        )


def sync_waves(syncs: Sequence[SyncConfig]) -> list[list[SyncConfig]]:
    """`syncs` in dependency order, as waves: a sync's wave comes after every wave holding a
    sync that feeds it (`sync_dependencies`); syncs in one wave are independent. Each wave
    keeps the order of `syncs`. Raises SyncCycle naming the syncs that cannot be ordered."""
    feeds = sync_dependencies(syncs)
    placed: set[str] = set()
    waves: list[list[SyncConfig]] = []
    remaining = list(syncs)
    while remaining:
        wave = [s for s in remaining if all(d in placed for d in feeds[s.name])]
        if not wave:
            # Name the syncs on a cycle: drop, over and over, those feeding none of the rest.
            stuck = {s.name for s in remaining}
            while True:
                fed = {d for name in stuck for d in feeds[name] if d in stuck}
                if fed == stuck:
                    break
                stuck = fed
            raise SyncCycle([s.name for s in remaining if s.name in stuck])
        waves.append(wave)
        placed.update(s.name for s in wave)
        remaining = [s for s in remaining if s.name not in placed]
    return waves


def _check_sync_cycles(path: Path, doc: ConfigFile) -> None:
    try:
        sync_waves(doc.syncs)
    except SyncCycle as exc:
        raise ConfigError(path, "syncs", str(exc)) from None


def _vendor_options(path: Path, name: str, system: SystemConfig) -> AdapterOptions | None:
    """`system.options` as its adapter's `Options` (None: the vendor is not installed, which
    building the adapters reports); ConfigError naming the option otherwise. A typo there
    would otherwise be ignored, and the option silently not applied."""
    if system.vendor not in known_vendors():
        return None
    model = adapter_module(system.vendor).Options
    try:
        options = model.model_validate(system.options)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = [str(part) for part in error["loc"]]
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            valid = list(model.model_fields)
            hint = _did_you_mean(loc[-1], valid) if valid else f"; {system.vendor} takes none"
            message = f"unknown option for {system.vendor}{hint}"
        key = ".".join([f"systems.{name}.options", *loc])
        raise ConfigError(path, key, message) from None
    assert isinstance(options, AdapterOptions)
    return options


def _check_systems(path: Path, doc: ConfigFile) -> None:
    """Each system's options against its adapter's `Options`, and its credential keys against
    the adapter's `CREDENTIAL_KEYS` (or the keys its options name): a missing or misspelt key
    is said at load time, naming the key, never a value."""
    for name, system in doc.systems.items():
        options = _vendor_options(path, name, system)
        if options is None:
            continue
        default = adapter_module(system.vendor).CREDENTIAL_KEYS
        sets = options.credential_sets(default)
        have = set(system.credentials)
        if any(set(keys) <= have for keys in sets):
            valid = sorted({key for keys in (*sets, *default) for key in keys})
            unknown = sorted(have - set(valid))
            if not unknown:
                continue
            raise ConfigError(
                path,
                f"systems.{name}.credentials.{unknown[0]}",
                f"{system.vendor} takes no credential {unknown[0]!r}"
                + _did_you_mean(unknown[0], valid),
            )
        wanted = " or ".join("{" + ", ".join(keys) + "}" for keys in sets)
        raise ConfigError(
            path,
            f"systems.{name}.credentials",
            f"{system.vendor} needs the credential keys {wanted}; this system has "
            f"{', '.join(sorted(have)) or 'none'}",
        )


def _read_credentials(
    path: Path, doc: ConfigFile, env: Mapping[str, str]
) -> dict[str, dict[str, Secret]]:
    """Every credential from its environment variable; one ConfigError naming every variable
    that is not set, so that they can all be exported at once."""
    resolved: dict[str, dict[str, Secret]] = {}
    missing: list[tuple[str, str]] = []
    for name, system in doc.systems.items():
        secrets: dict[str, Secret] = {}
        for key, variable in system.credentials.items():
            value = env.get(variable)
            if not value:
                missing.append((f"systems.{name}.credentials.{key}", variable))
                continue
            secrets[key] = Secret(value)
        resolved[name] = secrets
    if missing:
        (key, variable), rest = missing[0], missing[1:]
        message = f"environment variable {variable} is not set (or empty)"
        if rest:
            message += "; and " + "; ".join(
                f"{k}: environment variable {v} is not set (or empty)" for k, v in rest
            )
            message += f"; export all {len(missing)} before running"
        else:
            message += "; export it before running"
        raise ConfigError(path, key, message)
    return resolved


_TOML_WHERE = re.compile(r" \(at line (\d+), column (\d+)\)$")


def _toml_error(path: Path, exc: tomllib.TOMLDecodeError) -> ConfigError:
    """The syntax error, with its line as the error's `line` (tomllib on Python 3.11 has it
    only in the message, "... (at line 5, column 2)")."""
    found = _TOML_WHERE.search(str(exc))
    if found is None:
        return ConfigError(path, None, f"not valid TOML: {exc}")
    problem = _TOML_WHERE.sub("", str(exc))
    return ConfigError(
        path, None, f"not valid TOML at column {found[2]}: {problem}", line=int(found[1])
    )


def load_config(
    path: Path | str,
    *,
    env: Mapping[str, str] | None = None,
    with_credentials: bool = True,
    with_mapping: bool = True,
) -> Config:
    """Load and check the configuration at `path`.

    `env` is where credential variables are looked up (default: the process environment).
    `with_credentials=False` / `with_mapping=False` skip reading secrets / the CSV (for commands
    that only read the state store). Raises ConfigError naming the file and the key (and the
    line, for the mapping CSV) for every problem found.
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(path, None, f"cannot read the configuration: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise not_utf8(path, exc) from None
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(path, exc) from None
    try:
        doc = ConfigFile.model_validate(raw)
    except ValidationError as exc:
        raise _pydantic_errors(path, exc) from None
    _check_references(path, doc)
    _check_systems(path, doc)
    _check_sync_cycles(path, doc)
    base = path.parent
    credentials = (
        _read_credentials(path, doc, os.environ if env is None else env) if with_credentials else {}
    )
    mapping = None
    if with_mapping:
        used = sorted({s for sync in doc.syncs for s in (sync.source, sync.target)})
        mapping = load_mapping(base / doc.mapping.file, sorted(doc.systems), used)
    return Config(
        path=path,
        file=doc,
        credentials=credentials,
        mapping=mapping,
        state=doc.state.store(base),
    )


def state_path_only(path: Path | str) -> Path:
    """The SQLite state store path of the configuration at `path`, reading nothing else.

    Raises ConfigError like `load_config` (ValueError when its store is PostgreSQL).
    """
    return load_config(path, with_credentials=False, with_mapping=False).state_path


@dataclass(frozen=True)
class CredentialStatus:
    """One credential of a system: its key, the environment variable naming it, and whether
    that variable is set (its value is never held here)."""

    key: str
    variable: str
    is_set: bool


def credential_status(
    config: Config, env: Mapping[str, str] | None = None
) -> dict[str, list[CredentialStatus]]:
    """Per system, which credential variables are set (for `balance-gateway systems`)."""
    environment = os.environ if env is None else env
    return {
        name: [
            CredentialStatus(key, variable, bool(environment.get(variable)))
            for key, variable in system.credentials.items()
        ]
        for name, system in config.file.systems.items()
    }


def with_credentials_for(
    config: Config, names: Collection[str], env: Mapping[str, str] | None = None
) -> Config:
    """`config` with the credentials of the systems `names` read from the environment.
    Raises ConfigError naming every variable that is not set, all at once."""
    status = credential_status(config, env)
    missing = [(name, c) for name in names for c in status.get(name, []) if not c.is_set]
    if missing:
        keys = ", ".join(f"systems.{n}.credentials.{c.key}" for n, c in missing)
        variables = " ".join(c.variable for _n, c in missing)
        raise ConfigError(
            config.path, keys, f"environment variables not set (or empty): {variables}"
        )
    environment = os.environ if env is None else env
    credentials = {
        name: {
            key: Secret(environment[variable])
            for key, variable in config.file.systems[name].credentials.items()
        }
        for name in names
    }
    return replace(config, credentials={**config.credentials, **credentials})
