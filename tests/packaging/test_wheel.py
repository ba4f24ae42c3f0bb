"""The wheel as a user installs it: one namespace, beside packages that take our folder names.

Builds the wheel, and a small distribution of its own that ships top-level `adapters`,
`contracts` and `gateway` packages (as AdapterHub's `adapters` and PyContracts' `contracts` do),
installs both in a fresh venv (their dependencies from the package index) and checks:
- both import, neither overwrote the other, and the wheel installs nothing outside
  `balance_gateway/` but its metadata and the console script;
- without the `emulators` extra every SDK imports (FastAPI is not there at all) and `demo`
  says what to install (and `serve`, without the `service` extra);
- with the extra, the README's SDK examples run unchanged against `balance-gateway emulate`.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from balance_gateway.adapters._core.registry import VENDORS

ROOT = Path(__file__).resolve().parents[2]
SDK = VENDORS[0]  # one vendor, where any will do
TAKEN_NAMES = ("adapters", "contracts", "gateway")
EXAMPLE_URL = "http://127.0.0.1:8000"

pytestmark = pytest.mark.timeout(900)


def run(*command: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [str(c) for c in command], cwd=cwd, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def build_wheel(project: Path, distribution: str, out: Path) -> Path:
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, project)
    (wheel,) = out.glob(f"{distribution.replace('-', '_')}-*.whl")
    return wheel


def copy_of_the_repository(folder: Path) -> Path:
    """The source tree as a fresh clone has it (symlinks kept), so the build leaves nothing
    behind in the working copy."""
    ignore = shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"
    )
    return Path(shutil.copytree(ROOT, folder / "source", symlinks=True, ignore=ignore))


def make_squatter(folder: Path) -> Path:
    """A distribution shipping top-level packages with the names our folders have."""
    project = folder / "name-squatter"
    for name in TAKEN_NAMES:
        package = project / name
        package.mkdir(parents=True)
        (package / "__init__.py").write_text(f'OWNER = "name-squatter {name}"\n')
    (project / "pyproject.toml").write_text(
        """[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "name-squatter"
version = "1.0"

[tool.setuptools]
packages = ["adapters", "contracts", "gateway"]
"""
    )
    return project


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel and the name squatter installed (no extras yet)."""
    folder = tmp_path_factory.mktemp("wheel")
    wheels = folder / "wheels"
    ours = build_wheel(copy_of_the_repository(folder), "balance-gateway", wheels)
    squatter = build_wheel(make_squatter(folder), "name-squatter", wheels)
    env_dir = folder / "venv"
    run(sys.executable, "-m", "venv", env_dir)
    pip = env_dir / "bin" / "pip"
    run(pip, "install", "-q", ours)
    run(pip, "install", "-q", squatter)
    (env_dir / "balance-gateway-wheel").write_text(str(ours))
    return env_dir


def python(venv: Path, code: str) -> str:
    return run(venv / "bin" / "python", "-c", code, cwd=venv)


def test_both_distributions_import_and_neither_overwrote_the_other(venv: Path) -> None:
    out = python(
        venv,
        "import adapters, contracts, gateway; print(adapters.OWNER, contracts.OWNER, "
        "gateway.OWNER, sep='|')\n"
        f"import balance_gateway.adapters.{SDK}, balance_gateway.gateway, "
        "balance_gateway.contracts, balance_gateway.canonical\n"
        f"print(balance_gateway.adapters.{SDK}.Client.__module__)",
    )
    squatters, module = out.strip().splitlines()
    assert squatters.split("|") == [f"name-squatter {name}" for name in TAKEN_NAMES]
    assert module == f"balance_gateway.adapters.{SDK}.client"


def test_the_wheel_installs_nothing_outside_its_namespace(venv: Path) -> None:
    listing = run(venv / "bin" / "pip", "show", "-f", "balance-gateway")
    files = listing.split("Files:\n", 1)[1].split()
    outside = [
        f
        for f in files
        if not f.startswith(("balance_gateway/", "balance_gateway-"))
        and f != "../../../bin/balance-gateway"
    ]
    assert files
    assert not outside
    # Every contract fixture (the vendors' seed examples and recordings) ships.
    fixtures = {
        f"balance_gateway/{p.relative_to(ROOT)}" for p in (ROOT / "contracts").rglob("*.json")
    }
    assert fixtures
    assert fixtures <= set(files), sorted(fixtures - set(files))
    assert "balance_gateway/contracts/pytest_plugin.py" in files
    # The dashboard's templates and static files ship with the service.
    assert "balance_gateway/gateway/service/templates/index.html" in files
    assert "balance_gateway/gateway/service/static/dashboard.js" in files


def test_without_the_emulators_extra_every_sdk_imports_and_demo_says_what_to_install(
    venv: Path,
) -> None:
    imports = "; ".join(f"import balance_gateway.adapters.{v}" for v in VENDORS)
    out = python(
        venv,
        f"import importlib.util, sys; {imports}; import balance_gateway.gateway.cli\n"
        "print(importlib.util.find_spec('fastapi'), 'fastapi' in sys.modules)",
    )
    assert out.split() == ["None", "False"]
    version = run(venv / "bin" / "balance-gateway", "--version")
    assert re.fullmatch(r"balance-gateway \d+\.\d+\.\d+\S*\n", version)
    for command in (("demo",), ("emulate", SDK)):
        done = subprocess.run(
            [venv / "bin" / "balance-gateway", *command], capture_output=True, text=True
        )
        assert done.returncode == 2
        assert "pip install 'balance-gateway[emulators]'" in done.stderr
        assert "Traceback" not in done.stderr
    done = subprocess.run(
        [venv / "bin" / "balance-gateway", "serve"], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "pip install 'balance-gateway[service]'" in done.stderr
    assert "Traceback" not in done.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(port: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "the emulator exited"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on port {port}")


def readme_examples() -> dict[str, str]:
    text = (ROOT / "README.md").read_text()
    found = {}
    for vendor in VENDORS:
        section = re.search(
            rf"<!-- example:{vendor} -->(.*?)<!-- /example:{vendor} -->", text, re.DOTALL
        )
        assert section, f"README.md has no example for {vendor}"
        block = re.search(r"```python\n(.*?)```", section.group(1), re.DOTALL)
        assert block, f"README.md's {vendor} example has no python block"
        found[vendor] = block.group(1)
    return found


def test_with_the_extra_the_readme_sdk_examples_run_unchanged(venv: Path) -> None:
    wheel = (venv / "balance-gateway-wheel").read_text()
    run(venv / "bin" / "pip", "install", "-q", f"balance-gateway[emulators] @ file://{wheel}")
    for vendor, code in readme_examples().items():
        assert "._" not in "".join(line for line in code.splitlines() if "import" in line), (
            f"the {vendor} example imports a private module"
        )
        port = _free_port()
        emulator = subprocess.Popen(
            [
                *(venv / "bin" / "balance-gateway", "emulate", vendor),
                *("--port", str(port), "--token", "demo-token"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            _wait_for(port, emulator)
            out = python(venv, code.replace(EXAMPLE_URL, f"http://127.0.0.1:{port}"))
        finally:
            emulator.terminate()
            emulator.wait(timeout=10)
        assert out.strip(), f"the {vendor} example printed nothing"
