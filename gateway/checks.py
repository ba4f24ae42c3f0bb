"""Checks of the configuration against the systems themselves, before anything is written.

A leave-type id in `[[syncs]].types` that the system does not have is a configuration error
(CLI exit code 2) naming the key, the value and the types the system has, where its API lists
them all (`Discovery.list_leave_types`). Without this, a target typo failed deep inside
planning and a source typo read as "no balance" (`skip`, exit 0) for everyone.
"""

from __future__ import annotations

import asyncio
import difflib
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import TypeVar

from balance_gateway.adapters._core.adapter import BalanceAdapter
from balance_gateway.adapters._core.discovery import Discovery
from balance_gateway.adapters._core.errors import GatewayError
from balance_gateway.gateway.config import Config
from balance_gateway.gateway.errors import ConfigError

# At most this many of a system's types are listed in a message.
MAX_LISTED = 30

_T = TypeVar("_T")


Check = Callable[[], Awaitable[None]]


def start_check(check: Check | None) -> asyncio.Future[None] | None:
    """`check()` started, to run alongside the work `passed_first` then waits for."""
    return None if check is None else asyncio.ensure_future(check())


async def passed_first(check: asyncio.Future[None] | None, work: Awaitable[_T]) -> _T:
    """`work` (reads only), once `check` (started before it, running alongside it) passed too:
    a check that fails raises its error once the work is done, and the work is dropped; so
    does one failing while the work failed (the configuration it finds wrong is likelier the
    cause than not). The check of the leave types lists a system's types while the plan reads,
    instead of holding up every read (an adapter whose type listing reads what its balances
    read shares it with the read). The work is let finish rather than cancelled mid-answer:
    it only reads, and a typo's error comes a read's time later, not sooner."""
    if check is None:
        return await work
    try:
        result = await work
    except Exception:
        await check
        raise
    except BaseException:  # interrupted: nothing more is waited for
        check.cancel()
        await asyncio.gather(check, return_exceptions=True)
        raise
    await check
    return result


async def _known_types(adapter: BalanceAdapter) -> list[str] | None:
    """The system's leave-type ids, or None when it cannot list them all (a listing of only
    the types in use proves nothing about a missing one) or the listing failed: then the plan
    reports the read error itself."""
    if not isinstance(adapter, Discovery) or not adapter.capabilities.lists_every_leave_type:
        return None  # a listing of only the types in use is not asked for: it would be dropped
    try:
        listing = await adapter.list_leave_types()
    except (GatewayError, NotImplementedError):
        return None
    if not (listing.available and listing.complete):
        return None
    return [t.id for t in listing.items]


def _listing(known: list[str]) -> str:
    shown = ", ".join(known[:MAX_LISTED]) or "none"
    more = len(known) - MAX_LISTED
    return shown + (f" (and {more} more)" if more > 0 else "")


async def check_leave_types(
    config: Config, adapters: Mapping[str, BalanceAdapter], sync_names: Collection[str]
) -> None:
    """Raise ConfigError naming every configured leave type (of the syncs in `sync_names`) that
    its system does not have. Reads each system's types once, all systems at once; never
    writes."""
    selected = [(i, s) for i, s in enumerate(config.file.syncs) if s.name in sync_names]
    systems = list(dict.fromkeys(name for _, s in selected for name in (s.source, s.target)))
    # Every system at once: this check stands before the first write of every run.
    listed = await asyncio.gather(*(_known_types(adapters[name]) for name in systems))
    known = dict(zip(systems, listed, strict=True))
    problems: list[tuple[str, str]] = []
    for index, sync in selected:
        for role in ("source", "target"):
            system = sync.source if role == "source" else sync.target
            types = known[system]
            if types is None:
                continue
            for number, pair in enumerate(sync.types):
                value = pair.source if role == "source" else pair.target
                if value in types:
                    continue
                close = difflib.get_close_matches(value, types, n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                problems.append(
                    (
                        f"syncs[{index}].types[{number}].{role}",
                        f"system {system!r} ({adapters[system].vendor}) has no leave type "
                        f"{value!r}{hint}; it has: {_listing(types)}",
                    )
                )
    if problems:
        (key, message), rest = problems[0], problems[1:]
        if rest:
            message += "; and " + "; ".join(f"{k}: {m}" for k, m in rest)
        raise ConfigError(config.path, key, message)
