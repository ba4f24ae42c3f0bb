"""`demo --keep` leads somewhere: the commands it prints work when pasted into a shell."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(300)


def _wait_for_commands(process: subprocess.Popen[str]) -> list[str]:
    """The pasteable lines the demo prints after its passes (export first)."""
    assert process.stdout is not None
    pasted: list[str] = []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if line.startswith("  export ") or (pasted and line.startswith("  balance-gateway ")):
            pasted.append(line.strip())
            if pasted[-1].startswith("balance-gateway runs show"):
                return pasted
    raise AssertionError(f"the demo printed no commands to paste (got {pasted})")


def test_the_printed_next_steps_work_when_pasted(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "80", "PYTHONUNBUFFERED": "1"}
    demo = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "balance_gateway.gateway.cli",
            "demo",
            "--keep",
            "--employees",
            "12",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        lines = _wait_for_commands(demo)
        export, commands = lines[0], lines[1:]
        assert export.startswith("export DEMO_")
        assert any(c.startswith("balance-gateway plan ") for c in commands)
        for command in commands:
            # `sh -c` with the binaries of this interpreter's environment first on PATH.
            bin_dir = str(Path(sys.executable).parent)
            shell_env = {**env, "PATH": bin_dir + os.pathsep + env.get("PATH", "")}
            for name in list(shell_env):
                if name.startswith("DEMO_"):
                    del shell_env[name]
            done = subprocess.run(
                ["sh", "-c", f"{export} && {command}"],
                capture_output=True,
                text=True,
                env=shell_env,
                cwd=tmp_path,
                timeout=120,
            )
            assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
            # At 80 columns every table fits and no id is cut ("…").
            assert "…" not in done.stdout, done.stdout
            assert max(map(len, done.stdout.splitlines()), default=0) <= 80, done.stdout
            if command.startswith(("balance-gateway plan ", "balance-gateway sync ")):
                # Reading and planning are told on stderr, per system with counts.
                told = " ".join(done.stderr.split())
                assert "read companyflow for companyflow-to-kenjo: 24 balance(s)" in told, told
                assert "planned journyx-to-zeitstrom:" in told, told
    finally:
        os.killpg(demo.pid, signal.SIGINT)
        try:
            demo.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()
        if demo.stdout is not None:
            demo.stdout.close()
