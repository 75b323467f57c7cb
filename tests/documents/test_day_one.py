"""Day one with documents: the signer shown is the one who signed; the author sees who can
approve before sending; a due periodic review closes as "reviewed, no changes"; the revision
queue filters of the register."""

from __future__ import annotations

import re

from sqlalchemy import select

from qms.core.audit import AuditEvent
from qms.core.time import today_local
from qms.documents import services
from qms.documents.models import Document, DocumentType, Revision
from qms.extensions import db
from tests.conftest import PASSWORD, login, post_form, user
from tests.documents.conftest import approve, bring_into_force, make_document, submit


def test_the_signature_shown_is_the_signers_and_the_trail_agrees(app, login_as):
    with app.test_request_context():
        _document, revision = make_document()
        submit(revision)
        db.session.commit()
        rid, version = revision.id, revision.version
    client = login_as("direccion")
    response = post_form(client, f"/documentos/revisiones/{rid}/aprobar",
                         {"approve-password": PASSWORD, "approve-version": version},
                         token_from=f"/documentos/revisiones/{rid}")
    assert response.status_code == 302
    page = client.get(f"/documentos/revisiones/{rid}").get_data(as_text=True)
    signature = page.split('id="signature">')[1].split("</dd>")[0]
    assert "Usuario Direccion" in signature and "Usuario Duenio" not in signature
    with app.app_context():
        revision = db.session.get(Revision, rid)
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.entity_type == "document_revision", AuditEvent.entity_id == str(rid),
            AuditEvent.action == "transition:approved"))
        assert revision.approved_by_id == event.actor_id == user("direccion").id


def test_send_for_review_names_who_can_approve(app, login_as):
    with app.test_request_context():
        _doc, procedure = make_document()
        _pol, policy = make_document("PO-PAG-01", doc_type=DocumentType.POLICY,
                                     process=_doc.process)
        _own, by_officer = make_document("PR-PAG-02", process=_doc.process, author="calidad")
        db.session.commit()
        ids = procedure.id, policy.id, by_officer.id
    client = login_as("duenio")

    def approvers(rid, who=client):
        page = who.get(f"/documentos/revisiones/{rid}").get_data(as_text=True)
        return re.search(r'id="revision-approvers">([^<]+)<', page).group(1)

    assert approvers(ids[0]) == ("La aprobará una de estas personas: Usuario Calidad, "
                                 "Usuario Direccion.")
    assert approvers(ids[1]) == "La aprobará una de estas personas: Usuario Direccion."
    # the quality officer wrote it: she cannot sign it, and the page says so before sending
    officer = app.test_client()
    login(officer, "calidad")
    assert approvers(ids[2], officer) == \
        "La aprobará una de estas personas: Usuario Direccion."


def _overdue_document(app):
    with app.test_request_context():
        document, revision = make_document(interval=1)
        bring_into_force(revision, days_ago=45)
        db.session.commit()
        return document.id


def test_a_due_review_closes_without_a_new_revision(app, login_as):
    doc_id = _overdue_document(app)
    with app.app_context():
        document = db.session.get(Document, doc_id)
        assert services.review_state(document) == "overdue"
        version = document.version
    client = login_as("duenio")
    path = f"/documentos/{doc_id}/revision-periodica"
    refused = post_form(client, path, {"review-version": version, "review-note": ""},
                        token_from=f"/documentos/{doc_id}")
    assert refused.status_code == 422 and "Revisado, sin cambios" in refused.get_data(as_text=True)
    done = post_form(client, path, {"review-version": version,
                                    "review-note": "Revisado con el equipo: sigue vigente."},
                     token_from=f"/documentos/{doc_id}", follow_redirects=True)
    html = done.get_data(as_text=True)
    assert "Revisión periódica cerrada sin cambios" in html
    assert "Revisión periódica: revisado, sin cambios" in html  # in the document's history
    assert "Revisado con el equipo: sigue vigente." in html
    with app.test_request_context():
        document = db.session.get(Document, doc_id)
        assert len(document.revisions) == 1 and document.last_reviewed_on == today_local()
        assert services.review_state(document) is None
        assert services.next_review_on(document) == services.add_months(today_local(), 1)
    again = post_form(client, path, {"review-version": version + 1, "review-note": "Otra vez"},
                      token_from=f"/documentos/{doc_id}")
    assert again.status_code == 422  # not due any more


def test_another_owner_cannot_close_the_review(app, login_as):
    doc_id = _overdue_document(app)
    response = post_form(login_as("duenio2"), f"/documentos/{doc_id}/revision-periodica",
                         {"review-note": "x"}, token_from=f"/documentos/{doc_id}")
    assert response.status_code == 403


def test_revision_queue_filters(app, login_as):
    with app.test_request_context():
        _a, in_review = make_document("PR-PAG-01")
        submit(in_review)
        _b, approved = make_document("PR-PAG-02", process=_a.process)
        submit(approved)
        approve(approved)
        make_document("PR-PAG-03", process=_a.process)
        db.session.commit()
    client = login_as("calidad")

    def codes(query):
        page = client.get(f"/documentos/?{query}").get_data(as_text=True)
        table = page.split('id="master-list"')[1]
        return re.findall(r">(PR-PAG-\d\d)</(?:span|a)>", table)

    assert codes("cola=en_revision") == ["PR-PAG-01"]
    assert codes("cola=aprobadas") == ["PR-PAG-02"]
    assert codes("") == ["PR-PAG-01", "PR-PAG-02", "PR-PAG-03"]
