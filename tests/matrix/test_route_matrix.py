"""Walks every registered route for every role and for anonymous (see tests/matrix)."""

from __future__ import annotations

import importlib
import pkgutil
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

import tests.matrix as matrix_pkg
from qms.auth.models import User
from qms.auth.services import DEVICE_COOKIE, issue_token
from qms.core import audit
from qms.extensions import db, limiter
from tests.conftest import CSRF_RE, PASSWORD, ROLE_USER, reset_database
from tests.matrix import PUBLIC, ROLES, PerActor, Row

IGNORED_METHODS = {"HEAD", "OPTIONS"}
IGNORED_ENDPOINTS = {"static"}


MODULES = [importlib.import_module(f"tests.matrix.{info.name}")
           for info in pkgutil.iter_modules(matrix_pkg.__path__) if info.name != "test_route_matrix"]
ROWS: list[Row] = [row for module in MODULES for row in getattr(module, "ROUTES", [])]
BUILDERS = [module.objects for module in sorted(
    (m for m in MODULES if hasattr(m, "objects")), key=lambda m: getattr(m, "ORDER", 100))]
CASES = [(row, role) for row in ROWS for role in (*ROLES, "anonymous")]


def _case_id(case) -> str:
    row, role = case
    return f"{row.method} {row.url} {row.note} as {role}".replace(" ", "_")


def test_every_route_is_in_the_matrix(app):
    listed = {(row.method, row.rule) for row in ROWS}
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in IGNORED_ENDPOINTS:
            continue
        for method in sorted(rule.methods - IGNORED_METHODS):
            if (method, rule.rule) not in listed:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert not missing, "routes missing from tests/matrix: " + ", ".join(missing)


def test_matrix_lists_no_route_that_does_not_exist(app):
    registered = {(m, r.rule) for r in app.url_map.iter_rules() for m in r.methods}
    stale = [f"{row.method} {row.rule}" for row in ROWS if (row.method, row.rule) not in registered]
    assert not stale, "tests/matrix lists routes that do not exist: " + ", ".join(stale)


@dataclass(frozen=True)
class ClientState:
    """What a client of one actor carries, captured from real requests at build time."""

    #: The session cookie right after the login form (None: anonymous, no cookie yet).
    cookie: str | None
    #: The session cookie once a page with a form was rendered, and that page's token.
    form_cookie: str
    csrf: str


@dataclass(frozen=True)
class MatrixWorld:
    """The objects every case starts from, built once per session (see tests/matrix)."""

    database: Path
    #: Snapshot of the INSTANCE_DIR and STORAGE_DIR the builders wrote to.
    files: Path
    live_files: Path
    placeholders: dict
    #: username → secret of an API token of that user.
    api_tokens: dict[str, str]
    #: username (None: anonymous) → its session.
    sessions: dict[str | None, ClientState]


FILE_DIRS = ("INSTANCE_DIR", "STORAGE_DIR")


def _use_files(app, root: Path) -> None:
    for key in FILE_DIRS:
        app.config[key] = root / key.lower()


def _session_cookie(app, client) -> str:
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None, "no session cookie"
    return cookie.value


def _only_session_cookie(app, *responses) -> None:
    """Replaying the session cookie reproduces the client only if nothing else was set
    (the known-device cookie only matters to the login form's rate limit, which no case
    uses)."""
    names = {header.split("=", 1)[0] for response in responses
             for header in response.headers.getlist("Set-Cookie")}
    assert names <= {app.config["SESSION_COOKIE_NAME"], DEVICE_COOKIE}, names


def _form_token(response) -> str:
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {response.request.path}"
    return match.group(1)


def _log_in(app, username: str | None) -> ClientState:
    """Log in through the form like a browser, once; keep what the client then holds."""
    client = app.test_client()
    page = client.get("/login")
    if username is None:
        _only_session_cookie(app, page)
        return ClientState(None, _session_cookie(app, client), _form_token(page))
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": _form_token(page)})
    assert response.status_code == 302, f"login failed for {username}"
    cookie = _session_cookie(app, client)
    home = client.get("/inicio")
    _only_session_cookie(app, page, response, home)
    return ClientState(cookie, _session_cookie(app, client), _form_token(home))


def _build(app, root: Path) -> MatrixWorld:
    reset_database(app)
    limiter.reset()  # built on first use, maybe right after a test that tripped the limits
    saved = {key: app.config[key] for key in FILE_DIRS}
    live = root / "files"
    live.mkdir()
    _use_files(app, live)
    try:
        with app.app_context(), audit.acting_as(audit.SYSTEM):
            users = {u.username: u for u in db.session.scalars(select(User))}
            values: dict = {}
            for build in BUILDERS:
                built = build({**users, **values})
                again = (built.keys() & values.keys()) | (built.keys() & users.keys())
                assert not again, f"{build.__module__} returns placeholders already taken: {again}"
                values.update(built)
            api_tokens = {name: issue_token(users[name], "api")[1] for name in ROLE_USER.values()}
            db.session.commit()
        sessions = {name: _log_in(app, name) for name in (*ROLE_USER.values(), None)}
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        app.config.update(saved)
    database = root / "matrix.sqlite3"
    shutil.copy(app.config["TEST_DB_FILE"], database)
    files = root / "files-template"
    shutil.copytree(live, files)
    return MatrixWorld(database, files, live, values, api_tokens, sessions)


@pytest.fixture(scope="session")
def matrix_world(app, tmp_path_factory) -> MatrixWorld:
    return _build(app, tmp_path_factory.mktemp("matrix"))


@pytest.fixture
def database_template(matrix_world) -> Path:
    """Every test of this module starts from the matrix template (see tests/conftest)."""
    return matrix_world.database


@pytest.fixture
def matrix_files(app, matrix_world, monkeypatch) -> None:
    """The files the builders wrote, fresh for each case (a case may start an import)."""
    shutil.rmtree(matrix_world.live_files, ignore_errors=True)
    shutil.copytree(matrix_world.files, matrix_world.live_files)
    for key in FILE_DIRS:
        monkeypatch.setitem(app.config, key, matrix_world.live_files / key.lower())


def _placeholders(world: MatrixWorld, actor: str | None) -> dict:
    return {name: value[actor] if isinstance(value, PerActor) else value
            for name, value in world.placeholders.items()}


def _request(client, world: MatrixWorld, row: Row, path: str, actor: str | None):
    """The request of a case, from a client holding what it would hold at that point: the
    actor's session from the login form and, for a web form, the CSRF token of a page of
    that session (the dashboard; the login page for anonymous)."""
    session = world.sessions[actor]
    form = not row.is_api and row.method != "GET"
    cookie = session.form_cookie if form else session.cookie
    if cookie is not None:
        client.set_cookie(client.application.config["SESSION_COOKIE_NAME"], cookie)
    if row.is_api:
        token = world.api_tokens.get(actor)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if row.method == "GET":
            return client.get(path, headers=headers)
        return client.open(path, method=row.method, json=row.data, headers=headers)
    if not form:
        return client.get(path)
    return client.open(path, method=row.method, data={**row.data, "csrf_token": session.csrf})


def _sent_to_login(response) -> bool:
    return response.status_code == 302 and "/login?next=" in response.headers.get("Location", "")


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_route_role(app, client, matrix_world, matrix_files, case):
    row, role = case
    actor = None if role == "anonymous" else ROLE_USER[role]
    path = row.url.format(**_placeholders(matrix_world, actor))
    response = _request(client, matrix_world, row, path, actor)
    status = response.status_code
    where = f"{row.method} {path} as {role} ({row.note or 'no note'}) answered {status}"

    allowed = row.allowed == PUBLIC or (role != "anonymous" and role in row.allowed)
    if allowed:
        assert status not in (401, 403, 404, 405) and status < 500, where
        assert not _sent_to_login(response), where
    elif role == "anonymous":
        if row.is_api:
            assert status == 401, where
        else:
            assert _sent_to_login(response), where
    else:
        assert status == 403, where
