"""Journyx: accruals (time banks) in HOURS. SDK (`Client`, `AsyncClient`), wire models, the
balance adapter and the emulator (`balance-gateway emulate journyx`)."""

from balance_gateway.adapters._core import public as _public
from balance_gateway.adapters._core.public import *  # noqa: F403  (errors, RetryPolicy)
from balance_gateway.adapters.journyx.adapter import CREDENTIAL_KEYS, JournyxAdapter, build_adapter
from balance_gateway.adapters.journyx.client import (
    ACCRUALS_PATH,
    DEFAULT_BASE_URL,
    AccrualItems,
    AccrualOptions,
    AccrualUpdate,
    AsyncClient,
    Client,
)
from balance_gateway.adapters.journyx.models import (
    ACCRUAL_DEFAULT_KEYS,
    ACCRUAL_EXPANSIONS,
    ACCRUAL_KEYS,
    STATUS_CODES,
    STATUS_NAMES,
    Accrual,
    AccrualEnvelope,
    AccrualPage,
    DeleteResult,
    ErrorBody,
    LoginResult,
    MemorizedSheetChoice,
    StatusCode,
    UserProperties,
)

__all__ = [
    "ACCRUALS_PATH",
    "ACCRUAL_DEFAULT_KEYS",
    "ACCRUAL_EXPANSIONS",
    "ACCRUAL_KEYS",
    "CREDENTIAL_KEYS",
    "DEFAULT_BASE_URL",
    "STATUS_CODES",
    "STATUS_NAMES",
    "Accrual",
    "AccrualEnvelope",
    "AccrualItems",
    "AccrualOptions",
    "AccrualPage",
    "AccrualUpdate",
    "AsyncClient",
    "Client",
    "DeleteResult",
    "ErrorBody",
    "JournyxAdapter",
    "LoginResult",
    "MemorizedSheetChoice",
    "StatusCode",
    "UserProperties",
    "build_adapter",
]
__all__ += _public.__all__
