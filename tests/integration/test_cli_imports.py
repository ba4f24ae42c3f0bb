"""A plan or a sync from the command line loads the vendors' adapters, never their emulators:
no FastAPI, no `*.emulator` module (finding the installed vendors must not import them).

The emulators run in processes of their own (`benchmarks/_harness.py`); the CLI runs in a
fresh interpreter that reports, after the command, which modules it had loaded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks._harness import ENV, Emulators, generate, write_config

ROOT = Path(__file__).resolve().parents[2]
# Runs the CLI as `python -m balance_gateway.gateway.cli` would, then writes what was loaded.
PROBE = """
import json, sys
from balance_gateway.gateway.cli import app
try:
    app(sys.argv[2:])
except SystemExit as done:
    code = done.code
with open(sys.argv[1], "w") as out:
    json.dump({"exit_code": code, "modules": sorted(sys.modules)}, out)
"""


def _server_side(modules: list[str]) -> list[str]:
    return [
        name
        for name in modules
        if name.split(".")[0] in {"fastapi", "starlette", "uvicorn"}
        or name.endswith(".emulator")
        or ".adapters._emulator" in name
    ]


@pytest.mark.parametrize("command", [["plan"], ["sync", "--yes"]])
def test_the_cli_never_imports_an_emulator_or_fastapi(tmp_path: Path, command: list[str]) -> None:
    data = generate(3)
    with Emulators(data, tmp_path / "emulators", rate_limit=0) as emus:
        urls = {emus.source.vendor: emus.source.base_url, emus.target.vendor: emus.target.base_url}
        config = write_config(tmp_path / "config", data, urls, rate_limit=0)
        report = tmp_path / "modules.json"
        done = subprocess.run(
            [sys.executable, "-c", PROBE, str(report), *command, "--config", str(config)],
            capture_output=True,
            text=True,
            cwd=tmp_path / "config",
            env={**os.environ, **ENV, "PYTHONPATH": str(ROOT)},
            timeout=120,
            check=False,
        )
    assert report.exists(), done.stderr[-3000:]
    loaded = json.loads(report.read_text())
    assert loaded["exit_code"] in (0, None), done.stdout[-3000:] + done.stderr[-3000:]
    vendors = [m for m in loaded["modules"] if m.endswith(".adapter") and "._core." not in m]
    assert len(vendors) >= 2, vendors  # the command did load the pair's adapters
    assert _server_side(loaded["modules"]) == []
