"""The unit of work: commit once after success, roll back on error, hooks after commit."""

from __future__ import annotations

import shutil

import pytest
from flask import Blueprint
from sqlalchemy import select

from qms.auth.models import ApiToken
from qms.auth.services import issue_token
from qms.core import uow
from qms.core.errors import ValidationError
from qms.extensions import db
from qms.processes.models import Process, ProcessCategory
from qms.processes.services import create_process
from tests.conftest import make_app, user


@pytest.fixture(scope="module")
def boundary_app(app, tmp_path_factory):
    """An app with three extra routes that exercise the boundary on the test database."""
    tmp = tmp_path_factory.mktemp("uow")
    shutil.copy(app.config["TEST_DB_TEMPLATE"], tmp / "uow.sqlite3")  # its own database
    application = make_app(f"sqlite:///{tmp / 'uow.sqlite3'}", tmp, WTF_CSRF_ENABLED=False)
    bp = Blueprint("uow_test", __name__)
    calls: list[str] = []

    def _create(code: str) -> Process:
        return create_process(code=code, name="Proceso de prueba",
                              category=ProcessCategory.SUPPORT, owner=user("duenio"))

    @bp.post("/_uow/ok")
    def ok():
        _create("UOWOK")
        uow.after_commit(lambda: calls.append("ok"))
        return "created", 201

    @bp.post("/_uow/refused")
    def refused():
        _create("UOWNO")
        uow.after_commit(lambda: calls.append("refused"))
        raise ValidationError("refusé", field="code")

    @bp.post("/_uow/crash")
    def crash():
        _create("UOWCRASH")
        uow.after_commit(lambda: calls.append("crash"))
        raise RuntimeError("boom")

    application.register_blueprint(bp)
    application.config["PROPAGATE_EXCEPTIONS"] = False
    application.extensions["uow_calls"] = calls
    return application


def _codes(application) -> set[str]:
    with application.app_context():
        return set(db.session.scalars(select(Process.code)))


def test_success_commits_once_and_runs_hooks_after(boundary_app):
    client = boundary_app.test_client()
    assert client.post("/_uow/ok").status_code == 201
    assert "UOWOK" in _codes(boundary_app)
    assert boundary_app.extensions["uow_calls"] == ["ok"]


def test_a_refusal_rolls_back_and_drops_the_hooks(boundary_app):
    boundary_app.extensions["uow_calls"].clear()
    client = boundary_app.test_client()
    response = client.post("/_uow/refused", headers={"Referer": "http://localhost/procesos/"})
    assert response.status_code == 302 and response.headers["Location"] == "/procesos/"
    crash = client.post("/_uow/crash")
    assert crash.status_code == 500
    assert not {"UOWNO", "UOWCRASH"} & _codes(boundary_app)
    assert boundary_app.extensions["uow_calls"] == []


def test_a_refusal_on_the_api_is_json_with_its_field(app, client):
    with app.app_context():
        _, secret = issue_token(user("calidad"), "pruebas")
        db.session.commit()
    response = client.post("/api/v1/processes/", headers={"Authorization": f"Bearer {secret}"},
                           json={"code": "ADM", "name": "x", "category": "support",
                                 "owner_id": 999})
    assert response.status_code == 422
    assert response.json["code"] == 422 and "owner_id" in response.json["errors"]["json"]


def test_a_read_only_api_call_saves_the_tokens_last_use(app, client):
    with app.app_context():
        _, secret = issue_token(user("calidad"), "pruebas")
        db.session.commit()
    assert client.get("/api/v1/processes/",
                      headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(ApiToken.last_used_at)) is not None


def test_cli_unit_exits_1_with_the_field_and_keeps_nothing(app):
    with app.app_context():
        with pytest.raises(SystemExit) as stopped, uow.cli_unit("load"):
            create_process(code="CLI", name="x", category=ProcessCategory.SUPPORT,
                           owner=user("duenio"))
            raise ValidationError("mal", field="code")
        assert stopped.value.code == 1
        assert "CLI" not in set(db.session.scalars(select(Process.code)))
