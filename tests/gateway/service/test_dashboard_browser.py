"""The dashboard in a real browser: headless Chromium (Debian's `chromium`, driven by
Playwright) against `balance-gateway serve` started on the demo's emulators.

Without a browser (or Playwright) these tests skip, saying why; with
BALANCE_GATEWAY_REQUIRE_SERVICES=1 (CI) that is a failure instead. `.ci/run` installs Chromium.

The README's screenshots come from here: BALANCE_GATEWAY_WRITE_SCREENSHOTS=1 writes them into
docs/ from the default demo (`balance-gateway demo --serve`); otherwise they go to a temporary
folder from a smaller demo, and are only checked.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from balance_gateway.gateway.demo import SCENARIO, SYNC_ORDER, TOKENS
from balance_gateway.gateway.service.demo import (
    LEFT_FOR_THE_OPERATOR,
    OPERATOR_TOKEN,
    READ_TOKEN,
    ServiceDemo,
    service_env,
)
from tests.adapters.vendor_facts import OwnApi, facts
from tests.gateway.service.conftest import OPERATOR, reset
from tests.gateway.service.service_helpers import Running, started

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page, Playwright

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = Path("/usr/bin/chromium")
# What Chromium needs to run headless as root in a container, quietly and on loopback only.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SYNC = LEFT_FOR_THE_OPERATOR


def _unavailable(reason: str) -> None:
    if os.environ.get("BALANCE_GATEWAY_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (BALANCE_GATEWAY_REQUIRE_SERVICES=1: a browser is required)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def playwright(serve: Running) -> Iterator[Playwright]:
    """Playwright's driver. It runs an event loop in this thread for as long as it is open,
    so what needs asyncio.run here (the demo's syncs) is set up before it (`serve`), or runs
    on another thread (`reset_demo`)."""
    executable = shutil.which("chromium") or str(CHROMIUM)
    if not Path(executable).exists():
        _unavailable("no browser: Debian's chromium is not installed (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def browser(playwright: Playwright, tmp_path: Path) -> Iterator[BrowserContext]:
    """Chromium with a fresh profile (user data dir) for each test."""
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "chromium-profile"),
        executable_path=shutil.which("chromium") or str(CHROMIUM),
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 1400, "height": 900},
    )
    context.set_default_timeout(60_000)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture(scope="module")
def serve(demo: ServiceDemo) -> Iterator[Running]:
    """`balance-gateway serve` on the demo's config, as a user starts it."""
    arguments = ["serve", "--config", str(demo.config_path), "--port", "0"]
    with started(arguments, service_env(), r"dashboard at (http://\S+)/ ", seconds=60) as running:
        yield running


def reset_demo(demo: ServiceDemo) -> None:
    """`reset` on a thread of its own: this one holds Playwright's event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(reset, demo).result()


def open_page(browser: BrowserContext) -> tuple[Page, list[str]]:
    """A new tab, and the JavaScript errors it will have."""
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page, errors


def sign_in(page: Page, base: str, token: str, path: str = "/") -> None:
    page.goto(base + path)
    assert "/login" in page.url
    page.fill("input[name=token]", token)
    page.click("button[type=submit]")
    page.wait_for_url(base + path)


def visible_rows(page: Page, table: str) -> int:
    count: int = page.locator(f"#{table} tbody tr:visible").count()
    return count


def api(serve: Running, path: str, **params: str) -> Any:
    with httpx.Client(base_url=serve.url, headers=OPERATOR, timeout=120) as http:
        answer = http.get(path, params=params)
        answer.raise_for_status()
        return answer.json()


def test_the_dashboard_shows_the_syncs_and_a_runs_rows(
    browser: BrowserContext, serve: Running, demo: ServiceDemo
) -> None:
    page, errors = open_page(browser)
    sign_in(page, serve.url, OPERATOR_TOKEN)
    assert page.inner_text("[data-testid=role]") == "operator"
    rows = page.locator("#syncs tbody tr")
    assert rows.count() == 4
    assert SYNC in SYNC_ORDER
    for sync in SYNC_ORDER:
        row = page.locator(f"#syncs tr[data-sync='{sync}']")
        assert "0 2 * * *" in row.inner_text()
    assert "never" in page.locator(f"#syncs tr[data-sync='{SYNC}']").inner_text()
    assert "succeeded" in page.locator(f"#syncs tr[data-sync='{SYNC_ORDER[0]}']").inner_text()

    # A sync that ran, into the target fewest people use: a few rows set, the rest unmapped.
    people = demo.environment.dataset.people
    ran = [s for s in SCENARIO if s.name != SYNC]
    few = min(ran, key=lambda s: sum(1 for p in people if s.target in p.ids))
    page.click(f"#syncs tr[data-sync='{few.name}'] a[href^='/runs/']")
    page.wait_for_selector("#operations")
    run_id = page.url.rsplit("/", 1)[1]
    operations = api(serve, f"/api/runs/{run_id}")["operations"]
    assert visible_rows(page, "operations") == len(operations) > 0
    assert page.inner_text("[data-testid=run-status]") == "succeeded"
    first = page.locator("#operations tbody tr").first.inner_text()
    assert operations[0]["operation_id"] in first

    unmapped = [o for o in operations if o["operation"] == "unmapped"]
    assert 0 < len(unmapped) < len(operations)
    page.select_option("select[data-filter=operation]", "unmapped")
    assert visible_rows(page, "operations") == len(unmapped)
    assert f"{len(unmapped)} of {len(operations)} operations" in page.inner_text(
        "[data-filter-count]"
    )
    page.select_option("select[data-filter=operation]", index=0)
    employee = next(o["employee"] for o in operations if o["operation"] == "set")
    page.fill("input[data-filter=text]", employee)
    assert visible_rows(page, "operations") == sum(o["employee"] == employee for o in operations)
    setting = page.locator("#operations tbody tr:visible").first.inner_text()
    assert "applied" in setting
    assert "days" in setting or "hours" in setting  # before/after with their unit
    assert errors == []


def test_the_drift_of_a_sync_as_a_table_and_a_chart(
    browser: BrowserContext, serve: Running
) -> None:
    page, errors = open_page(browser)
    sign_in(page, serve.url, READ_TOKEN, f"/syncs/{SYNC}/drift")
    (drift,) = api(serve, "/api/drift", sync=SYNC)["syncs"]
    mapped = [r for r in drift["rows"] if r["target_employee"] is not None]
    assert visible_rows(page, "drift") == len(mapped)
    summary = drift["summary"]
    assert summary["differing"] > 0
    assert page.inner_text("[data-testid=drift-summary]") == (
        f"{summary['differing']} of {summary['compared']} balances differ"
    )
    charts = page.locator("[data-testid=chart]")
    assert charts.count() == len(summary["by_type"])
    for entry in summary["by_type"]:
        caption = charts.filter(has_text=entry["target_type"]).inner_text()
        assert f"{entry['differing']} of {entry['compared']} differ" in caption
    assert page.locator("[data-testid=chart] svg rect").count() > 0

    page.check("input[data-filter=differs]")
    assert visible_rows(page, "drift") == summary["differing"]
    shown = page.locator("#drift tbody tr:visible").first
    row = next(r for r in mapped if r["target_employee"] in shown.inner_text())
    value = Decimal(row["difference"]["value"])
    assert f"{'+' if value > 0 else ''}{value} {row['difference']['unit']}" in shown.inner_text()
    assert errors == []


def test_an_operators_apply_changes_the_target(
    browser: BrowserContext, serve: Running, demo: ServiceDemo
) -> None:
    reset_demo(demo)
    (drift,) = api(serve, "/api/drift", sync=SYNC)["syncs"]
    expected = {
        (r["target_employee"], r["target_type"]): Decimal(r["target_after"]["value"])
        for r in drift["rows"]
        if r["operation"] in ("credit", "reduce")
    }
    employees = sorted({employee for employee, _ in expected})
    # The sync's target (its system is named after its vendor), read through its own API.
    (target,) = [s.target for s in SCENARIO if s.name == SYNC]
    own = facts(target, "OWN_API", OwnApi)

    def balances() -> dict[tuple[str, str], Decimal]:
        url = demo.environment.base_urls[target]
        return own.balances(url, TOKENS[target], employees)

    before = balances()
    assert any(before.get(key, Decimal(0)) != value for key, value in expected.items())

    page, errors = open_page(browser)
    sign_in(page, serve.url, OPERATOR_TOKEN, f"/syncs/{SYNC}/drift")
    page.click("text=Plan this sync")
    page.wait_for_url(re.compile(r".*/plans/plan-[0-9a-f]+$"))
    assert page.locator("#writes tbody tr").count() == len(expected)
    page.once("dialog", lambda dialog: dialog.accept())  # "Apply N write(s) to <target>?"
    page.click("[data-testid=apply]")
    page.wait_for_load_state()
    page.wait_for_url(re.compile(r".*/runs/[0-9A-Za-z-]+$"), timeout=120_000)
    assert page.inner_text("[data-testid=run-status]") == "succeeded"
    assert visible_rows(page, "operations") >= len(expected)

    # Checked through the target's own API: every balance now holds what the plan showed.
    after = balances()
    assert {key: after.get(key, Decimal(0)) for key in expected} == expected
    page.goto(f"{serve.url}/syncs/{SYNC}/drift")
    assert page.inner_text("[data-testid=drift-summary]").startswith("0 of ")
    assert errors == []


def test_a_reader_sees_the_plan_but_cannot_apply_it(
    browser: BrowserContext, serve: Running, demo: ServiceDemo
) -> None:
    reset_demo(demo)
    page, errors = open_page(browser)
    sign_in(page, serve.url, READ_TOKEN, f"/syncs/{SYNC}/drift")
    page.click("text=Plan this sync")
    page.wait_for_url(re.compile(r".*/plans/plan-[0-9a-f]+$"))
    plan_url = page.url
    assert page.locator("#writes tbody tr").count() > 0
    assert page.locator("[data-testid=apply]").count() == 0
    assert "Applying needs an operator token" in page.content()
    # Sending the apply form anyway, with the session's own CSRF token, is refused.
    csrf = page.evaluate(
        "() => fetch('/').then(r => r.text()).then(t => "
        "new DOMParser().parseFromString(t, 'text/html').querySelector('input[name=csrf]').value)"
    )
    answer = page.request.post(plan_url + "/apply", form={"csrf": csrf})
    assert answer.status == 403
    assert "needs an operator token" in answer.text()
    # Without the CSRF token (a form posted from another site) it is refused as well.
    answer = page.request.post(plan_url + "/apply", form={})
    assert answer.status == 403
    assert "CSRF" in answer.text()
    assert api(serve, "/api/runs", sync=SYNC)["total"] == 0  # nothing ran
    assert errors == []


def test_a_wrong_token_does_not_sign_in(browser: BrowserContext, serve: Running) -> None:
    page, errors = open_page(browser)
    page.goto(serve.url + "/")
    page.fill("input[name=token]", "not-one-of-the-configured-tokens")
    page.click("button[type=submit]")
    assert "That is not one of the configured tokens." in page.inner_text("[role=alert]")
    page.goto(serve.url + "/runs/x")
    assert page.url.startswith(serve.url + "/login")
    assert errors == []


# -- the README's screenshots -----------------------------------------------------------------


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_readme_screenshots_come_from_demo_serve(
    browser: BrowserContext, tmp_path: Path
) -> None:
    write = os.environ.get("BALANCE_GATEWAY_WRITE_SCREENSHOTS") == "1"
    folder = ROOT / "docs" if write else tmp_path
    arguments = ["demo", "--serve", "--port", "0"] + ([] if write else ["--employees", "24"])
    with started(arguments, {}, r"dashboard: (http://\S+)/", cwd=tmp_path) as demo:
        page, errors = open_page(browser)
        sign_in(page, demo.url, OPERATOR_TOKEN)
        page.screenshot(path=str(folder / "dashboard.png"), full_page=True)
        page.goto(f"{demo.url}/syncs/{SYNC}/drift")
        page.wait_for_selector("[data-testid=chart]")
        page.screenshot(path=str(folder / "dashboard-drift.png"))
        assert errors == []
    for name in ("dashboard.png", "dashboard-drift.png"):
        width, height = _png_size(folder / name)
        assert width == 1400
        assert height >= 600
    readme = (ROOT / "README.md").read_text()
    for name in ("dashboard.png", "dashboard-drift.png"):
        assert f"](docs/{name})" in readme
        assert (ROOT / "docs" / name).exists()
