"""Bezala: import dated work-time and vacation balances (`/api/users/:user_id/time_balances`).

`Client` / `AsyncClient` are the SDK, `BezalaEmulator` fakes the API in memory, and
`BezalaAdapter` (built by `build_adapter`) speaks canonical balances to the sync engine.
"""

from adapters.bezala.adapter import CREDENTIAL_KEYS, BezalaAdapter, build_adapter
from adapters.bezala.client import DEFAULT_BASE_URL, AsyncClient, BezalaLoginAuth, Client
from adapters.bezala.emulator import BezalaEmulator, BezalaState, build_emulator
from adapters.bezala.models import (
    AuthToken,
    BalanceType,
    Pagination,
    SortOrder,
    TimeBalance,
    TimeBalancePage,
    TimeBalanceParams,
)

__all__ = [
    "CREDENTIAL_KEYS",
    "DEFAULT_BASE_URL",
    "AsyncClient",
    "AuthToken",
    "BalanceType",
    "BezalaAdapter",
    "BezalaEmulator",
    "BezalaLoginAuth",
    "BezalaState",
    "Client",
    "Pagination",
    "SortOrder",
    "TimeBalance",
    "TimeBalancePage",
    "TimeBalanceParams",
    "build_adapter",
    "build_emulator",
]
