"""Bezala: import dated work-time and vacation balances (`/api/users/:user_id/time_balances`).

`Client` / `AsyncClient` are the SDK, `BezalaAdapter` (built by `build_adapter`) speaks
canonical balances to the sync engine, and the emulator (`.emulator`, with the `emulators`
extra) fakes the API in memory.
"""

from balance_gateway.adapters._core import public as _public
from balance_gateway.adapters._core.public import *  # noqa: F403  (errors, RetryPolicy)
from balance_gateway.adapters.bezala.adapter import CREDENTIAL_KEYS, BezalaAdapter, build_adapter
from balance_gateway.adapters.bezala.client import (
    DEFAULT_BASE_URL,
    AsyncClient,
    BezalaLoginAuth,
    Client,
    TimeBalanceQuery,
)
from balance_gateway.adapters.bezala.models import (
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
    "BezalaLoginAuth",
    "Client",
    "Pagination",
    "SortOrder",
    "TimeBalance",
    "TimeBalancePage",
    "TimeBalanceParams",
    "TimeBalanceQuery",
    "build_adapter",
]
__all__ += _public.__all__
