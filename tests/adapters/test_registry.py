"""One registry of vendors; every module of a vendor is found from its name by convention."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from balance_gateway.adapters._core.options import AdapterOptions
from balance_gateway.adapters._core.registry import (
    VENDORS,
    Part,
    adapter_module,
    installed,
    load,
    module_name,
)

ROOT = Path(__file__).resolve().parents[2]
PARTS: tuple[Part, ...] = ("adapter", "emulator", "demo", "conformance", "binding")


@pytest.mark.parametrize("part", PARTS)
def test_every_registered_vendor_has_every_part(part: Part) -> None:
    assert installed(part) == sorted(VENDORS)


def test_module_names_follow_the_convention() -> None:
    assert module_name("acme", "adapter") == "balance_gateway.adapters.acme.adapter"
    assert module_name("acme", "demo") == "balance_gateway.adapters.acme.demo"
    assert module_name("acme", "binding") == "balance_gateway.contracts.acme.binding"


def test_an_unknown_vendor_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="unknown vendor 'acme'.*known: " + ", ".join(VENDORS)):
        load("acme", "emulator")


@pytest.mark.parametrize("vendor", VENDORS)
def test_each_adapter_declares_typed_options_and_credential_keys(vendor: str) -> None:
    module = adapter_module(vendor)
    assert issubclass(module.Options, AdapterOptions)
    assert module.Options.model_config.get("extra") == "forbid"
    assert module.CREDENTIAL_KEYS
    assert all(module.CREDENTIAL_KEYS)


def test_listing_vendors_and_loading_a_config_import_no_emulator_nor_fastapi() -> None:
    # What a sync does before it talks to anyone: list the vendors, load their adapters and a
    # configuration. None of it may pull in the emulators or FastAPI (the `emulators` extra).
    script = (
        "import sys\n"
        "from balance_gateway.adapters._core.registry import VENDORS, installed, adapter_module\n"
        "import balance_gateway.gateway.runner, balance_gateway.gateway.config\n"
        "for part in ('adapter', 'emulator', 'demo', 'conformance', 'binding'):\n"
        "    installed(part)\n"
        "for vendor in VENDORS:\n"
        "    adapter_module(vendor).Options()\n"
        "loaded = sorted(m for m in sys.modules if m.endswith(('.emulator', '.demo'))\n"
        "    or m.split('.')[0] in ('fastapi', 'starlette', 'uvicorn')\n"
        "    or m.startswith('balance_gateway.adapters._emulator'))\n"
        "print(loaded)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout
