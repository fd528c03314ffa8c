"""Playwright in headless Chromium (Debian's build) against Django's live server."""

import os
import shutil
import struct
import zlib

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-dev-shm-usage", "--disable-component-update", "--no-first-run", "--disable-sync"]

# Playwright's sync API runs an event loop; Django's async-safety check would refuse ORM calls
# from the test body otherwise.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect

    # A loaded CI machine (two cores) can take a few seconds for an htmx round trip.
    expect.set_options(timeout=20_000)
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed (scripts/test_deps.sh installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="en-US", viewport={"width": 1366, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def sign_in(page, live_server):
    """Sign in through the real form: ``sign_in("admin")``."""

    def do(username, password="Courtyard#2026"):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        return page

    return do


def png(width=48, height=48, rgb=(70, 130, 200)):
    """A real PNG image of one plain colour, as a camera upload or a poster would be."""
    row = b"\x00" + bytes(rgb) * width
    raw = zlib.compress(row * height)

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


@pytest.fixture
def phone(browser, live_server):
    """A resident's phone (390 × 844, touch) that collects console and page errors."""
    context = browser.new_context(
        locale="en-US", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors = []
    page.on(
        "console",
        lambda m: m.type == "error" and "Failed to load" not in m.text and errors.append(m.text),
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    yield page
    context.close()
