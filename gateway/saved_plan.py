"""Saved plans: `plan --out plan.json` writes one, `sync --plan plan.json` applies it as reviewed.

    {"format": "balance-gateway-plan", "version": 1, "created_at": "...Z", "tool_version": ...,
     "config": {"digest": "sha256:...", "config_file": {...}, "mapping_file": {...}},
     "syncs": [{"name", "source", "target", "as_of", "error", "rows": [...]}]}

Each row keeps what the engine needs to apply it as it was planned: the source figure, the
target's value it was planned against (`target_before`), the value it sets (`target_after`) and
the write itself (`write`: the value, its date, the source). Nothing else is planned again when
it is applied; `gateway.engine` checks each row against the target first.

The config digest covers the bytes of the TOML file and of the mapping CSV it names: a saved plan
is refused when either changed. Credentials are not in it (the TOML names environment variables;
their values never reach this module), and nor is anything else secret: notes are scrubbed.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

from balance_gateway import __version__
from balance_gateway.adapters._core.adapter import OperationKind, WriteIntent
from balance_gateway.adapters._core.secrets import scrub
from balance_gateway.canonical import (
    AsOfBasis,
    EmployeeRef,
    LeaveKind,
    LeaveTypeRef,
    Quantity,
    Unit,
    WorkSchedule,
)
from balance_gateway.gateway.config import Config
from balance_gateway.gateway.errors import ConfigError
from balance_gateway.gateway.plan import PlanRow, SyncPlan

FORMAT = "balance-gateway-plan"
VERSION = 1
# A plan "made" later than now by more than this is refused: its age would mean nothing.
CLOCK_SLACK = timedelta(minutes=5)


class PlanFileError(ConfigError):
    """A saved plan that cannot be used: unreadable, malformed, another format or version,
    made with another configuration, or too old. Names the plan file (CLI exit code 2)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SavedQuantity(_Model):
    value: Decimal
    unit: Unit

    @classmethod
    def of(cls, q: Quantity | None) -> SavedQuantity | None:
        return None if q is None else cls(value=q.value, unit=q.unit)

    def quantity(self) -> Quantity:
        return Quantity(self.value, self.unit)


def _quantity(saved: SavedQuantity | None) -> Quantity | None:
    return None if saved is None else saved.quantity()


class SavedWrite(_Model):
    """The write of a row (a `WriteIntent`). `operation_id` is the one the plan showed; the
    run applying it writes with an id of its own (notes naming the planned one say so)."""

    operation_id: str = ""
    remaining: SavedQuantity
    as_of: date
    source: str
    allow_below_threshold: bool = False


class SavedRow(_Model):
    sync: str
    source_system: str
    target_system: str
    source_employee: str | None
    target_employee: str | None
    source_type: str
    target_type: str | None
    leave_kind: LeaveKind | None = None
    operation: OperationKind
    source_value: SavedQuantity | None = None
    source_as_of: date | None = None
    source_as_of_basis: AsOfBasis | None = None
    source_age_days: int | None = None
    # The target's value the row was planned against, and the value it leaves there.
    target_before: SavedQuantity | None = None
    target_after: SavedQuantity | None = None
    write: SavedWrite | None = None
    hours_per_day: Decimal
    mapping_line: int | None = None
    failed: bool = False
    note: str = ""


class SavedSync(_Model):
    name: str
    source: str
    target: str
    as_of: date
    error: str | None = None
    rows: list[SavedRow]


class FileDigest(_Model):
    path: str
    sha256: str


class ConfigDigest(_Model):
    digest: str  # over both files below
    config_file: FileDigest
    mapping_file: FileDigest


class SavedPlan(_Model):
    format: Literal["balance-gateway-plan"]
    version: Literal[1]
    created_at: AwareDatetime
    tool_version: str
    config: ConfigDigest
    syncs: list[SavedSync]

    @property
    def sync_names(self) -> list[str]:
        return [s.name for s in self.syncs]

    def to_plans(self, names: Sequence[str] | None = None) -> list[SyncPlan]:
        """The saved syncs (default: all; else those in `names`) as the engine's plans. Their
        write intents carry the planned operation id and no run id: the run applying them
        gives both (`Engine.sync(reviewed=...)`)."""
        return [
            SyncPlan(
                sync=s.name,
                source=s.source,
                target=s.target,
                as_of=s.as_of,
                rows=tuple(_plan_row(r) for r in s.rows),
                error=s.error,
            )
            for s in self.syncs
            if names is None or s.name in names
        ]


def _saved_row(row: PlanRow) -> SavedRow:
    intent = row.intent
    return SavedRow(
        sync=row.sync,
        source_system=row.source_system,
        target_system=row.target_system,
        source_employee=row.source_employee,
        target_employee=row.target_employee,
        source_type=row.source_type,
        target_type=row.target_type,
        leave_kind=row.leave_kind,
        operation=row.operation,
        source_value=SavedQuantity.of(row.source_value),
        source_as_of=row.source_as_of,
        source_as_of_basis=row.source_as_of_basis,
        source_age_days=row.source_age_days,
        target_before=SavedQuantity.of(row.before),
        target_after=SavedQuantity.of(row.after),
        write=None
        if intent is None
        else SavedWrite(
            operation_id=intent.operation_id,
            remaining=SavedQuantity(value=intent.remaining.value, unit=intent.remaining.unit),
            as_of=intent.as_of,
            source=intent.source,
            allow_below_threshold=intent.allow_below_threshold,
        ),
        hours_per_day=row.schedule.hours_per_day,
        mapping_line=row.mapping_line,
        failed=row.failed,
        note=scrub(row.note),
    )


def _plan_row(saved: SavedRow) -> PlanRow:
    intent = None
    if saved.write is not None and saved.target_employee and saved.target_type:
        intent = WriteIntent(
            operation_id=saved.write.operation_id,
            run_id="",
            employee=EmployeeRef(saved.target_system, saved.target_employee),
            leave_type=LeaveTypeRef(saved.target_system, saved.target_type, saved.leave_kind),
            remaining=saved.write.remaining.quantity(),
            as_of=saved.write.as_of,
            source=saved.write.source,
            allow_below_threshold=saved.write.allow_below_threshold,
        )
    return PlanRow(
        sync=saved.sync,
        source_system=saved.source_system,
        target_system=saved.target_system,
        source_employee=saved.source_employee,
        target_employee=saved.target_employee,
        source_type=saved.source_type,
        target_type=saved.target_type,
        operation=saved.operation,
        leave_kind=saved.leave_kind,
        source_value=_quantity(saved.source_value),
        before=_quantity(saved.target_before),
        after=_quantity(saved.target_after),
        note=saved.note,
        intent=intent,
        schedule=WorkSchedule(saved.hours_per_day),
        source_as_of=saved.source_as_of,
        source_as_of_basis=saved.source_as_of_basis,
        source_age_days=saved.source_age_days,
        mapping_line=saved.mapping_line,
        failed=saved.failed,
    )


def describe_saved(plan: SavedPlan, path: str = "") -> str:
    """`plan` (from the file `path`) in a sentence: "the saved plan PATH, made ... UTC"."""
    where = f" {path}" if path else ""
    return f"the saved plan{where}, made {plan.created_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


# -- the configuration's digest -------------------------------------------------------------


def _file_digest(path: Path, config_path: Path) -> FileDigest:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(config_path, None, f"cannot read {path}: {exc.strerror}") from None
    return FileDigest(path=str(path), sha256=hashlib.sha256(data).hexdigest())


def config_digest(config: Config) -> ConfigDigest:
    """The digest of `config`'s TOML file and the mapping CSV it names (their bytes as they
    are on disk now; never a credential: the file holds variable names only)."""
    config_file = _file_digest(config.path, config.path)
    mapping_file = _file_digest(config.path.parent / config.file.mapping.file, config.path)
    both = hashlib.sha256(f"{config_file.sha256}\n{mapping_file.sha256}\n".encode())
    return ConfigDigest(
        digest="sha256:" + both.hexdigest(), config_file=config_file, mapping_file=mapping_file
    )


# -- writing and reading --------------------------------------------------------------------


def saved_plan(plans: Sequence[SyncPlan], digest: ConfigDigest, made: datetime) -> SavedPlan:
    """`plans` (of `run_plan`) as a saved plan of the configuration of `digest` (taken when it
    was loaded), made at `made` (when planning began: its age counts from the first read)."""
    return SavedPlan(
        format=FORMAT,
        version=VERSION,
        created_at=made.astimezone(UTC),
        tool_version=__version__,
        config=digest,
        syncs=[
            SavedSync(
                name=p.sync,
                source=p.source,
                target=p.target,
                as_of=p.as_of,
                error=None if p.error is None else scrub(p.error),
                rows=[_saved_row(r) for r in p.rows],
            )
            for p in plans
        ],
    )


def save_plan(plan: SavedPlan, path: Path) -> None:
    """Write `plan` to `path` atomically: a temporary file beside it, then a rename, so that a
    reader never sees half a plan and a failed write leaves an earlier file as it was."""
    text = scrub(json.dumps(plan.model_dump(mode="json"), indent=2)) + "\n"
    folder = path.parent if str(path.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise PlanFileError(path, None, f"cannot write the plan: {exc.strerror}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise PlanFileError(path, None, f"cannot write the plan: {exc.strerror}") from None


def _location(loc: Sequence[int | str]) -> str:
    key = ""
    for part in loc:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key


def load_plan(path: Path) -> SavedPlan:
    """The saved plan at `path`. Raises PlanFileError naming the file and what is wrong: not
    readable, not JSON (with the line), not a saved plan, another version, a bad field."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanFileError(path, None, f"cannot read the plan: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise PlanFileError(path, None, "not a saved plan: the file is not UTF-8 text") from None
    try:
        raw: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanFileError(
            path, None, f"not valid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno
        ) from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise PlanFileError(
            path, None, f'not a saved plan (no "format": "{FORMAT}"); make one with plan --out'
        )
    if raw.get("version") != VERSION:
        raise PlanFileError(
            path,
            "version",
            f"a saved plan of version {raw.get('version')!r}; this balance-gateway "
            f"({__version__}) reads version {VERSION}: plan again with this version",
        )
    try:
        return SavedPlan.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        more = exc.error_count() - 1
        extra = f" (and {more} more problem(s))" if more else ""
        raise PlanFileError(path, _location(first["loc"]), first["msg"] + extra) from None


def _age_text(age: timedelta) -> str:
    minutes = int(age.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} minutes"
    hours = minutes // 60
    return f"{hours} hours" if hours < 72 else f"{hours // 24} days"


def check_plan(
    plan: SavedPlan,
    path: Path,
    config: Config,
    *,
    max_age: timedelta,
    sync_name: str | None = None,
    now: datetime | None = None,
) -> None:
    """Refuse (PlanFileError naming `path`) a plan made with another configuration (saying which
    file changed), older than `max_age` (or made in the future, beyond `CLOCK_SLACK`), or
    without the sync `sync_name` (when given)."""
    current = config_digest(config)
    saved = plan.config
    if saved.digest != current.digest:
        changed = [
            f"{now_file.path}"
            for was, now_file in (
                (saved.config_file, current.config_file),
                (saved.mapping_file, current.mapping_file),
            )
            if was.sha256 != now_file.sha256
        ]
        what = " and ".join(changed) if changed else "the configuration"
        if Path(saved.config_file.path).resolve() != Path(current.config_file.path).resolve():
            # Another file altogether: "X changed" would send the user looking at the wrong one.
            problem = (
                f"the plan was made with the configuration {saved.config_file.path}, not "
                f"{current.config_file.path}; apply it with that one, or plan again"
            )
        else:
            problem = (
                f"the plan was made with another configuration: {what} changed since "
                f"{plan.created_at:%Y-%m-%d %H:%M} UTC; plan again"
            )
        raise PlanFileError(path, "config.digest", problem)
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    age = moment - plan.created_at
    if age < -CLOCK_SLACK:
        raise PlanFileError(
            path,
            "created_at",
            f"the plan says it was made {plan.created_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC, "
            "which is still to come: check this machine's clock (or the file); plan again",
        )
    if age > max_age:
        raise PlanFileError(
            path,
            "created_at",
            f"the plan was made {plan.created_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC, "
            f"{_age_text(age)} ago: older than the maximum age ({_age_text(max_age)}; "
            "[plans] max_age or --max-plan-age); plan again",
        )
    if sync_name is not None and sync_name not in plan.sync_names:
        planned = ", ".join(plan.sync_names) or "none"
        raise PlanFileError(path, "syncs", f"the plan has no sync {sync_name!r}; it has: {planned}")
