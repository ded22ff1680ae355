"""The dashboard in a real browser: Debian's Chromium driven by Playwright, against the whole
system as processes (the e2e fixtures start it, the dashboard included, as `make run` does).

Nothing is downloaded: the browser is /usr/bin/chromium (`.ci/run` installs it with apt).
Screenshots go to test-artifacts/web/.
"""

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from e2e.conftest import as_user, market, system, token  # noqa: F401  (the e2e fixtures)

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts" / "web"
LAPTOP = {"width": 1366, "height": 900}


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    # Not `with sync_playwright()`: its exit waits for the driver process through asyncio's child
    # watcher, which never hears of it under eventlet's monkey patching (the tests' processes
    # are patched for Nameko). The browser is closed; the driver ends when its pipe does, as
    # this process exits.
    playwright = sync_playwright().start()
    launched = playwright.chromium.launch(executable_path=CHROMIUM)
    yield launched
    launched.close()


@pytest.fixture
def sign_in(browser: Browser, system):  # noqa: F811
    """``sign_in(client)``: a browser page signed in, through the sign-in form, with a token
    for the same person as ``client`` (an e2e ``Client``)."""
    contexts = []

    def open_page(sub: str, role: str, org: str) -> Page:
        context = browser.new_context(viewport=LAPTOP, accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(system.web_url + "/sign-in")
        page.get_by_label("Your API token").fill(token(sub, role, org))
        page.get_by_role("button", name="Sign in").click()
        # Playwright's checks in the driver, never Python predicates: those wait forever on the
        # loop under eventlet.
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
