"""One versioned form base and one conflict message: every form that edits a versioned
record inherits ``VersionedForm``, and a stale or garbled version is refused with the
same words in every domain (never a 500, never a silent overwrite)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from flask_wtf import FlaskForm
from wtforms.fields.core import UnboundField

import qms
from qms.core import audit
from qms.core.errors import stale_message
from qms.core.forms import VersionedForm
from qms.documents.models import Document, Revision
from qms.extensions import db
from qms.nonconformities.models import Nonconformity
from tests.conftest import post_form, user


def _form_classes() -> list[type]:
    found = []
    for module_info in pkgutil.iter_modules(qms.__path__):
        try:
            module = importlib.import_module(f"qms.{module_info.name}.forms")
        except ModuleNotFoundError:
            continue
        found += [cls for _name, cls in inspect.getmembers(module, inspect.isclass)
                  if issubclass(cls, FlaskForm) and cls.__module__ == module.__name__]
    return found


def test_every_form_with_a_version_inherits_the_versioned_base():
    classes = _form_classes()
    versioned = [c for c in classes if isinstance(getattr(c, "version", None), UnboundField)]
    assert len(versioned) >= 17
    own = [c.__qualname__ for c in versioned if c is not VersionedForm
           and (not issubclass(c, VersionedForm) or "version" in vars(c))]
    assert own == [], f"declare the version field once, in VersionedForm: {own}"


def test_a_garbled_version_is_read_as_missing(app):
    with app.test_request_context(method="POST", data={"version": "7"}):
        assert VersionedForm(meta={"csrf": False}).version.data == 7
    for garbled in ("", "abc", "1.5"):
        with app.test_request_context(method="POST", data={"version": garbled}):
            assert VersionedForm(meta={"csrf": False}).version.data is None


def _message(app) -> str:
    with app.test_request_context():
        return str(stale_message())


def test_a_stale_step_on_the_nc_page_answers_the_one_message(app, login_as):
    """The NC detail page: the correction form posted from a page read before another
    person's change is refused with 409 and the one message; nothing is saved."""
    from tests.nonconformities.conftest import make_nc, make_process

    with app.test_request_context(), audit.acting_as(user("calidad")):
        nc = make_nc(make_process("VFN"))
        db.session.commit()
        nc_id, version = nc.id, nc.version
    client = login_as("calidad")
    page = f"/no-conformidades/{nc_id}"
    for stale in (version - 1, "x"):
        response = post_form(client, f"{page}/correccion", {
            "correction": "Se acreditó de nuevo.", "version": stale}, token_from=page)
        assert response.status_code == 409
        assert _message(app) in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Nonconformity, nc_id).correction is None


def test_documents_and_their_revisions_answer_the_same_message(app, login_as):
    from tests.documents.conftest import make_document

    with app.test_request_context():
        document, revision = make_document(code="PR-VF-01")
        db.session.commit()
        doc_id, rid, doc_version, rev_version = (document.id, revision.id, document.version,
                                                 revision.version)
        process_id = document.process_id
    client = login_as("calidad")
    register = post_form(client, f"/documentos/{doc_id}/editar", {
        "title": "Otro título", "doc_type": "procedure", "process_id": process_id,
        "owner_id": 0, "confidentiality": "internal", "review_interval_months": 12,
        "version": doc_version + 1})
    draft = post_form(client, f"/documentos/revisiones/{rid}/editar", {
        "change_summary": "x", "content_md": "# Otro texto", "version": "garbled"})
    message = _message(app)
    assert register.status_code == 200 and message in register.get_data(as_text=True)
    assert draft.status_code == 200 and message in draft.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Document, doc_id).title != "Otro título"
        assert db.session.get(Revision, rid).version == rev_version


def test_a_stale_api_edit_is_409_with_the_same_message(app, client):
    from tests.nonconformities.conftest import api_token, make_nc, make_process

    with app.test_request_context(), audit.acting_as(user("calidad")):
        nc = make_nc(make_process("VFA"))
        db.session.commit()
        nc_id, version = nc.id, nc.version
    response = client.post(f"/api/v1/nonconformities/{nc_id}/correction",
                           headers=api_token(app, "calidad"),
                           json={"version": version + 4, "correction": "x"})
    assert response.status_code == 409
    assert response.get_json()["message"] == _message(app)
