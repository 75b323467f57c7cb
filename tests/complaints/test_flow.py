"""A complaint from the portal to the quality officer and back to the citizen."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import func, select

from qms.complaints.models import Complaint, ComplaintStatus
from qms.core.audit import AuditEvent
from qms.core.storage import blob_path
from qms.extensions import db
from qms.nonconformities.enums import NCSource
from qms.nonconformities.models import Nonconformity
from qms.processes.models import ProcessCategory
from qms.processes.services import create_process
from tests.complaints.conftest import file_complaint
from tests.conftest import login, post_form, user


def _track(client, code: str):
    return post_form(client, "/transparencia/quejas/seguimiento", {"code": code})


def test_file_follow_answer_and_raise_an_nc(app, client):
    code = file_complaint(client)
    page = _track(client, code.lower().replace("-", " ")).get_data(as_text=True)
    assert "Recibida" in page and "aria-current=\"step\"" in page
    with app.app_context():
        complaint = db.session.scalar(select(Complaint))
        assert complaint.display_code == code and complaint.contact_name == "María Zelaya"
        # The contact never enters the audit trail in clear.
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "complaint"))
        assert event.action == "file" and event.actor_label == "anonymous"
        assert event.after["contact_name"] == "***" and "9999-1234" not in str(event.after)
        process = create_process(code="QUE", name="Atención de quejas",
                                 category=ProcessCategory.SUPPORT, owner=user("duenio"))
        db.session.commit()
        complaint_id, process_id = complaint.id, process.id

    assert login(client, "calidad").status_code == 302
    base = f"/quejas/{complaint_id}"
    assert "María" not in client.get(base).get_data(as_text=True)  # hidden until asked
    shown = post_form(client, f"{base}/contacto", token_from=base).get_data(as_text=True)
    assert "María Zelaya" in shown and "9999-1234" in shown
    post_form(client, f"{base}/acuse", token_from=base)
    response = post_form(client, f"{base}/no-conformidad", {
        "process_id": process_id, "severity": "major", "title": ""}, token_from=base)
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    page = client.get(base).get_data(as_text=True)
    version = page.split('name="version" type="hidden" value="')[1].split('"')[0]
    response = post_form(client, f"{base}/responder", {
        "version": version, "public_answer": "Se suspendió al funcionario y se denunció ante "
        "el Ministerio Público.", "internal_note": "Expediente interno 44/2026"},
        token_from=base)
    assert response.status_code == 302
    with app.app_context():
        complaint = db.session.get(Complaint, complaint_id)
        assert complaint.status == ComplaintStatus.ANSWERED
        nc = db.session.get(Nonconformity, complaint.nc_id)
        assert nc.source == NCSource.CITIZEN_COMPLAINT
        assert (nc.origin_type, nc.origin_id, nc.origin_label) == (
            "complaint", str(complaint_id), code)
        assert nc.municipality_code == "0801"
        nc_id = nc.id
        actions = [e.action for e in db.session.scalars(select(AuditEvent).where(
            AuditEvent.entity_type == "complaint").order_by(AuditEvent.id))]
        assert actions == ["file", "view_contact", "acknowledge", "raise_nc", "answer"]

    nc_page = client.get(f"/no-conformidades/{nc_id}").get_data(as_text=True)
    assert f'href="/quejas/{complaint_id}"' in nc_page
    post_form(client, "/logout", token_from="/inicio")
    page = _track(client, code).get_data(as_text=True)
    assert "Se suspendió al funcionario" in page
    assert "Expediente interno" not in page and "NC-" not in page


def test_a_mistyped_code_and_an_unknown_code_say_so(client):
    code = file_complaint(client)
    mistyped = code[:2] + ("X" if code[2] != "X" else "Y") + code[3:]
    response = _track(client, mistyped)
    assert response.status_code == 404
    assert "no es válido" in response.get_data(as_text=True)
    from qms.complaints import codes

    unknown = codes.display(codes.new_code())
    response = _track(client, unknown)
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert "No encontramos una queja con ese código" in text and "Recibida el" not in text


def test_anonymous_complaints_keep_no_contact(app, client):
    file_complaint(client, anonymous="y")
    with app.app_context():
        complaint = db.session.scalar(select(Complaint))
        assert complaint.anonymous and complaint.contact_name is None
        assert complaint.contact_email is None


def test_the_honeypot_and_the_rate_limit_stop_bots(app, client):
    app.config["COMPLAINT_RATE_LIMIT"] = "2 per hour"
    response = post_form(client, "/transparencia/quejas/nueva", {
        "category": "other", "description": "Texto suficiente para pasar.",
        "department_code": "08", "website": "http://spam.example"})
    assert response.status_code == 422
    assert "Deje este campo vacío" in response.get_data(as_text=True)
    try:
        file_complaint(client)
        response = post_form(client, "/transparencia/quejas/nueva", {})
        assert response.status_code == 429
    finally:
        app.config["COMPLAINT_RATE_LIMIT"] = "5 per hour;20 per day"
    with app.app_context():
        assert db.session.scalar(select(func.count(Complaint.id))) == 1


def test_a_photo_is_stored_without_its_location(app, client):
    image = Image.new("RGB", (64, 48), "red")
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (14.0, 5.0, 0.0), 3: "W", 4: (87.0, 12.0, 0.0)}  # GPS IFD
    exif[0x010F] = "CamaraEspia"
    raw = io.BytesIO()
    image.save(raw, "JPEG", exif=exif)
    assert b"CamaraEspia" in raw.getvalue()
    file_complaint(client, photo=(io.BytesIO(raw.getvalue()), "foto.jpg"))
    with app.app_context():
        stored = db.session.scalar(select(Complaint)).photo
        data = blob_path(stored.sha256).read_bytes()
        assert stored.mime_type == "image/jpeg"
        assert b"CamaraEspia" not in data and b"Exif" not in data
        assert not Image.open(io.BytesIO(data)).getexif()


def test_a_photo_that_is_not_an_image_is_refused(app, client):
    response = post_form(client, "/transparencia/quejas/nueva", {
        "category": "other", "description": "Texto suficiente para pasar.",
        "department_code": "08", "photo": (io.BytesIO(b"%PDF-1.4 nope"), "foto.jpg")},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert "JPG o PNG" in response.get_data(as_text=True)


@pytest.mark.parametrize("username", ["duenio"])
def test_process_owners_do_not_read_the_register(client, username):
    assert login(client, username).status_code == 302
    assert client.get("/quejas/").status_code == 403


def test_overdue_complaints_are_flagged_in_working_days(app_ctx):
    from datetime import UTC, date, datetime

    from qms.complaints import services

    assert services.add_working_days(date(2026, 11, 27), 2) == date(2026, 12, 1)  # Fri → Tue
    complaint = Complaint(received_at=datetime(2026, 11, 27, 15, tzinfo=UTC),
                          status=ComplaintStatus.RECEIVED)
    assert services.overdue(complaint, today=date(2026, 12, 1)) == []
    assert services.overdue(complaint, today=date(2026, 12, 2)) == ["acknowledge"]
    assert services.overdue(complaint, today=date(2026, 12, 14)) == ["acknowledge", "answer"]


def test_register_filters_and_export_leave_out_the_contact(client):
    code = file_complaint(client)
    file_complaint(client, category="service", description="Me atendieron muy mal en la oficina.",
                   department_code="05", municipality_code="0501")
    assert login(client, "direccion").status_code == 302
    page = client.get("/quejas/?tipo=money_request").get_data(as_text=True)
    assert code in page and len(re.findall(r'href="/quejas/\d+"', page)) == 1
    assert "<svg" in page
    export = client.get("/quejas/exportar.csv?departamento=08")
    text = export.get_data(as_text=True)
    assert export.mimetype == "text/csv" and code in text
    assert "Me atendieron muy mal" not in text
    assert "María Zelaya" not in text and "9999-1234" not in text
    # A manager reads the register but not the contact.
    complaint_id = re.search(r'href="/quejas/(\d+)"', page).group(1)
    assert "Mostrar los datos de contacto" not in client.get(
        f"/quejas/{complaint_id}").get_data(as_text=True)
