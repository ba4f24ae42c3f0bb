"""`loads_json`: every body is parsed once, also when text in it only looks like a huge number
(a hex id such as "1e5a0f", a long string of digits); a genuine huge number is still refused."""

from __future__ import annotations

import json
from typing import Any

import pytest

from balance_gateway.adapters._core.jsonbody import UnreadableJSON, loads_json

REAL_LOADS = json.loads  # taken before `parses` counts the calls


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The keyword arguments of every `json.loads` call `loads_json` makes."""
    calls: list[dict[str, Any]] = []

    def counting(data: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return REAL_LOADS(data, **kwargs)

    monkeypatch.setattr(json, "loads", counting)  # the module loads_json calls through
    return calls


LOOKS_LIKE_NUMBERS = {
    "hex_id": b'{"id": "1e500a3f", "amount": 12.5}',
    "hex_id_with_sign": b'{"id": "7E-123abc", "amount": 1}',
    "long_digit_string": b'{"ref": "' + b"1" * 100 + b'", "amount": 2}',
    "escaped_quote_before": b'{"note": "say \\"1e999\\" twice", "amount": 3}',
    "key": b'{"1e999": 4}',
}


@pytest.mark.parametrize("name", sorted(LOOKS_LIKE_NUMBERS))
def test_text_that_looks_like_a_huge_number_is_read_once(
    name: str, parses: list[dict[str, Any]]
) -> None:
    body = LOOKS_LIKE_NUMBERS[name]
    assert loads_json(body) == REAL_LOADS(body)
    assert len(parses) == 1


GENUINE = {
    "exponent": b'{"id": "1e500a", "amount": 1e999}',
    "signed_exponent": b'{"id": "x", "amount": -2.5E+400}',
    "long_number": b'{"id": "' + b"9" * 80 + b'", "amount": 0.' + b"1" * 80 + b"}",
    "after_an_escaped_quote": b'{"note": "a \\"", "amount": 1e999}',
}


@pytest.mark.parametrize("name", sorted(GENUINE))
def test_a_genuine_huge_number_is_still_refused(name: str, parses: list[dict[str, Any]]) -> None:
    with pytest.raises(UnreadableJSON):
        loads_json(GENUINE[name])
    assert len(parses) == 1


def test_an_ordinary_exponent_is_read_as_it_is() -> None:
    assert loads_json(b'{"id": "1e5", "amount": 1e5, "small": 2.5e-3}') == {
        "id": "1e5",
        "amount": 100000.0,
        "small": 0.0025,
    }
