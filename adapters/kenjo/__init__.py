"""Kenjo: an HR suite whose API sets the remaining time-off balance (write-only for balances).

from balance_gateway.adapters.kenjo import Client
with Client("https://api.kenjo.io", api_key="...") as kenjo:
    kenjo.set_balance(time_off_type_id, employee_id, 10, description="carried over")
"""

from balance_gateway.adapters._core import public as _public
from balance_gateway.adapters._core.public import *  # noqa: F403  (errors, RetryPolicy)
from balance_gateway.adapters.kenjo.adapter import CREDENTIAL_KEYS, KenjoAdapter, build_adapter
from balance_gateway.adapters.kenjo.client import (
    DEFAULT_BASE_URL,
    SANDBOX_BASE_URL,
    AsyncClient,
    Client,
    KenjoLoginAuth,
    TimeOffFilters,
)
from balance_gateway.adapters.kenjo.models import (
    Employee,
    EmployeeList,
    ErrorBody,
    LoginResponse,
    PageMetadata,
    SetBalanceRequest,
    TimeOffBalance,
    TimeOffRequest,
    TimeOffRequestPage,
)

__all__ = [
    "CREDENTIAL_KEYS",
    "DEFAULT_BASE_URL",
    "SANDBOX_BASE_URL",
    "AsyncClient",
    "Client",
    "Employee",
    "EmployeeList",
    "ErrorBody",
    "KenjoAdapter",
    "KenjoLoginAuth",
    "LoginResponse",
    "PageMetadata",
    "SetBalanceRequest",
    "TimeOffBalance",
    "TimeOffFilters",
    "TimeOffRequest",
    "TimeOffRequestPage",
    "build_adapter",
]
__all__ += _public.__all__
