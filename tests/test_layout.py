"""The layout tells the architecture, and the code keeps to it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("canonical", "adapters", "gateway", "contracts")
OLD_IMPORT = re.compile(rf"^\s*(from|import) ({'|'.join(FOLDERS)})\b", re.MULTILINE)


def _sources() -> list[Path]:
    skip = {".venv", ".git", "build", "balance_gateway"}  # the namespace's symlinks: seen once
    return [
        path for path in ROOT.rglob("*.py") if not skip.intersection(path.relative_to(ROOT).parts)
    ]


def test_the_namespace_maps_every_top_level_folder() -> None:
    for folder in FOLDERS:
        link = ROOT / "balance_gateway" / folder
        assert link.is_symlink(), f"balance_gateway/{folder} should link to ../{folder}"
        assert link.resolve() == (ROOT / folder).resolve()


def test_code_imports_the_folders_through_the_namespace_only() -> None:
    # `import adapters` would load a second copy of a module (or another distribution's
    # `adapters`, once installed): always `balance_gateway.adapters`.
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0).strip()}"
        for path in _sources()
        for match in OLD_IMPORT.finditer(path.read_text())
    ]
    readme = ROOT / "README.md"
    offenders += [
        f"README.md: {m.group(0).strip()}" for m in OLD_IMPORT.finditer(readme.read_text())
    ]
    assert not offenders, offenders
