"""The layout tells the architecture, and the code keeps to it."""

from __future__ import annotations

import ast
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


# -- vendor names stay in their vendors' folders ------------------------------------------------
#
# A vendor's name (from the registry) may appear in code only in its own folders
# (`adapters/<vendor>/`, `contracts/<vendor>/`, `tests/adapters/<vendor>/`) and in the registry.
# "Code" is every identifier, import path and string literal; comments and docstrings may name
# vendors (as examples, or to explain a choice), and so may README and docs.

REGISTRY = "adapters/_core/registry.py"
# The demo's scenario says which vendor syncs to which: only that one assignment may name them.
SCENARIO = ("gateway/demo.py", "SCENARIO")
# Files still written for particular vendors (every other test runs over the registry, or
# reads a vendor's expectations from tests/adapters/<vendor>/facts.py): the list only
# shrinks, since a file that no longer names a vendor must leave it (see the test below).
VENDOR_SPECIFIC_FILES_TO_SHRINK = frozenset(
    {
        # A hand-written script for one pair: what a user writes without the gateway.
        "benchmarks/peer_script.py",
        # The plugin's fixtures are named after the vendors, as users call them.
        "tests/contracts/test_pytest_plugin.py",
        # The shipped example configurations name their vendors.
        "tests/gateway/test_gateway_examples.py",
        # The demo's own syncs checked value by value, and a regression found on one vendor.
        "tests/integration/test_demo_syncs_http.py",
        # Particular pairs with each side's vendor state checked by hand (the emulators'
        # `GET /_emulator/balances` could replace those checks).
        "tests/gateway/service/test_service_api.py",
        "tests/gateway/test_gateway_narrow_tables.py",
        "tests/integration/test_as_of_http.py",
        "tests/integration/test_rate_limit_http.py",
    }
)


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the Constant nodes that are docstrings."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _words(tree: ast.AST, skip_lines: range | None = None) -> list[tuple[int, str]]:
    """(line, text) of every identifier, import path and string literal but docstrings."""
    docstrings = _docstrings(tree)
    words: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if skip_lines is not None and line in skip_lines:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docstrings:
                words.append((line, node.value))
        elif isinstance(node, ast.Name):
            words.append((line, node.id))
        elif isinstance(node, ast.Attribute):
            words.append((line, node.attr))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            words.append((line, node.name))
        elif isinstance(node, ast.arg | ast.keyword):
            words.append((line, node.arg or ""))
        elif isinstance(node, ast.ImportFrom):
            words.append((line, node.module or ""))
            words += [(line, a.asname or a.name) for a in node.names]
        elif isinstance(node, ast.Import):
            words += [(line, a.name) for a in node.names]
    return words


def _own_folders(vendor: str) -> tuple[str, ...]:
    return (f"adapters/{vendor}/", f"contracts/{vendor}/", f"tests/adapters/{vendor}/")


def _scenario_lines(tree: ast.AST) -> range:
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == SCENARIO[1] for t in node.targets
        ):
            return range(node.lineno, (node.end_lineno or node.lineno) + 1)
    raise AssertionError(f"{SCENARIO[0]} defines no {SCENARIO[1]}")


def _vendor_mentions() -> dict[str, list[str]]:
    """File -> its vendor mentions outside the vendors' own folders and the registry."""
    from balance_gateway.adapters._core.registry import VENDORS

    found: dict[str, list[str]] = {}
    for path in _sources():
        name = path.relative_to(ROOT).as_posix()
        if name in (REGISTRY, "tests/test_layout.py"):  # this file lists vendors' files
            continue
        tree = ast.parse(path.read_text())
        skip = _scenario_lines(tree) if name == SCENARIO[0] else None
        for line, text in _words(tree, skip):
            lowered = text.lower()
            for vendor in VENDORS:
                if vendor in lowered and not name.startswith(_own_folders(vendor)):
                    found.setdefault(name, []).append(f"{name}:{line}: {vendor} in {text!r}")
    return found


def test_vendor_names_appear_only_in_their_folders_and_the_registry() -> None:
    offenders = [
        mention
        for name, mentions in sorted(_vendor_mentions().items())
        if name not in VENDOR_SPECIFIC_FILES_TO_SHRINK
        for mention in mentions
    ]
    assert not offenders, "\n".join(offenders[:60])


def test_the_list_of_vendor_specific_files_only_shrinks() -> None:
    # A file made vendor-neutral leaves the list, so that it stays neutral.
    mentions = _vendor_mentions()
    neutral = sorted(name for name in VENDOR_SPECIFIC_FILES_TO_SHRINK if name not in mentions)
    assert not neutral, f"no vendor named any more, remove from the list: {neutral}"


def test_shared_code_is_vendor_neutral() -> None:
    # However the list above grows, the shared code never names a vendor (but the registry
    # and the demo's scenario).
    shared = (
        *("gateway/", "canonical/", "adapters/_core/", "adapters/_emulator/"),
        *("contracts/_harness/", "contracts/pytest_plugin.py"),
    )
    allowed = sorted(n for n in VENDOR_SPECIFIC_FILES_TO_SHRINK if n.startswith(shared))
    assert not allowed, allowed
