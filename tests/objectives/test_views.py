"""The KPI page as its users meet it: entering values, refusals, permissions, exports."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from qms.extensions import db
from qms.objectives.models import KPIValue, Objective
from tests.conftest import login, post_form


def _values(app, objective_id):
    with app.app_context():
        return db.session.execute(select(KPIValue.period, KPIValue.value).where(
            KPIValue.objective_id == objective_id).order_by(KPIValue.period)).all()


def test_process_owner_enters_a_value_seen_in_table_and_chart(app, login_as, objective_id):
    client = login_as("duenio")
    page = f"/objetivos/{objective_id}"
    response = post_form(client, f"{page}/valores", {"period": "2026-t1", "value": "93,5",
                                                     "note": "Cierre de marzo"},
                         token_from=page, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Valor de 2026-T1 registrado." in html
    assert _values(app, objective_id) == [("2026-T1", 93.5)]
    # The table row and the chart's point both show it; 93.5 is below the ≥ 95 target.
    chart = html.split('class="qms-chart"', 1)[1].split("</svg>", 1)[0]
    assert "2026-T1" in chart and "Valor: 93,5" in chart and "qms-chart-target" in chart
    assert "93,5" in html and "No cumple" in html and "Cierre de marzo" in html


def test_bad_values_are_refused_on_the_form_and_nothing_is_stored(app, login_as, objective_id):
    client = login_as("duenio")
    page = f"/objetivos/{objective_id}"
    post_form(client, f"{page}/valores", {"period": "2026-T1", "value": "96"}, token_from=page)
    cases = [({"period": "2026-03", "value": "90"}, "no corresponde a la frecuencia trimestral"),
             ({"period": "2026-T5", "value": "90"}, "no es un periodo válido"),
             ({"period": "2026-T1", "value": "97"}, "ya tiene un valor para el periodo 2026-T1"),
             ({"period": "2026-T2", "value": "noventa"}, "«noventa» no es un número"),
             ({"period": "2026-T2", "value": "nan"}, "no es un número"),
             ({"period": "2099-T1", "value": "90"}, "El periodo 2099-T1 aún no ha comenzado.")]
    for data, message in cases:
        response = post_form(client, f"{page}/valores", data, token_from=page)
        assert response.status_code == 422, data
        assert message in response.get_data(as_text=True), data
    assert _values(app, objective_id) == [("2026-T1", 96.0)]


def test_only_the_owner_of_the_process_enters_its_values(app, login_as, objective_id):
    page = f"/objetivos/{objective_id}"
    other = login_as("duenio2")
    assert "Registrar un valor" not in other.get(page).get_data(as_text=True)
    assert post_form(other, f"{page}/valores", {"period": "2026-T1", "value": "1"},
                     token_from=page).status_code == 403
    for reader in ("direccion", "auditor"):
        client = app.test_client()
        login(client, reader)
        html = client.get(page).get_data(as_text=True)
        assert "Pagos acreditados a tiempo" in html and "Registrar un valor" not in html
        assert client.get("/objetivos/nuevo").status_code == 403
    assert _values(app, objective_id) == []


def test_quality_officer_creates_an_objective_with_its_plan(app, login_as):
    client = login_as("calidad")
    with app.app_context():
        from qms.auth.services import find_user
        owner_id = find_user("calidad").id
    data = {"code": "obj-sgc-09", "name": "Auditorías del programa realizadas",
            "process_id": "", "owner_id": owner_id, "unit": "%", "direction": ">=",
            "target": "90", "frequency": "semiannual", "method": "computed",
            "computation": "audit_programme_completion", "plan_what": "Programa anual",
            "plan_resources": "Auditores internos", "plan_who": "Responsable de calidad",
            "plan_due_on": "2026-12-31", "plan_evaluation": "Revisión semestral"}
    response = post_form(client, "/objetivos/nuevo", data, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Objetivo OBJ-SGC-09 creado." in html and "a) Qué se va a hacer" in html
    assert "Auditores internos" in html and "Calcular con los datos del SGC" in html
    bad = post_form(client, "/objetivos/nuevo", {**data, "code": "OBJ-X", "target": "alto"})
    assert "«alto» no es un número" in bad.get_data(as_text=True)
    none = post_form(client, "/objetivos/nuevo", {**data, "code": "OBJ-Y", "computation": ""})
    assert "Elija el cálculo del indicador." in none.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Objective.id))) == 1


def test_a_stale_edit_is_refused(app, login_as, objective_id):
    client = login_as("calidad")
    page = f"/objetivos/{objective_id}/editar"
    with app.app_context():
        objective = db.session.get(Objective, objective_id)
        data = {"name": "Nuevo nombre", "process_id": objective.process_id,
                "owner_id": objective.owner_id, "unit": "%", "direction": ">=", "target": "96",
                "method": "manual", "computation": "", "active": "y", "code": objective.code}
    assert post_form(client, page, {**data, "version": "1"}).status_code == 302
    response = post_form(client, page, {**data, "name": "Otro", "version": "1"})
    assert "Otra persona modificó este registro" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Objective, objective_id).name == "Nuevo nombre"


def test_values_export_as_csv_and_xlsx(app, login_as, objective_id):
    client = login_as("duenio")
    page = f"/objetivos/{objective_id}"
    for period, value in (("2026-T1", "96"), ("2026-T2", "=1+1")):
        post_form(client, f"{page}/valores", {"period": period, "value": value,
                                              "note": "=HYPERLINK(\"x\")"}, token_from=page)
    reader = app.test_client()
    login(reader, "auditor")
    csv_text = reader.get(f"{page}/valores.csv").get_data(as_text=True)
    assert "2026-T1" in csv_text and "96.0" in csv_text and "'=HYPERLINK" in csv_text
    assert "2026-T2" not in csv_text  # "=1+1" was refused as a value
    workbook = load_workbook(io.BytesIO(reader.get(f"{page}/valores.xlsx").data))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[1][:5] == ("Objetivo", "Periodo", "Inicio", "Fin", "Valor")
    assert rows[2][0] == "OBJ-PAG-01" and rows[2][4] == 96.0 and rows[2][7] == "Sí"
