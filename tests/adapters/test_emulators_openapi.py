"""Schemathesis over every emulator's OpenAPI document (issue 14, item 9).

Every operation declares its real request and response bodies (adapters/_emulator/openapi.py,
from the vendor's wire models), so generated requests are meaningful and each answer is checked
against its declared schema. Checks: no 5xx (`not_a_server_error`), and every answer with a
declared status matches its schema (`response_schema_conformance`). Requests go in-process to
the ASGI app, authenticated as the contract binding authenticates. The normal test command runs
a few examples per operation; `--runslow` many more. Derandomized: the same inputs every run.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from balance_gateway.adapters._emulator import EmulatorOptions, available_vendors, build_emulator
from balance_gateway.adapters._emulator.base import Emulator
from balance_gateway.contracts._harness.runner import load_binding

TOKEN = "T-openapi"
# Examples per operation. The schema is loaded and parametrized when this module is imported,
# before pytest's options can be read: `--runslow` is looked for on the command line.
EXAMPLES = 300 if "--runslow" in sys.argv else 12


async def _auth(vendor: str, emulator: Emulator[Any]) -> dict[str, str]:
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as client:
        return await load_binding(vendor).emulator_auth(emulator, client)


EMULATORS = {v: build_emulator(v, EmulatorOptions(token=TOKEN)) for v in available_vendors()}
HEADERS = {v: asyncio.run(_auth(v, e)) for v, e in EMULATORS.items()}


def test_every_operation_declares_its_bodies() -> None:
    for vendor, emulator in EMULATORS.items():
        document = emulator.app.openapi()
        for path, methods in document["paths"].items():
            for method, operation in methods.items():
                where = f"{vendor} {method.upper()} {path}"
                answers = operation["responses"]
                assert answers, where
                for status, answer in answers.items():
                    schema = answer.get("content", {}).get("application/json", {}).get("schema")
                    assert status == "204" or schema, f"{where} {status}: no schema"
                    assert schema != {}, f"{where} {status}: an empty schema"
                if method in ("post", "put", "patch") and not path.endswith("/logout"):
                    body = operation["requestBody"]["content"]["application/json"]["schema"]
                    assert body, f"{where}: no request body schema"


def _fuzz(vendor: str) -> Any:
    schema = schemathesis.openapi.from_asgi("/openapi.json", EMULATORS[vendor].app)

    @schema.parametrize()
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: Any) -> None:
        case.call_and_validate(
            headers=HEADERS[vendor], checks=[not_a_server_error, response_schema_conformance]
        )

    return fuzz


# One test per emulator, `test_<vendor>_openapi`: a new vendor's emulator is fuzzed too.
for _vendor in EMULATORS:
    globals()[f"test_{_vendor}_openapi"] = _fuzz(_vendor)
