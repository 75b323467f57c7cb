"""Browser tests share the session app served by ``live_server``."""

import pytest

from tests.conftest import reset_database


@pytest.fixture(autouse=True)
def _fresh_for_browser(app, live_server):
    """The live server serves the session app, so the template reset applies to it too."""
    reset_database(app)
    yield


@pytest.fixture(scope="session")
def base_url(live_server):
    return live_server
