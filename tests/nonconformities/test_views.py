"""The NC pages as a person uses them: report, register with filters and exports,
detail with its timeline, each step as a form, conflicts and refusals shown clearly."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from openpyxl import load_workbook

from qms.core import audit
from qms.core.time import today_local
from qms.extensions import db
from qms.nonconformities.enums import NCStatus
from qms.nonconformities.models import Nonconformity
from tests.conftest import PASSWORD, csrf_token, login, post_form, user
from tests.nonconformities.conftest import (
    PNG,
    make_nc,
    make_process,
    to_implementation,
    to_verification,
    verified,
)

P = "/no-conformidades"


def _seed(app, builder=None, **fields):
    """Create an NC (optionally moved along by ``builder``) and return its id."""
    with app.test_request_context(), audit.acting_as(user("calidad")):
        from qms.processes.models import Process

        process = db.session.query(Process).filter_by(code="PAG").first() or make_process()
        nc = make_nc(process, **fields)
        if builder:
            builder(nc)
        db.session.commit()
        return nc.id


def _nc(app, nc_id) -> Nonconformity:
    with app.app_context():
        nc = db.session.get(Nonconformity, nc_id)
        db.session.expunge(nc)
        return nc


def test_report_an_nc_through_the_form(app, login_as):
    client = login_as("auditor")
    with app.app_context(), audit.acting_as(audit.SYSTEM):
        pid = make_process().id
        db.session.commit()
    form = {"title": "Queja sin respuesta en plazo", "description": "23 días hábiles.",
            "source": "citizen_complaint", "process_id": pid, "severity": "minor",
            "detected_on": today_local().isoformat(), "detected_by_id": str(_uid(app, "auditor")),
            "department_code": "08", "municipality_code": "0601"}
    refused = post_form(client, f"{P}/nueva", form)
    assert refused.status_code == 200
    assert "no pertenece al departamento" in refused.get_data(as_text=True)
    form["municipality_code"] = "0801"
    created = post_form(client, f"{P}/nueva", form)
    assert created.status_code == 302
    page = client.get(created.headers["Location"]).get_data(as_text=True)
    year = today_local().year
    assert f"NC-{year}-001" in page and "Distrito Central" in page
    assert "No conformidad reportada" in page  # the timeline starts with the report


def _uid(app, username):
    with app.app_context():
        return user(username).id


def test_register_filters_sorting_and_overdue(app, login_as):
    old = _seed(app, to_implementation, title="Planilla tarde", severity="minor",
                detected_on=today_local() - timedelta(days=60))
    with app.app_context(), audit.acting_as(audit.SYSTEM):
        nc = db.session.get(Nonconformity, old)
        nc.actions[0].due_on = today_local() - timedelta(days=3)  # now overdue
        db.session.commit()
    _seed(app, title="Pago a beneficiario equivocado", source="citizen_complaint")
    client = login_as("direccion")  # a certifier reads only within a share

    def rows(**query):
        html = client.get(f"{P}/", query_string=query).get_data(as_text=True)
        return [t for t in ("Planilla tarde", "Pago a beneficiario equivocado") if t in html]

    assert rows() == ["Planilla tarde", "Pago a beneficiario equivocado"]
    assert rows(overdue="1") == ["Planilla tarde"]
    assert rows(overdue="0") == ["Pago a beneficiario equivocado"]
    assert rows(source="citizen_complaint") == ["Pago a beneficiario equivocado"]
    assert rows(severity="minor") == ["Planilla tarde"]
    assert rows(status="implementation") == ["Planilla tarde"]
    assert rows(detected_from=(today_local() - timedelta(days=30)).isoformat()) == [
        "Pago a beneficiario equivocado"]
    html = client.get(f"{P}/", query_string={"sort": "code"}).get_data(as_text=True)
    assert html.index("Planilla tarde") < html.index("Pago a beneficiario equivocado")
    html = client.get(f"{P}/", query_string={"sort": "-code"}).get_data(as_text=True)
    assert html.index("Planilla tarde") > html.index("Pago a beneficiario equivocado")
    assert "Vencida" in html
    assert "No conformidades abiertas por proceso" in html and "<svg" in html


def test_exports_neutralise_formulas(app, login_as):
    _seed(app, title="=HYPERLINK(\"http://x.example\",\"clic\")",
          description="@SUM(1+1) en la descripción")
    client = login_as("direccion")
    response = client.get(f"{P}/exportar.csv")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert table[0][0] == "Código" and len(table) == 2
    assert table[1][1] == "'=HYPERLINK(\"http://x.example\",\"clic\")"
    assert table[1][-1] == "'@SUM(1+1) en la descripción"
    book = load_workbook(io.BytesIO(client.get(f"{P}/exportar.xlsx").data))
    sheet = book.active
    assert sheet["A1"].value.startswith("Registro de no conformidades")  # the title row
    assert sheet["A2"].value == "Código" and sheet.auto_filter.ref == "A2:V3"
    assert sheet["B3"].value.startswith("'=") and sheet["B3"].data_type == "s"
    # 45 characters as Excel shows it: the file stores them plus the cell's padding, as
    # Excel itself does (45.71…)
    assert int(sheet.column_dimensions["B"].width) == 45
    filtered = client.get(f"{P}/exportar.csv", query_string={"status": "closed"})
    assert len(list(csv.reader(io.StringIO(filtered.get_data(as_text=True))))) == 1


def test_an_illegal_step_shows_a_clear_message_with_409(app, login_as):
    nc_id = _seed(app)
    client = login_as("calidad")
    response = post_form(client, f"{P}/{nc_id}/estado", {"target": "closed", "version": "1"},
                         token_from=f"{P}/{nc_id}")
    assert response.status_code == 400  # closing is a signed step of its own, not this form
    response = post_form(client, f"{P}/{nc_id}/estado",
                         {"target": "implementation", "version": "1"},
                         token_from=f"{P}/{nc_id}")
    assert response.status_code == 409
    assert "No se puede pasar de «Reportada» a «Implementación»" in response.get_data(
        as_text=True)
    response = post_form(client, f"{P}/{nc_id}/estado", {"target": "analysis", "version": "1"},
                         token_from=f"{P}/{nc_id}")
    assert response.status_code == 409
    assert "Registre primero la corrección" in response.get_data(as_text=True)
    assert _nc(app, nc_id).status == NCStatus.REPORTED


def test_missing_root_cause_and_early_due_date_are_shown_on_their_fields(app, login_as):
    from tests.nonconformities.conftest import to_analysis

    nc_id = _seed(app, to_analysis)
    client = login_as("duenio")  # the owner of the process
    version = _nc(app, nc_id).version
    saved = post_form(client, f"{P}/{nc_id}/analisis",
                      {"why_1": "Planilla tarde", "why_2": "Datos tarde", "root_cause": "",
                       "version": version}, token_from=f"{P}/{nc_id}")
    assert saved.status_code == 302
    refused = post_form(client, f"{P}/{nc_id}/estado",
                        {"target": "action_plan", "version": version + 1},
                        token_from=f"{P}/{nc_id}")
    assert refused.status_code == 422
    assert "Indique la causa raíz" in refused.get_data(as_text=True)
    post_form(client, f"{P}/{nc_id}/analisis",
              {"why_1": "Planilla tarde", "root_cause": "Sin plazo interno",
               "version": version + 1}, token_from=f"{P}/{nc_id}")
    moved = post_form(client, f"{P}/{nc_id}/estado",
                      {"target": "action_plan", "version": version + 2},
                      token_from=f"{P}/{nc_id}")
    assert moved.status_code == 302
    early = post_form(client, f"{P}/{nc_id}/acciones", {
        "description": "Fijar plazo", "owner_id": _uid(app, "duenio"),
        "due_on": (today_local() - timedelta(days=30)).isoformat(),
        "version": version + 3}, token_from=f"{P}/{nc_id}")
    assert early.status_code == 422
    assert "no puede ser anterior a la fecha de detección" in early.get_data(as_text=True)


def test_save_and_go_on_keeps_the_analysis_when_the_move_is_refused(app, login_as):
    """"Guardar y pasar al plan de acción" without a root cause: the move is refused (422,
    on the root-cause field) but the whys just typed are saved, not rolled back with it."""
    from tests.nonconformities.conftest import to_analysis

    nc_id = _seed(app, to_analysis)
    client = login_as("duenio")
    version = _nc(app, nc_id).version
    refused = post_form(client, f"{P}/{nc_id}/analisis", {
        "why_1": "Planilla tarde", "why_2": "Datos tarde", "root_cause": "",
        "version": version, "advance": "1"}, token_from=f"{P}/{nc_id}")
    assert refused.status_code == 422
    assert "Indique la causa raíz" in refused.get_data(as_text=True)
    with app.app_context():
        nc = db.session.get(Nonconformity, nc_id)
        assert nc.status == NCStatus.ANALYSIS
        assert nc.current_analysis.whys == ["Planilla tarde", "Datos tarde"]


def test_two_officers_editing_one_nc_the_second_gets_a_conflict(app, client):
    nc_id = _seed(app)
    second = app.test_client()
    assert login(client, "calidad").status_code == 302
    assert login(second, "admin").status_code == 302
    version = _nc(app, nc_id).version
    base = {"description": "El bono se acreditó en otra billetera.", "source": "other",
            "process_id": _nc(app, nc_id).process_id, "severity": "major",
            "detected_on": (today_local() - timedelta(days=10)).isoformat(), "version": version}
    token_a, token_b = csrf_token(client, f"{P}/{nc_id}/editar"), \
        csrf_token(second, f"{P}/{nc_id}/editar")
    first = client.post(f"{P}/{nc_id}/editar",
                        data={**base, "title": "Versión de María", "csrf_token": token_a})
    assert first.status_code == 302
    late = second.post(f"{P}/{nc_id}/editar",
                       data={**base, "title": "Versión de Ana", "csrf_token": token_b})
    assert late.status_code == 200
    assert "Otra persona modificó este registro" in late.get_data(as_text=True)
    assert _nc(app, nc_id).title == "Versión de María"


def test_attachments_are_checked_and_served_after_a_permission_check(app, login_as):
    nc_id = _seed(app)
    client = login_as("calidad")
    bad = client.post(f"{P}/{nc_id}/adjuntos", data={
        "csrf_token": csrf_token(client, f"{P}/{nc_id}"),
        "file": (io.BytesIO(b"MZ fake exe"), "informe.pdf")}, content_type="multipart/form-data")
    assert bad.status_code == 422 and "Tipo de archivo no permitido" in bad.get_data(as_text=True)
    ok = client.post(f"{P}/{nc_id}/adjuntos", data={
        "csrf_token": csrf_token(client, f"{P}/{nc_id}"),
        "file": (io.BytesIO(PNG), "foto del pago.png")}, content_type="multipart/form-data")
    assert ok.status_code == 302
    with app.app_context():
        attachment_id = db.session.get(Nonconformity, nc_id).attachments[0].id
    client.post("/logout", data={"csrf_token": csrf_token(client, "/inicio")})
    assert client.get(f"{P}/{nc_id}/adjuntos/{attachment_id}").status_code == 302  # login first
    login(client, "direccion")  # a reader (a certifier needs a share: tests/evidence)
    download = client.get(f"{P}/{nc_id}/adjuntos/{attachment_id}")
    assert download.status_code == 200 and download.data == PNG
    assert client.get(f"{P}/{nc_id + 1}/adjuntos/{attachment_id}").status_code == 404


def test_owner_completes_action_with_evidence_file_then_verifier_and_signature(app, client):
    nc_id = _seed(app, to_implementation)
    login(client, "duenio")
    with app.app_context():
        action = db.session.get(Nonconformity, nc_id).actions[0]
        action_id, version = action.id, action.version
    url = f"{P}/{nc_id}/acciones/{action_id}"
    started = post_form(client, url, {"status": "in_progress", "version": version},
                        token_from=f"{P}/{nc_id}")
    assert started.status_code == 302
    no_evidence = post_form(client, url, {"status": "done", "evidence": "", "version": version + 1},
                            token_from=f"{P}/{nc_id}")
    assert no_evidence.status_code == 422 and "evidencia" in no_evidence.get_data(as_text=True)
    done = client.post(url, data={
        "csrf_token": csrf_token(client, f"{P}/{nc_id}"), "status": "done", "evidence": "",
        "version": version + 1, "file": (io.BytesIO(PNG), "acta.png")},
        content_type="multipart/form-data")
    assert done.status_code == 302  # a file is evidence enough
    with app.app_context():
        nc = db.session.get(Nonconformity, nc_id)
        assert nc.actions[0].status.value == "done" and nc.actions[0].attachments


def test_closing_is_an_electronic_signature(app, client):
    nc_id = _seed(app, verified)
    login(client, "calidad")
    version = _nc(app, nc_id).version
    page = client.get(f"{P}/{nc_id}").get_data(as_text=True)
    assert "Firmar y cerrar" in page
    wrong = post_form(client, f"{P}/{nc_id}/cerrar", {"password": "otra-clave-123",
                                                      "version": version},
                      token_from=f"{P}/{nc_id}")
    assert wrong.status_code == 422 and "no se firmó" in wrong.get_data(as_text=True)
    signed = post_form(client, f"{P}/{nc_id}/cerrar", {"password": PASSWORD, "version": version},
                       token_from=f"{P}/{nc_id}")
    assert signed.status_code == 302
    page = client.get(f"{P}/{nc_id}").get_data(as_text=True)
    assert "Cierre firmado" in page and "Usuario Calidad" in page
    assert "Pasa a «Cerrada»" in page and "Firma electrónica de Usuario Calidad" in page


def test_only_the_named_verifier_or_an_officer_records_the_result(app, client):
    nc_id = _seed(app, to_verification)
    version = _nc(app, nc_id).version
    login(client, "duenio2")
    denied = post_form(client, f"{P}/{nc_id}/verificacion/resultado",
                       {"result": "effective", "evidence": "x", "version": version},
                       token_from=f"{P}/{nc_id}")
    assert denied.status_code == 403
    client = app.test_client()
    login(client, "auditor")
    ok = post_form(client, f"{P}/{nc_id}/verificacion/resultado",
                   {"result": "not_effective", "evidence": "Se repitió en mayo.",
                    "version": version}, token_from=f"{P}/{nc_id}")
    assert ok.status_code == 302
    page = client.get(f"{P}/{nc_id}").get_data(as_text=True)
    assert "Verificación de eficacia: No eficaz" in page and "Ronda de análisis 2" in page


def test_home_card_counts_open_ncs_and_my_pending_actions(app, login_as):
    import re

    _seed(app, to_implementation)
    cancelled = _seed(app, to_implementation)
    with app.test_request_context(), audit.acting_as(user("calidad")):
        from qms.nonconformities import services

        nc = db.session.get(Nonconformity, cancelled)
        services.cancel_nonconformity(nc, expected_version=nc.version, reason="Duplicada")
        db.session.commit()
    page = login_as("duenio").get("/inicio").get_data(as_text=True)

    def figure(label):
        return re.search(rf"{label}</dt><dd class=\"card-figure\"><a href=\"[^\"]+\">(\d+)<",
                         page).group(1)

    assert (figure("Abiertas"), figure("Mis acciones pendientes")) == ("1", "1")


def test_a_process_owner_edits_their_nc_but_cannot_move_it_to_another_process(app, login_as):
    nc_id = _seed(app)
    with app.app_context(), audit.acting_as(audit.SYSTEM):
        other = make_process("QUE", "duenio2").id
        db.session.commit()
    client = login_as("duenio")
    nc = _nc(app, nc_id)
    base = {"title": "Título corregido", "description": nc.description, "source": "other",
            "severity": nc.severity.value, "detected_on": nc.detected_on.isoformat(),
            "version": nc.version}
    assert "disabled" in client.get(f"{P}/{nc_id}/editar").get_data(as_text=True)
    moved = post_form(client, f"{P}/{nc_id}/editar", {**base, "process_id": other})
    assert moved.status_code == 403
    kept = post_form(client, f"{P}/{nc_id}/editar", base)
    assert kept.status_code == 302
    assert (_nc(app, nc_id).title, _nc(app, nc_id).process_id) == ("Título corregido",
                                                                   nc.process_id)


def test_pages_speak_english_when_asked(app, login_as):
    from tests.nonconformities.conftest import to_analysis

    nc_id = _seed(app, to_analysis)
    client = login_as("calidad")
    post_form(client, "/idioma", {"lang": "en"}, token_from="/inicio")
    page = client.get(f"{P}/{nc_id}").get_data(as_text=True)
    assert "Root-cause analysis" in page and "Method" in page and "Manpower" in page
    assert "Save and move to the action plan" in page and "Análisis de causas" not in page


def test_the_audit_log_names_nc_records_and_steps(app, login_as):
    _seed(app, verified)
    page = login_as("certificador").get("/auditoria").get_data(as_text=True)
    assert "No conformidad" in page and "Acción correctiva" in page
    assert "Verificación de eficacia: Eficaz" in page and "No conformidad reportada" in page
    assert "Pasa a «Verificación de eficacia»" in page
    # Record types, steps and people in words, never table names, codes or ids.
    rows = page.split("<tbody>", 1)[1]
    for raw in ("nc_verification", "transition:", "result:effective", "recorded_by_id",
                "verifier_id"):
        assert raw not in rows
