"""CompanyFlow: an HRMS whose leave balances are read-only (days, one decimal place).

The SDK (`Client`, `AsyncClient`), its wire models, the balance adapter (`CompanyFlowAdapter`,
`build_adapter`) and the emulator (`.emulator`, with the `emulators` extra).
"""

from balance_gateway.adapters._core import public as _public
from balance_gateway.adapters._core.public import *  # noqa: F403  (errors, RetryPolicy)
from balance_gateway.adapters.companyflow.adapter import (
    CREDENTIAL_KEYS,
    CompanyFlowAdapter,
    build_adapter,
)
from balance_gateway.adapters.companyflow.client import (
    DEFAULT_BASE_URL,
    AsyncClient,
    Client,
    CompanyFlowLoginAuth,
)
from balance_gateway.adapters.companyflow.models import (
    AvailableResponse,
    BalanceListResponse,
    BalanceResponse,
    ErrorResponse,
    LeaveBalance,
    LeaveType,
    LeaveTypePage,
    LoginData,
    LoginResponse,
    LoginUser,
    Pagination,
)

__all__ = [
    "CREDENTIAL_KEYS",
    "DEFAULT_BASE_URL",
    "AsyncClient",
    "AvailableResponse",
    "BalanceListResponse",
    "BalanceResponse",
    "Client",
    "CompanyFlowAdapter",
    "CompanyFlowLoginAuth",
    "ErrorResponse",
    "LeaveBalance",
    "LeaveType",
    "LeaveTypePage",
    "LoginData",
    "LoginResponse",
    "LoginUser",
    "Pagination",
    "build_adapter",
]
__all__ += _public.__all__
