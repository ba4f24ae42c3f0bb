"""Zeitstrom: absence balances kept as a ledger of absence transactions (days).

The SDK (`Client`, `AsyncClient`), its wire models, the balance adapter (`ZeitstromAdapter`,
`build_adapter`) and the emulator (`.emulator`, with the `emulators` extra, served by
`balance-gateway emulate zeitstrom`).
"""

from balance_gateway.adapters._core import public as _public
from balance_gateway.adapters._core.public import *  # noqa: F403  (errors, RetryPolicy)
from balance_gateway.adapters.zeitstrom.adapter import (
    CREDENTIAL_KEYS,
    LABEL_PREFIX,
    ZeitstromAdapter,
    build_adapter,
    label_for,
)
from balance_gateway.adapters.zeitstrom.client import (
    DEFAULT_BASE_URL,
    AsyncClient,
    Client,
    TransactionFields,
    TransactionFilters,
)
from balance_gateway.adapters.zeitstrom.models import (
    AbsenceTransaction,
    AbsenceTransactionPage,
    BalanceAggregate,
    BalanceAggregateList,
    QuoteMode,
    Source,
    SourceTotals,
    TotalsAggregate,
    TotalsAggregateList,
    TransactionWrite,
)

__all__ = [
    "CREDENTIAL_KEYS",
    "DEFAULT_BASE_URL",
    "LABEL_PREFIX",
    "AbsenceTransaction",
    "AbsenceTransactionPage",
    "AsyncClient",
    "BalanceAggregate",
    "BalanceAggregateList",
    "Client",
    "QuoteMode",
    "Source",
    "SourceTotals",
    "TotalsAggregate",
    "TotalsAggregateList",
    "TransactionFields",
    "TransactionFilters",
    "TransactionWrite",
    "ZeitstromAdapter",
    "build_adapter",
    "label_for",
]
__all__ += _public.__all__
