"""Asking the configured systems about themselves: the connection check of `systems`, the
listings of `discover`, and the directories `map` matches people across.

Every vendor error is caught per system and reported with it, so one unreachable system never
hides what the others said.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

import httpx

from balance_gateway.adapters._core.adapter import BalanceAdapter
from balance_gateway.adapters._core.discovery import (
    ConnectionCheck,
    DirectoryPerson,
    Discovery,
    LeaveTypeInfo,
    Listing,
)
from balance_gateway.adapters._core.errors import GatewayError
from balance_gateway.adapters._core.retry import RetryPolicy
from balance_gateway.adapters._core.secrets import scrub
from balance_gateway.gateway.config import Config
from balance_gateway.gateway.errors import SetupError
from balance_gateway.gateway.systems import open_systems

Progress = Callable[[str], None]


@dataclass(frozen=True)
class SystemCheck:
    """The connection check of one system: `ok` None when it could not be tried."""

    system: str
    ok: bool | None
    detail: str


def _discovery(name: str, adapter: BalanceAdapter) -> Discovery:
    if not isinstance(adapter, Discovery):
        raise SetupError(f"system {name!r} ({adapter.vendor}) cannot list people or leave types")
    return adapter


def _failure(exc: Exception) -> str:
    message = exc.message if isinstance(exc, GatewayError) else f"{type(exc).__name__}: {exc}"
    return scrub(message)


async def check_systems(
    config: Config,
    names: Collection[str],
    *,
    transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
) -> list[SystemCheck]:
    """Log in to each of `names` (whose credentials `config` holds) and make one small read."""
    async with open_systems(
        config, names, transports=transports, retry=RetryPolicy(max_attempts=2)
    ) as adapters:

        async def one(name: str) -> SystemCheck:
            try:
                result: ConnectionCheck = await _discovery(name, adapters[name]).check_connection()
            except (GatewayError, SetupError) as exc:
                return SystemCheck(name, False, _failure(exc))
            return SystemCheck(name, True if result.checked else None, result.detail)

        return list(await asyncio.gather(*(one(n) for n in names)))


async def list_people(
    config: Config,
    names: Collection[str],
    *,
    transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
    progress: Progress | None = None,
) -> dict[str, Listing[DirectoryPerson] | str]:
    """Each system's people (a `Listing`), or the error text when its listing failed."""
    async with open_systems(config, names, transports=transports) as adapters:

        async def one(name: str) -> Listing[DirectoryPerson] | str:
            try:
                listing = await _discovery(name, adapters[name]).list_people()
            except (GatewayError, SetupError) as exc:
                if progress is not None:
                    progress(f"{name}: failed: {_failure(exc)}")
                return _failure(exc)
            if progress is not None:
                count = f"{len(listing.items)} people" if listing.available else "cannot list"
                progress(f"{name}: {count}")
            return listing

        found = await asyncio.gather(*(one(n) for n in names))
    return dict(zip(names, found, strict=True))


async def list_leave_types(
    config: Config,
    name: str,
    *,
    transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
) -> Listing[LeaveTypeInfo]:
    """One system's leave types. Raises the vendor's `GatewayError` when the listing fails."""
    async with open_systems(config, [name], transports=transports) as adapters:
        return await _discovery(name, adapters[name]).list_leave_types()


async def list_one_system_people(
    config: Config,
    name: str,
    *,
    transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
) -> Listing[DirectoryPerson]:
    """One system's people. Raises the vendor's `GatewayError` when the listing fails."""
    async with open_systems(config, [name], transports=transports) as adapters:
        return await _discovery(name, adapters[name]).list_people()
