"""Object-level rules: a process owner edits their document, not where it belongs."""

from __future__ import annotations

from qms.documents.models import Document
from qms.extensions import db
from tests.conftest import post_form, user
from tests.documents.conftest import make_document, make_process


def _document(app):
    with app.test_request_context():
        document, _ = make_document()
        other = make_process(code="OTR", owner="duenio2")
        db.session.commit()
        return document.id, other.id


def _edit(client, doc_id, document, **changes):
    form = {"code": document.code, "title": document.title,
            "doc_type": document.doc_type.value, "process_id": document.process_id,
            "owner_id": document.owner_id or 0,
            "confidentiality": document.confidentiality.value,
            "review_interval_months": document.review_interval_months,
            "distribution_roles": ["process_owner"], "version": document.version}
    form.update(changes)
    return post_form(client, f"/documentos/{doc_id}/editar", form)


def _load(app, doc_id) -> Document:
    with app.app_context():
        document = db.session.get(Document, doc_id)
        db.session.expunge(document)
        return document


def test_a_process_owner_cannot_move_their_document_to_another_owners_process(app, login_as):
    doc_id, other_process = _document(app)
    client = login_as("duenio")
    before = _load(app, doc_id)
    for change in ({"process_id": other_process}, {"doc_type": "policy"},
                   {"confidentiality": "public"},
                   {"owner_id": _uid(app, "duenio2")}):
        response = _edit(client, doc_id, _load(app, doc_id), **change)
        assert response.status_code in (200, 403)
        assert "Solo control de documentos" in response.get_data(as_text=True)
    after = _load(app, doc_id)
    assert (after.process_id, after.doc_type, after.confidentiality, after.owner_id) == (
        before.process_id, before.doc_type, before.confidentiality, before.owner_id)


def test_a_process_owner_still_edits_the_title_and_an_officer_may_move_it(app, login_as):
    doc_id, other_process = _document(app)
    client = login_as("duenio")
    assert _edit(client, doc_id, _load(app, doc_id),
                 title="Entrega del bono (v2)").status_code == 302
    officer = app.test_client()
    post_form(officer, "/login", {"username": "calidad", "password": "clave-de-prueba-123"})
    assert _edit(officer, doc_id, _load(app, doc_id),
                 process_id=other_process).status_code == 302
    assert _load(app, doc_id).process_id == other_process


def _uid(app, name):
    with app.app_context():
        return user(name).id


NC_API = "/api/v1/nonconformities"


def _audit_nc(app, client):
    from tests.nonconformities.conftest import api_token, seed_process
    from tests.nonconformities.test_api import _create

    pid = seed_process(app)  # owned by duenio
    return _create(client, api_token(app, "auditor"), pid, severity="major",
                   source="internal_audit")


def _edit_body(nc, **changes):
    body = {k: nc[k] for k in ("title", "description", "source", "process_id", "severity",
                               "detected_on")}
    body.update(version=nc["version"], **changes)
    return body


def test_the_auditee_cannot_downgrade_or_cancel_an_auditors_major_nc(app, client):
    from tests.nonconformities.conftest import api_token

    nc = _audit_nc(app, client)
    owner = api_token(app, "duenio")
    downgrade = client.patch(f"{NC_API}/{nc['id']}", headers=owner,
                             json=_edit_body(nc, severity="minor"))
    assert downgrade.status_code == 403
    assert "responsable de calidad" in downgrade.get_json()["message"]
    cancel = client.post(f"{NC_API}/{nc['id']}/transitions", headers=owner, json={
        "target": "cancelled", "version": nc["version"], "reason": "No aplica"})
    assert cancel.status_code == 403
    # The auditee still answers it (edits its text) …
    answer = client.patch(f"{NC_API}/{nc['id']}", headers=owner,
                          json=_edit_body(nc, description="Revisamos el caso."))
    assert answer.status_code == 200
    # … and the quality officer settles severity and cancellation, with a reason.
    officer = api_token(app, "calidad")
    nc = answer.get_json()
    assert client.patch(f"{NC_API}/{nc['id']}", headers=officer, json=_edit_body(
        nc, severity="minor", severity_reason="Un solo caso aislado.")).status_code == 200
