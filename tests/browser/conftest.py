"""Browser tests share the session app served by ``live_server``."""

import pytest
from playwright.sync_api import expect

from tests.conftest import reset_database

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
