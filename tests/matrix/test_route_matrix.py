"""Walks every registered route for every role and for anonymous (see tests/matrix)."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from sqlalchemy import select

import tests.matrix as matrix_pkg
from qms.auth.models import User
from qms.auth.services import issue_token
from qms.core import audit
from qms.extensions import db
from tests.conftest import ROLE_USER, csrf_token, login
from tests.matrix import PUBLIC, ROLES, Row

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


def _objects(app, actor_name: str | None) -> dict:
    with app.app_context(), audit.acting_as(audit.SYSTEM):
        users = {u.username: u for u in db.session.scalars(select(User))}
        actor = users.get(actor_name) if actor_name else None
        values: dict = {}
        for build in BUILDERS:
            values.update(build({**users, **values}, actor))
        token = issue_token(actor, "api")[1] if actor else None
        db.session.commit()
    return {"placeholders": values, "token": token}


def _request(client, row: Row, path: str, role: str, token: str | None):
    if row.is_api:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if row.method == "GET":
            return client.get(path, headers=headers)
        return client.open(path, method=row.method, json=row.data, headers=headers)
    if row.method == "GET":
        return client.get(path)
    data = dict(row.data)
    data["csrf_token"] = csrf_token(client, "/login" if role == "anonymous" else "/inicio")
    return client.open(path, method=row.method, data=data)


def _sent_to_login(response) -> bool:
    return response.status_code == 302 and "/login?next=" in response.headers.get("Location", "")


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_route_role(app, client, case):
    row, role = case
    actor = None if role == "anonymous" else ROLE_USER[role]
    objects = _objects(app, actor)
    path = row.url.format(**objects["placeholders"])
    if actor:
        assert login(client, actor).status_code == 302
    response = _request(client, row, path, role, objects["token"])
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
