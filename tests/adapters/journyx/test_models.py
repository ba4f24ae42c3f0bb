"""The Journyx wire models: the seed's example parses completely and strictly."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pydantic
import pytest

from balance_gateway.adapters.journyx import (
    ACCRUAL_DEFAULT_KEYS,
    ACCRUAL_EXPANSIONS,
    ACCRUAL_KEYS,
    Accrual,
    AccrualEnvelope,
    AccrualPage,
    UserProperties,
)

SEED_ID = "64BBA147B9AC41D9978062300826C89F"


def extras(model: pydantic.BaseModel) -> list[str]:
    """Every unknown field anywhere in `model`."""
    found = list(model.model_extra or {})
    for name in type(model).model_fields:
        value = getattr(model, name)
        children = value if isinstance(value, list) else [value]
        for child in children:
            if isinstance(child, pydantic.BaseModel):
                found += [f"{name}.{key}" for key in extras(child)]
    return found


def test_the_seed_example_parses_with_every_field_known(seed_fixture: dict[str, Any]) -> None:
    body = seed_fixture["response"]["json"]
    accrual = AccrualEnvelope.model_validate(body).results
    assert extras(accrual) == []
    assert accrual.id == SEED_ID
    assert accrual.hours_left == Decimal(40)
    assert accrual.warning_threshold == Decimal(16)
    assert accrual.create_timestamp == Decimal("1696021987.01375")
    assert isinstance(accrual.id_user_properties, UserProperties)
    assert accrual.id_user_properties.memorized_sheet_choices is not None
    assert accrual.id_user_properties.memorized_sheet_choices[0].text == "string"
    assert accrual.pay_type_names == ["Vacation", "Sick"]
    assert accrual.hard_threshold_enforced


def test_the_key_lists_name_exactly_the_seed_fields(seed_fixture: dict[str, Any]) -> None:
    seed_keys = list(seed_fixture["response"]["json"]["results"])
    assert list(ACCRUAL_KEYS) == seed_keys
    assert set(ACCRUAL_KEYS) == set(Accrual.model_fields)
    assert set(ACCRUAL_DEFAULT_KEYS) == set(ACCRUAL_KEYS) - set(ACCRUAL_EXPANSIONS)


def test_floats_become_exact_decimals() -> None:
    accrual = Accrual.model_validate({"hours_left": 0.1, "hard_threshold": -8})
    assert accrual.hours_left == Decimal("0.1")
    assert accrual.hard_threshold == Decimal(-8)


def test_unknown_fields_are_kept() -> None:
    accrual = Accrual.model_validate({"id": "X", "accrual_calculator": {"rate": 4}})
    assert accrual.model_extra == {"accrual_calculator": {"rate": 4}}


@pytest.mark.parametrize(
    ("code", "status"),
    [("lr", "Loggable and Reportable"), ("ro", "Reportable Only"), ("h", "Hidden")],
)
def test_matching_status_and_code_parse(code: str, status: str) -> None:
    assert Accrual.model_validate({"status_code": code, "status": status}).status == status


def test_a_status_contradicting_its_code_is_rejected() -> None:
    with pytest.raises(pydantic.ValidationError, match="contradicts status_code"):
        Accrual.model_validate({"status_code": "h", "status": "Loggable and Reportable"})


def test_the_page_envelope_reads_its_dollar_and_at_keys() -> None:
    page = AccrualPage.model_validate(
        {
            "response_code": 200,
            "success": True,
            "uri": "/api/v1/accruals",
            "$count": 5,
            "$skip": 1,
            "$top": 1,
            "@nextLink": "/api/v1/accruals?$top=1&$skip=2",
            "results": [{"id": SEED_ID}],
        }
    )
    assert (page.count, page.skip, page.top) == (5, 1, 1)
    assert page.next_link == "/api/v1/accruals?$top=1&$skip=2"
    assert page.model_extra == {}
    assert page.results[0].id == SEED_ID
