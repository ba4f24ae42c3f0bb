"""CompanyFlow: an HRMS whose leave balances are read-only (days, one decimal place).

The SDK (`Client`, `AsyncClient`), its wire models, the balance adapter (`CompanyFlowAdapter`,
`build_adapter`) and the emulator (`adapters.companyflow.emulator`).
"""

from adapters.companyflow.adapter import CREDENTIAL_KEYS, CompanyFlowAdapter, build_adapter
from adapters.companyflow.client import (
    DEFAULT_BASE_URL,
    AsyncClient,
    Client,
    CompanyFlowLoginAuth,
)
from adapters.companyflow.models import (
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
