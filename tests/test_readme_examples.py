"""Every SDK example in README.md runs as written against a fresh emulator over real HTTP."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from balance_gateway.adapters._emulator import (
    EmulatorOptions,
    ServerThread,
    available_vendors,
    build_emulator,
)

README = Path(__file__).resolve().parent.parent / "README.md"
EXAMPLE_URL = "http://127.0.0.1:8000"


def example_code(vendor: str) -> str | None:
    """The python block between the vendor's example markers, if there is one."""
    text = README.read_text()
    section = re.search(
        rf"<!-- example:{vendor} -->(.*?)<!-- /example:{vendor} -->", text, re.DOTALL
    )
    if section is None:
        return None
    block = re.search(r"```python\n(.*?)```", section.group(1), re.DOTALL)
    return block.group(1) if block else None


@pytest.mark.parametrize("vendor", available_vendors())
def test_readme_example_runs_against_a_fresh_emulator(
    vendor: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = example_code(vendor)
    assert code is not None, f"README.md has no python example for {vendor}"
    assert EXAMPLE_URL in code, f"the {vendor} example should talk to {EXAMPLE_URL}"
    emulator = build_emulator(vendor, EmulatorOptions(token="demo-token"))
    with ServerThread(emulator.app) as server:
        exec(compile(code.replace(EXAMPLE_URL, server.base_url), f"README:{vendor}", "exec"), {})
    assert capsys.readouterr().out.strip(), f"the {vendor} example printed nothing"
