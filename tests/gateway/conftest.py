"""The engine's unit tests import their fakes as `tests.gateway.gateway_fakes`."""

from __future__ import annotations

import sys
from pathlib import Path

# pytest's import mode leaves the repository root off sys.path when run as `pytest`;
# the shared test helpers are imported from it as `tests.<folder>.<module>`.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
