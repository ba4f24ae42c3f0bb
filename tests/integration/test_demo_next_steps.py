"""`demo --keep` leads somewhere: the commands it prints work when pasted into a shell."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from balance_gateway.gateway.demo import SCENARIO

pytestmark = pytest.mark.timeout(300)


def _wait_for_commands(process: subprocess.Popen[str]) -> tuple[list[str], list[str]]:
    """What the demo printed before its closing lines, and the pasteable lines it prints
    after its passes (export first)."""
    assert process.stdout is not None
    shown: list[str] = []
    pasted: list[str] = []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if line.startswith("  export ") or (pasted and line.startswith("  balance-gateway ")):
            pasted.append(line.strip())
            if pasted[-1].startswith("balance-gateway runs show"):
                return shown, pasted
        elif not pasted:
            shown.append(line.rstrip("\n"))
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
        shown, lines = _wait_for_commands(demo)
        # The demo's own tables fit 80 columns with every id whole (the closing lines are
        # left unwrapped on purpose, so that they paste).
        before_closing = shown[: next(i for i, s in enumerate(shown) if s.startswith("config: "))]
        assert "…" not in "\n".join(before_closing)
        assert max(len(line) for line in before_closing) <= 80, "\n".join(before_closing)
        # CompanyFlow -> Kenjo's sample shows whole ids: a UUID, then a Kenjo ObjectId.
        whole = r"\b[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12} -> [0-9a-f]{24}\b"
        assert re.search(whole, "\n".join(before_closing)), "\n".join(before_closing)
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
                first, last = SCENARIO[0], SCENARIO[-1]
                assert f"read {first.source} for {first.name}: 24 balance(s)" in told, told
                assert f"planned {last.name}:" in told, told
    finally:
        os.killpg(demo.pid, signal.SIGINT)
        try:
            demo.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()
        if demo.stdout is not None:
            demo.stdout.close()
