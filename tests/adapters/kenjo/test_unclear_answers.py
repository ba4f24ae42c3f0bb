"""No answer is misread as success, end to end (issue 14, item 3): a 302 or a 200 HTML page in
answer to Kenjo's set-balance used to be journalled `applied`; since Kenjo cannot be read back,
the value was then never sent again."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from balance_gateway.adapters._core.adapter import AdapterConfig
from balance_gateway.adapters._core.registry import adapter_module, known_vendors
from balance_gateway.adapters._core.retry import RetryPolicy
from balance_gateway.adapters._core.secrets import Secret
from balance_gateway.adapters.kenjo.adapter import KenjoAdapter, build_adapter
from balance_gateway.gateway.engine import Engine
from balance_gateway.gateway.journal import OpStatus
from balance_gateway.gateway.store import open_state_store
from tests.gateway.gateway_fakes import TODAY, FakeAdapter, write_config

TYPE_ID = "65f1a0c0e4b0a1b2c3d4e511"
EMPLOYEE_ID = "65f1a0c0e4b0a1b2c3d4e501"

# The source is a fake adapter here: its vendor only has to take a token.
SOURCE_VENDOR = next(
    vendor
    for vendor in known_vendors()
    if vendor != "kenjo" and ("token",) in adapter_module(vendor).CREDENTIAL_KEYS
)
TOML = f"""
[systems.hr]
vendor = "{SOURCE_VENDOR}"
base_url = "http://hr.invalid"
credentials = {{ token = "BANK_TOKEN" }}

[systems.bank]
vendor = "kenjo"
base_url = "http://bank.invalid"
credentials = {{ token = "BANK_TOKEN" }}

[[syncs]]
name = "hr-to-bank"
source = "hr"
target = "bank"
types = [{{ source = "1", target = "{TYPE_ID}", kind = "vacation" }}]
as_of = "2025-03-31"

[state]
path = "state.sqlite3"
"""
CSV = f"""
hr,bank
e1,{EMPLOYEE_ID}
"""

ANSWERS = {
    "html": httpx.Response(
        200, text="<html>Down for maintenance</html>", headers={"Content-Type": "text/html"}
    ),
    "redirect": httpx.Response(302, headers={"Location": "https://sso.example/login"}),
    "success_false": httpx.Response(200, json={"success": False, "error": "locked"}),
}


class Kenjo:
    """A Kenjo that answers `answer` to set-balance, and counts the writes."""

    def __init__(self, answer: httpx.Response) -> None:
        self.answer = answer
        self.writes: list[bytes] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.writes.append(request.content)
        return self.answer


def kenjo_adapter(handler: Kenjo) -> KenjoAdapter:
    return build_adapter(
        AdapterConfig(
            system="bank",
            base_url="http://bank.invalid",
            credentials={"token": Secret("t")},
            transport=httpx.MockTransport(handler),
            retry=RetryPolicy.none(),
        )
    )


@pytest.mark.parametrize("answer", sorted(ANSWERS))
async def test_an_unclear_answer_to_kenjo_is_unknown_and_the_value_is_sent_again(
    tmp_path: Path, answer: str, state_url: str | None
) -> None:
    config = write_config(tmp_path, TOML, CSV, state_url=state_url)
    journal = open_state_store(config)
    hr = FakeAdapter("hr", can_write=False, balances={("e1", "1"): Decimal(10)})
    # An earlier run wrote 7 and Kenjo took it.
    good = Kenjo(httpx.Response(200, json={"balance": 7}))
    hr.balances[("e1", "1")] = Decimal(7)
    report = await Engine(
        config,
        {"hr": hr, "bank": kenjo_adapter(good)},
        journal,
        today=TODAY,
    ).sync()
    assert report.exit_code == 0
    assert journal.last_written("bank", EMPLOYEE_ID, TYPE_ID) is not None

    # Now the source says 10, and Kenjo answers with something that is not its answer.
    hr.balances[("e1", "1")] = Decimal(10)
    bad = Kenjo(ANSWERS[answer])
    report = await Engine(
        config,
        {"hr": hr, "bank": kenjo_adapter(bad)},
        journal,
        today=TODAY,
    ).sync()
    assert report.exit_code == 1
    (result,) = [r for r in report.results if r.row.target_employee == EMPLOYEE_ID]
    assert result.status is OpStatus.UNKNOWN, result.note
    # The value Kenjo may or may not hold is not remembered as written.
    assert journal.last_written("bank", EMPLOYEE_ID, TYPE_ID) is None

    # The next run sends the value again instead of skipping it as "already written".
    again = Kenjo(httpx.Response(200, json={"balance": 10}))
    report = await Engine(
        config,
        {"hr": hr, "bank": kenjo_adapter(again)},
        journal,
        today=TODAY,
    ).sync()
    assert len(again.writes) == 1
    assert report.exit_code == 0
    last = journal.last_written("bank", EMPLOYEE_ID, TYPE_ID)
    assert last is not None
    assert last.value == Decimal(10)
