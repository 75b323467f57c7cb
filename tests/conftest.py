"""Shared fixtures: one app per session, a database rebuilt cheaply before each test.

The schema is built once through the Alembic migrations (never ``create_all``) together
with one user per role; before each test the SQLite file is replaced by that template,
which takes about a millisecond.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from config import TestingConfig
from qms import create_app
from qms.auth.models import Role, User
from qms.core import audit
from qms.extensions import db, limiter

PASSWORD = "clave-de-prueba-123"
#: username → role of the users every test database starts with.
USERS = {
    "admin": Role.ADMIN,
    "calidad": Role.QUALITY_OFFICER,
    "duenio": Role.PROCESS_OWNER,
    "direccion": Role.MANAGER,
    "auditor": Role.AUDITOR,
    "certificador": Role.CERTIFIER,
    "duenio2": Role.PROCESS_OWNER,
}
#: The user that stands for each role in role-based tests.
ROLE_USER = {role.value: name for name, role in reversed(USERS.items())}

from tests.fixtures_browser import browser_type_launch_args, live_server  # noqa: E402,F401
from tests.fixtures_postgres import (  # noqa: E402,F401
    fresh_pg_app,
    pg_app,
    pg_server,
    pg_template,
)


class ClosingClient(FlaskClient):
    """Reads each response whole and closes it and the request body, as a WSGI server does
    once it has answered: a file served with ``send_file`` and the spool file Werkzeug's
    test client writes a large upload to are closed at once instead of leaking until
    garbage collection (a ResourceWarning, which the suite turns into an error)."""

    def open(self, *args, buffered: bool = True, **kwargs):
        response = super().open(*args, buffered=buffered, **kwargs)
        for answered in (*response.history, response):
            body = answered.request.environ.get("wsgi.input")
            if body is not None:
                body.close()
        return response


def make_app(database_url: str, tmp: Path, **overrides) -> Flask:
    application = create_app(
        TestingConfig(),
        SQLALCHEMY_DATABASE_URI=database_url,
        INSTANCE_DIR=tmp,
        STORAGE_DIR=tmp / "files",
        BACKUP_DIR=tmp / "backups",
        **overrides,
    )
    application.test_client_class = ClosingClient
    return application


def seed_users() -> None:
    from datetime import timedelta

    from qms.auth.services import create_user
    from qms.core.time import today_local

    with audit.acting_as(audit.SYSTEM):
        for username, role in USERS.items():
            create_user(
                username=username, full_name=f"Usuario {username.capitalize()}",
                email=f"{username}@example.hn", role=role, password=PASSWORD,
                access_expires_on=today_local() + timedelta(days=30)
                if role == Role.CERTIFIER else None,
            )
        db.session.commit()


@pytest.fixture(scope="session")
def app(tmp_path_factory) -> Iterator[Flask]:
    from flask_migrate import upgrade

    tmp = tmp_path_factory.mktemp("qms")
    db_file = tmp / "test.sqlite3"
    application = make_app(f"sqlite:///{db_file}", tmp)
    with application.app_context():
        upgrade()
        seed_users()
        db.session.remove()
        db.engine.dispose()
    template = tmp / "template.sqlite3"
    shutil.copy(db_file, template)
    application.config["TEST_DB_FILE"] = db_file
    application.config["TEST_DB_TEMPLATE"] = template
    yield application


def reset_database(application: Flask, template: Path | None = None) -> None:
    """Replace the test database by ``template`` (by default the session's template)."""
    db_file: Path = application.config["TEST_DB_FILE"]
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    for suffix in ("-wal", "-shm"):
        Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    shutil.copy(template or application.config["TEST_DB_TEMPLATE"], db_file)


@pytest.fixture
def database_template(app) -> Path:
    """The file each test's database is a copy of. A test module may override this
    fixture to start from a richer template built once per session (tests/matrix does)."""
    return app.config["TEST_DB_TEMPLATE"]


@pytest.fixture(autouse=True)
def _fresh_database(request) -> Iterator[None]:
    """Every test that uses the app starts from the template database."""
    if "app" not in request.fixturenames:
        yield
        return
    application = request.getfixturevalue("app")
    reset_database(application, request.getfixturevalue("database_template"))
    limiter.reset()
    yield


@pytest.fixture(scope="session")
def demo_template(app, tmp_path_factory) -> Path:
    """The database ``make run`` starts from (``qms init`` and ``qms seed-demo`` on a
    database without users), built once per session: seeding takes 20 s on shared cores.
    Its files go to the session's content-addressed storage, where every copy finds them."""
    from qms.core.cli import qms

    reset_database(app)  # built on the empty template, whatever test ran before on this worker
    with app.app_context():
        db.session.execute(User.__table__.delete())  # no users yet, as `make run` sees it
        db.session.commit()
    runner = app.test_cli_runner()
    assert runner.invoke(qms, ["init"]).exit_code == 0
    result = runner.invoke(qms, ["seed-demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    shutil.copy(app.config["TEST_DB_FILE"], path)
    reset_database(app)
    return path


@pytest.fixture
def demo(app, demo_template) -> Flask:
    """The app on a fresh copy of the demo database (log in with ``demo_password()``)."""
    reset_database(app, demo_template)
    return app


@pytest.fixture
def app_ctx(app) -> Iterator[Flask]:
    with app.test_request_context():
        yield app
        db.session.rollback()


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


def user(username: str) -> User:
    """Load a seeded user inside an app context."""
    from qms.auth.services import find_user

    found = find_user(username)
    assert found is not None, username
    return found


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post_form(client: FlaskClient, path: str, data: dict | None = None, *,
              token_from: str | None = None, **kwargs):
    """POST like a browser: with the CSRF token of a page the user has open."""
    payload = dict(data or {})
    payload.setdefault("csrf_token", csrf_token(client, token_from or path))
    return client.post(path, data=payload, **kwargs)


def login(client: FlaskClient, username: str, password: str = PASSWORD):
    return post_form(client, "/login", {"username": username, "password": password})


@pytest.fixture
def login_as(client):
    def _login(username: str) -> FlaskClient:
        response = login(client, username)
        assert response.status_code == 302, f"login failed for {username}"
        return client

    return _login
