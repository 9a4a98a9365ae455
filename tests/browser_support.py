"""A live server and Debian's Chromium for the Playwright tests (never a downloaded browser)."""
import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# Screenshots of a test run go to an ignored folder; IQ_SCREENSHOT_DIR=tests/artifacts refreshes the
# committed ones (a plain run used to rewrite those tracked files on every machine).
ARTIFACTS = Path(os.environ.get("IQ_SCREENSHOT_DIR") or Path(__file__).parent.parent / "instance" / "screenshots")

# Skip only when the browser is missing; CI installs it (.ci/system-packages.sh).
needs_chromium = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed")


@pytest.fixture(scope="module")
def live_server(app):
    """The test app served on 127.0.0.1 and a free port, in a thread, for the module's tests."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15000)
    tab = context.new_page()
    yield tab
    context.close()


def shot(page, name, full_page=False):
    """A screenshot of the step (the 1280x800 viewport, or the whole page), under ``ARTIFACTS``.
    Those of the screens changed by issues 9 and 12 are committed in tests/artifacts/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def log_in(page, base, username, password):
    page.goto(f"{base}/login/")
    page.focus("#username")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)
