"""What `serve` needs beyond the sync configuration: each sync's schedule, checked with the cron
library, and the callers' tokens, read from the environment variables `[service]` names.

    [service]
    timezone = "Europe/Helsinki"                  # of every `schedule` (default UTC)
    read_tokens = ["GATEWAY_READ_TOKEN"]          # environment variable NAMES
    operator_tokens = ["GATEWAY_OPERATOR_TOKEN"]  # may also apply plans

    [[syncs]]
    name = "hr-to-kenjo"
    schedule = "0 2 * * *"                        # every night at 02:00 in that time zone

Every problem is a `ConfigError` naming the file and the key, never a token's value.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from cronsim import CronSim, CronSimError

from balance_gateway.adapters._core.secrets import Secret
from balance_gateway.gateway.config import Config, sync_waves
from balance_gateway.gateway.errors import ConfigError

# A token guards writes to every configured system: refuse ones a person could guess.
MIN_TOKEN_LENGTH = 16


class Role(StrEnum):
    """What a caller may do. An operator may do everything a reader may."""

    READ = "read"  # systems, balances, drift, runs, plans (a plan writes nothing)
    OPERATOR = "operator"  # also apply a plan

    def allows(self, needed: Role) -> bool:
        return self is Role.OPERATOR or needed is Role.READ


@dataclass(frozen=True)
class Schedule:
    """When one sync runs: a five-field cron expression in a time zone."""

    sync: str
    expression: str
    timezone: ZoneInfo

    def next_after(self, moment: datetime) -> datetime:
        """The first time strictly after `moment` (an aware datetime) the schedule fires, in
        the schedule's time zone (DST handled by the cron library)."""
        return next(CronSim(self.expression, moment.astimezone(self.timezone)))


@dataclass(frozen=True)
class Tokens:
    """The accepted bearer tokens and the role each one gives."""

    entries: tuple[tuple[Secret, Role], ...]

    def role_of(self, presented: str) -> Role | None:
        """The role of `presented`, or None when it is no configured token. Compares every
        token in constant time, so the answer's timing does not tell how close a guess was."""
        found: Role | None = None
        given = presented.encode()
        for secret, role in self.entries:
            if hmac.compare_digest(given, secret.reveal().encode()) and (
                found is None or role is Role.OPERATOR
            ):
                found = role
        return found

    def __bool__(self) -> bool:
        return bool(self.entries)


@dataclass(frozen=True)
class ServiceSettings:
    """Schedules (sync name -> Schedule, only the syncs that have one), the order syncs due at
    the same minute run in (dependency order, `gateway.config.sync_waves`), and the tokens."""

    schedules: Mapping[str, Schedule]
    run_order: tuple[str, ...]
    tokens: Tokens
    timezone: ZoneInfo


def _schedules(config: Config, zone: ZoneInfo) -> dict[str, Schedule]:
    found: dict[str, Schedule] = {}
    probe = datetime.now(zone)
    for index, sync in enumerate(config.file.syncs):
        if sync.schedule is None:
            continue
        expression = " ".join(sync.schedule.split())
        try:
            CronSim(expression, probe)
        except CronSimError as exc:
            raise ConfigError(
                config.path,
                f"syncs[{index}].schedule",
                f"{sync.schedule!r} is not a cron schedule ({exc}); write five fields, minute "
                'hour day-of-month month day-of-week, e.g. "0 2 * * *" for 02:00 every day',
            ) from None
        found[sync.name] = Schedule(sync.name, expression, zone)
    return found


def _tokens(config: Config, env: Mapping[str, str]) -> Tokens:
    service = config.file.service
    entries: list[tuple[Secret, Role]] = []
    groups: Sequence[tuple[str, list[str], Role]] = (
        ("read_tokens", service.read_tokens, Role.READ),
        ("operator_tokens", service.operator_tokens, Role.OPERATOR),
    )
    for key, names, role in groups:
        for index, variable in enumerate(names):
            where = f"service.{key}[{index}]"
            value = env.get(variable)
            if not value:
                raise ConfigError(
                    config.path,
                    where,
                    f"environment variable {variable} is not set (or empty); export the token "
                    "before starting serve",
                )
            if len(value) < MIN_TOKEN_LENGTH:
                raise ConfigError(
                    config.path,
                    where,
                    f"the token in {variable} is shorter than {MIN_TOKEN_LENGTH} characters; use "
                    "a long random one (e.g. python3 -c 'import secrets; "
                    "print(secrets.token_urlsafe(32))')",
                )
            entries.append((Secret(value), role))
    if not entries:
        raise ConfigError(
            config.path,
            "service",
            "serve needs at least one token to let anyone in: add "
            '`operator_tokens = ["GATEWAY_OPERATOR_TOKEN"]` (and/or read_tokens) under '
            "[service], naming environment variables that hold the tokens",
        )
    return Tokens(tuple(entries))


def load_service_settings(config: Config, env: Mapping[str, str]) -> ServiceSettings:
    """Check the schedules and read the tokens of `config` (tokens from `env`).

    Raises ConfigError naming the key: a schedule that is not cron, a token variable that is
    not set or holds a short token, or no token at all."""
    zone = ZoneInfo(config.file.service.timezone)  # checked when the config was loaded
    schedules = _schedules(config, zone)
    order = tuple(s.name for wave in sync_waves(config.file.syncs) for s in wave)
    return ServiceSettings(
        schedules=schedules, run_order=order, tokens=_tokens(config, env), timezone=zone
    )
