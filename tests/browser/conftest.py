"""Browser fixtures: the app on a real HTTP port, and headless Chromium (the OS package) via Playwright."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field

import pytest

from tests.conftest import ARTIFACTS, _unavailable, served

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# Chromium's own chatter about software WebGL is not an error of the page.
IGNORED = ("GPU stall due to ReadPixels", "WebGL", "Automatic fallback to software WebGL")


@pytest.fixture(scope="session")
def live_url(app):
    """The app served over HTTP on a free loopback port for the whole session."""
    with served(app) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium from the operating system."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        _unavailable("chromium is not installed (make test installs the Debian package)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_FLAGS)
        yield b
        b.close()


@dataclass
class Problems:
    """Everything that went wrong while a page was open."""

    items: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.items)


@pytest.fixture()
def page(browser, request):
    """A fresh page that records console errors, page errors, failed requests and 4xx/5xx responses."""
    # Playwright polls wait_for_function with eval, which the pages' CSP forbids; test_csp.py checks the policy.
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN", bypass_csp=True)
    pg = context.new_page()
    problems = Problems()
    pg.on("console", lambda m: problems.items.append(f"console.{m.type}: {m.text}")
          if m.type == "error" and not any(s in m.text for s in IGNORED) else None)
    pg.on("pageerror", lambda e: problems.items.append(f"page error: {e}"))
    pg.on("requestfailed", lambda r: None if _cancelled_tile(r.url, r.failure) else problems.items.append(
        f"request failed: {r.url} {r.failure}"))
    pg.on("response", lambda r: problems.items.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    pg.problems = problems
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name).strip("_")
    pg.screenshot(path=str(ARTIFACTS / f"{safe}.png"))
    context.close()


def _cancelled_tile(url: str, failure: str | None) -> bool:
    """A tile the map stopped wanting (it moved on): MapLibre aborts its request, by design, not a failure."""
    return "net::ERR_ABORTED" in (failure or "") and "/tiles/" in url


def wait_for_map(pg, timeout: int = 30000) -> None:
    """Until the page's map has loaded its style and every visible tile."""
    pg.wait_for_function("() => window.bluemap && window.bluemap.map && window.bluemap.map.loaded()"
                         " && window.bluemap.map.areTilesLoaded()", timeout=timeout)
    pg.wait_for_timeout(300)
