"""Management reviews through the browser forms and the API, as their users meet them."""

from __future__ import annotations

import re
import threading

from sqlalchemy import func, select

from qms.auth.services import issue_token
from qms.core import audit as trail
from qms.core.audit import AuditEvent
from qms.core.storage import blob_path
from qms.core.time import today_local
from qms.extensions import db
from qms.reviews.enums import ReviewStatus
from qms.reviews.models import ManagementReview
from tests.conftest import PASSWORD, login, post_form, user
from tests.reviews.conftest import ENTERED, held, make_review, with_inputs


def _review(review_id: int) -> ManagementReview:
    db.session.expire_all()
    return db.session.get(ManagementReview, review_id)


def _build(app, factory):
    with app.app_context(), trail.acting_as(user("calidad")):
        review = factory()
        db.session.commit()
        return review.id, review.version


def test_officer_plans_enters_compiles_and_holds(app, client):
    login(client, "calidad")
    today = today_local().isoformat()
    response = post_form(client, "/revision-direccion/nueva", {
        "title": "Revisión anual 2026", "planned_on": today, "period_start": "2026-01-01",
        "period_end": today, "location": "Sala", "attendee_ids": [], "external_attendees": ""})
    assert response.status_code == 302
    with app.app_context():
        review = db.session.scalar(select(ManagementReview))
        review_id, version, code = review.id, review.version, review.code
        direccion = user("direccion").id
    assert re.fullmatch(r"RD-\d{4}-01", code)
    edit = f"/revision-direccion/{review_id}/editar"
    response = post_form(client, edit, {
        "version": version, "title": "Revisión anual 2026", "planned_on": today,
        "period_start": "2026-01-01", "period_end": today, "location": "Sala",
        "attendee_ids": [direccion], "external_attendees": "Lic. Zelaya", **ENTERED})
    assert response.status_code == 302
    page = f"/revision-direccion/{review_id}"
    assert post_form(client, f"{page}/compilar", token_from=page).status_code == 302
    html = client.get(page).get_data(as_text=True)
    for clause in ("9.3.2 a)", "9.3.2 c) 4)", "9.3.2 f)"):
        assert clause in html
    assert "Nuevo reglamento del bono" in html
    with app.app_context():
        version = _review(review_id).version
    response = post_form(client, f"{page}/realizar", {"h-version": version, "h-held_on": today},
                         token_from=page)
    assert response.status_code == 302
    with app.app_context():
        stored = _review(review_id)
        assert stored.status == ReviewStatus.HELD and stored.snapshot_sha256
    # A held review's inputs: the edit page refuses and nothing changes.
    response = post_form(client, edit, {
        "version": stored.version, "title": "Otro", "planned_on": today,
        "period_start": "2026-01-01", "period_end": today, "issues_changes": "Cambiado"},
        token_from=page)
    assert response.status_code == 302
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "congelados" in follow
    with app.app_context():
        assert _review(review_id).issues_changes == ENTERED["issues_changes"]


def test_compiling_a_reversed_period_is_refused_on_the_form(app, client):
    login(client, "calidad")
    response = post_form(client, "/revision-direccion/nueva", {
        "title": "Revisión", "planned_on": today_local().isoformat(),
        "period_start": "2026-06-30", "period_end": "2026-01-01"})
    assert response.status_code == 200
    assert "termina antes de empezar" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(ManagementReview.id))) == 0


def test_manager_approves_with_the_password_once(app, client):
    review_id, version = _build(app, held)
    page = f"/revision-direccion/{review_id}"
    login(client, "direccion")
    response = post_form(client, f"{page}/aprobar", {"a-version": version, "a-password": ""},
                         token_from=page)
    assert response.status_code == 422
    response = post_form(client, f"{page}/aprobar",
                         {"a-version": version, "a-password": "equivocada"}, token_from=page)
    assert response.status_code == 422
    assert "La contraseña no es correcta" in response.get_data(as_text=True)
    response = post_form(client, f"{page}/aprobar",
                         {"a-version": version, "a-password": PASSWORD}, token_from=page)
    assert response.status_code == 302
    pdf = client.get(f"{page}/acta.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    with app.app_context():
        stored = _review(review_id)
        assert stored.status == ReviewStatus.MINUTES_APPROVED
        assert pdf.data == blob_path(stored.minutes_file.sha256).read_bytes()


def test_two_approvals_at_once_one_wins_the_other_conflicts(app):
    review_id, version = _build(app, held)
    page = f"/revision-direccion/{review_id}"
    clients = [app.test_client(), app.test_client()]
    tokens = []
    for c in clients:
        login(c, "direccion")
        html = c.get(page).get_data(as_text=True)
        tokens.append(re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1))
    barrier = threading.Barrier(2)
    statuses = []

    def approve(c, token):
        barrier.wait()
        r = c.post(f"{page}/aprobar", data={"csrf_token": token, "a-version": version,
                                             "a-password": PASSWORD})
        statuses.append(r.status_code)

    threads = [threading.Thread(target=approve, args=pair) for pair in zip(clients, tokens, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [302, 409]
    with app.app_context():
        approvals = db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.entity_type == "management_review",
            AuditEvent.action == "transition:minutes_approved"))
        assert approvals == 1


def _token(app, username):
    with app.app_context():
        _, secret = issue_token(user(username), "pruebas")
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def test_api_reads_compiles_and_steps(app, client):
    review_id, version = _build(app, lambda: with_inputs(make_review()))
    officer = _token(app, "calidad")
    assert client.get("/api/v1/reviews/").status_code == 401
    listed = client.get("/api/v1/reviews/", headers=officer).get_json()
    assert [r["id"] for r in listed] == [review_id]
    compiled = client.post(f"/api/v1/reviews/{review_id}/compile", headers=officer).get_json()
    assert set(compiled["inputs"]["sections"]) >= {"a", "b", "c1", "c7", "f"}
    stale = client.post(f"/api/v1/reviews/{review_id}/transitions", headers=officer,
                        json={"target": "held", "version": 999,
                              "held_on": today_local().isoformat()})
    assert stale.status_code == 409
    fresh = client.get(f"/api/v1/reviews/{review_id}", headers=officer).get_json()
    done = client.post(f"/api/v1/reviews/{review_id}/transitions", headers=officer,
                       json={"target": "held", "version": fresh["version"],
                             "held_on": today_local().isoformat()})
    assert done.status_code == 200 and done.get_json()["snapshot_sha256"]
    decision = client.post(f"/api/v1/reviews/{review_id}/decisions", headers=officer, json={
        "kind": "resources", "text": "Dos técnicos", "action_owner_id": None})
    assert decision.status_code == 201
    body = done.get_json()
    refused = client.post(f"/api/v1/reviews/{review_id}/transitions", headers=officer,
                          json={"target": "minutes_approved", "version": body["version"],
                                "password": PASSWORD})
    assert refused.status_code == 403
    manager = _token(app, "direccion")
    current = client.get(f"/api/v1/reviews/{review_id}", headers=manager).get_json()
    no_password = client.post(f"/api/v1/reviews/{review_id}/transitions", headers=manager,
                              json={"target": "minutes_approved", "version": current["version"]})
    assert no_password.status_code == 422
    approved = client.post(f"/api/v1/reviews/{review_id}/transitions", headers=manager,
                           json={"target": "minutes_approved", "version": current["version"],
                                 "password": PASSWORD})
    assert approved.status_code == 200 and approved.get_json()["minutes_sha256"]
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/reviews/{review_id}/transitions" in spec["paths"]
