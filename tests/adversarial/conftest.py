"""The adversarial suite imports its server as `tests.adversarial.hostile`, and prints its
figures at the end of the run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    module = sys.modules.get("tests.adversarial.test_sdk_hostile") or next(
        (m for name, m in sys.modules.items() if name.endswith("test_sdk_hostile")), None
    )
    line = None if module is None else module.summary()
    if line:
        terminalreporter.write_line(line)
