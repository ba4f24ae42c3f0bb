"""What the shared tests expect of Zeitstrom (see `tests/adapters/vendor_facts.py`)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from balance_gateway.adapters.zeitstrom import Client as ZeitstromClient
from balance_gateway.canonical import Unit
from tests.adapters.vendor_facts import (
    Bound,
    DiscoveryFacts,
    EndState,
    LeaveTypes,
    LedgerRecords,
    OurWrites,
    OwnApi,
    QaCase,
    SdkCall,
)

# Fixed, 7 in the demo's sync (24 people, 12 written: 7 credits, 5 reductions); the leave-type
# check before planning (`gateway.checks`) asks nothing (`lists_every_leave_type` is False):
# - 2 to plan: the aggregate and the ledger dated after `as_of`, per 50 employees (one chunk
#   here; beyond 4 chunks both are read unfiltered, still 2 requests with one page of later
#   transactions), and 2 to verify, the same;
# - 3: the ledgers the 5 reductions read (our own credits' ids and amounts), shared by the
#   rows asking at the same time: one listing per group of up to 50 employees, 2 while
#   planning and 1 before the writes here.
# Per written balance, 1: a first-attempt credit is its POST alone (no read: the engine gives
# it the plan's `before` as `planned_before`); a reduction here lowers one of our credits
# (one PUT). Unchanged balances cost nothing beyond the bulk reads.
REQUEST_BOUND = Bound(fixed=7, written=1, unchanged=0)


DISCOVERY = DiscoveryFacts(
    people=frozenset({("a1b2c3d4-e5f6-7890-abcd-ef1234567890", "anna.becker@example.com", "1")}),
    # Zeitstrom sees only the types its ledger uses: it says the list may be partial.
    leave_types=LeaveTypes(
        ids=frozenset({"holiday"}), units=frozenset({Unit.DAYS}), complete=False
    ),
)

# A route that takes a JSON body (tests/adapters/test_emulators_hostile_input.py).
WRITE_ROUTE = ("POST", "/api/v2/timestamps/absence-transactions/")


# The 500s a QA pass found (tests/adapters/test_emulators_bad_input.py): method, path, body,
# status, what the answer holds (None: the vendor's error style, as `error_body` writes it).
ZEITSTROM_TX = "/api/v2/timestamps/absence-transactions/"
ANNA = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"


def _tx(amount: str) -> bytes:
    fields = f'"employee_id": "{ANNA}", "missing_type": "holiday", "date": "2024-01-01"'
    return ("{" + fields + f', "amount": {amount}' + "}").encode()


TOO_MANY_DIGITS = {"amount": ["Ensure that there are no more than 12 digits in total."]}
QA_CASES: list[QaCase] = [
    ("POST", ZEITSTROM_TX, _tx("1e999"), 400, TOO_MANY_DIGITS),
    ("POST", ZEITSTROM_TX, _tx('"1e999"'), 400, TOO_MANY_DIGITS),
    ("POST", ZEITSTROM_TX, _tx("9" * 400), 400, TOO_MANY_DIGITS),
    ("POST", ZEITSTROM_TX, _tx("1e308"), 400, TOO_MANY_DIGITS),
    ("POST", ZEITSTROM_TX, _tx("1000000"), 400,
     {"amount": ["Ensure that there are no more than 6 digits before the decimal point."]}),
    ("POST", ZEITSTROM_TX, _tx("0.0000001"), 400,
     {"amount": ["Ensure that there are no more than 6 decimal places."]}),
    ("POST", ZEITSTROM_TX, b"[" * 2000, 400,
     {"detail": "JSON parse error - nested deeper than 100 levels"}),
]  # fmt: skip


# The calls of the SDK that meet a hostile server (tests/adversarial/test_sdk_hostile.py).
ZS_EMPLOYEE = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
TX = {"employee_id": ZS_EMPLOYEE, "missing_type": "holiday", "date": "2024-01-01", "amount": 1}
SDK_CALLS = [
    SdkCall("list_transactions", lambda c: c.list_transactions()),
    SdkCall("iter_transactions", lambda c: c.iter_transactions()),
    SdkCall("aggregate_balances", lambda c: c.aggregate_balances()),
    SdkCall("aggregate_totals", lambda c: c.aggregate_totals()),
    SdkCall("create_transaction", lambda c: c.create_transaction(**TX), write=True),
    SdkCall("update_transaction", lambda c: c.update_transaction("t-1", **TX), write=True),
    SdkCall(
        "delete_transaction",
        lambda c: c.delete_transaction("t-1"),
        write=True,
        ignores_body=True,
    ),
]


def _ledger(state: Mapping[str, Any]) -> dict[tuple[str, str], Decimal]:
    """Zeitstrom's net balance per employee and type."""
    net: dict[tuple[str, str], Decimal] = {}
    for tx in state["transactions"]:
        sign = -1 if tx["source"] == "absence" else 1
        key = (tx["employee_id"], tx["missing_type"])
        net[key] = net.get(key, Decimal(0)) + Decimal(str(tx["amount"])) * sign
    return net


# The ledger's net (tests/distributed/test_distributed_sync.py).
END_STATE = EndState(_ledger)


def _own_api_balances(
    base_url: str, token: str, employees: list[str]
) -> dict[tuple[str, str], Decimal]:
    """(employee, absence type) -> net balance in days, read through Zeitstrom's own API."""
    with ZeitstromClient(base_url, token=token) as zeitstrom:
        rows = zeitstrom.aggregate_balances(employee_ids=employees).results
    return {(r.employee_id, r.missing_type): Decimal(str(r.balance)) for r in rows}


# Balances through its own API (tests/gateway/service/test_dashboard_browser.py).
OWN_API = OwnApi(_own_api_balances)


def _our_labels(state: Mapping[str, Any]) -> list[str]:
    """The labels of the transactions the gateway created (a credit or a reduction each)."""
    return [
        tx["label"] for tx in state["transactions"] if tx["label"].startswith("balance-gateway 2")
    ]


# The gateway's own transactions (tests/integration/test_engine_sigterm.py).
OUR_WRITES = OurWrites(_our_labels)


def _net(state: Mapping[str, Any], employee: str, leave_type: str) -> Decimal:
    return sum(
        (
            Decimal(str(tx["amount"])) * (-1 if tx["source"] == "absence" else 1)
            for tx in state["transactions"]
            if tx["employee_id"] == employee and tx["missing_type"] == leave_type
        ),
        Decimal(0),
    )


# The ledger's transactions (the kill tests); ours are labelled with
# the run id, which starts with the year.
LEDGER = LedgerRecords(
    records=lambda state: list(state["transactions"]),
    ours=lambda tx: str(tx["label"]).startswith("balance-gateway 2"),
    key=lambda tx: str(tx["id"]),
    label=lambda tx: str(tx["label"]),
    employee=lambda tx: str(tx["employee_id"]),
    net=_net,
)
