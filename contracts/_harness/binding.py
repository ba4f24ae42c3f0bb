"""What the harness needs to know about one vendor: `contracts/<vendor>/binding.py` defines
`BINDING = ContractBinding(...)`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:  # the toolkit needs the `emulators` extra; a type needs nothing
    from balance_gateway.adapters._emulator import Emulator


@dataclass(frozen=True)
class ContractBinding:
    vendor: str
    # The vendor's sync / async SDK client, talking through `transport`, authenticated with a
    # static credential (so the SDK check needs no login exchange).
    make_client: Callable[[httpx.BaseTransport], Any]
    make_async_client: Callable[[httpx.AsyncBaseTransport], Any]
    # Headers carrying a valid credential for the emulator's default tenant; may log in
    # through `client` (whose base URL is the emulator).
    emulator_auth: Callable[[Emulator[Any], httpx.AsyncClient], Awaitable[dict[str, str]]]
    # Headers carrying a wrong credential.
    invalid_auth: Mapping[str, str]
    # Live: environment variable names the live check needs, and how to turn their values
    # into auth headers (may log in through `client`).
    live_env: tuple[str, ...] = ()
    live_auth: (
        Callable[[Mapping[str, str], httpx.AsyncClient], Awaitable[dict[str, str]]] | None
    ) = None
    # Extra emulator setup before each fixture (rarely needed).
    prepare_emulator: Callable[[Emulator[Any]], None] | None = field(default=None)
    # Other sample logins of the emulator, by name, for fixtures whose `given.login` names
    # one (e.g. a manager, where a route is refused to an employee).
    emulator_logins: Mapping[
        str, Callable[[Emulator[Any], httpx.AsyncClient], Awaitable[dict[str, str]]]
    ] = field(default_factory=dict)
