"""Browser tests: Debian's Chromium driven by Playwright against Django's live server.

Playwright cannot download its own browser here, so the system Chromium is used. Without it the
tests skip with a reason, unless E2E_REQUIRED=1 (CI), where a missing browser is a failure.
"""

import os
import shutil

import pytest
import stripe

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"

# Playwright's sync API runs an event loop in the test thread; the ORM calls in these tests are
# still synchronous, so Django's guard against async contexts does not apply.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/e2e/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        message = f"Chromium not found at {CHROMIUM}: apt-get install chromium"
        if os.environ.get("E2E_REQUIRED") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def page(page):
    """A page that fails the test on any JavaScript error or failed console error."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: errors.append(message.text) if message.type == "error" else None,
    )
    page.set_default_timeout(10_000)
    yield page
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def log_in(page, live_server):
    def _log_in(email: str, password: str) -> None:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in", exact=True).click()
        page.wait_for_url(f"{live_server.url}/account/")

    return _log_in


@pytest.fixture
def sdk(stripe_sandbox, settings):
    """The real SDK talking to the live server's sandbox (its background webhook worker off),
    for a test to set up or inspect the sandbox's state."""
    settings.STRIPE_SANDBOX_WEBHOOK_WORKER = False
    base = f"{stripe_sandbox}/stripe-sandbox"
    return stripe.StripeClient(
        "sk_test_sandbox_platform",
        client_id="ca_sandbox_platform",
        base_addresses={"api": base, "connect": base},
        max_network_retries=0,
    )
