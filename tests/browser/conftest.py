"""Browser tests share the session app served by ``live_server``."""

import re

import pytest
from playwright.sync_api import Page, expect

from qms.extensions import limiter
from tests.conftest import PASSWORD, reset_database

#: CI shares 2 cores between the app thread, Chromium and pytest: be patient, not flaky.
TIMEOUT_MS = 20_000
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(autouse=True)
def _fresh_for_browser(app, live_server):
    """The live server serves the session app, so the template reset applies to it too."""
    reset_database(app)
    yield


@pytest.fixture(autouse=True)
def _patient_page(page):
    page.set_default_timeout(TIMEOUT_MS)
    yield


@pytest.fixture(scope="session")
def base_url(live_server):
    return live_server


def sign_in(page: Page, base: str, username: str) -> None:
    """Sign ``username`` in through the login form, after signing out whoever holds the
    browser as a person would, from the account menu (clearing the cookies instead raced
    with the page's last responses, which refresh the session cookie)."""
    limiter.reset()  # people taking turns at one browser are not a brute-force attempt
    account = page.locator("#nav-account")
    if account.count():
        account.click()
        page.get_by_role("button", name="Cerrar sesión").click()
        expect(page).to_have_url(re.compile(r"/login"))
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    expect(page).not_to_have_url(re.compile(r"/login"))
