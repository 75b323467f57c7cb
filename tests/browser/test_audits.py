"""End to end in Chromium: the lead auditor plans an audit, is refused an auditor who
owns the audited process (with the reason), answers part of the checklist online and
imports the rest from a Kobo "Labels" export, records a minor NC finding, opens the NC
it raised, signs the report and downloads its PDF; then finds the audit on the month
calendar (also at phone width) and subscribes to the ICS feed."""

from __future__ import annotations

import csv
import re
import subprocess

import icalendar
import pytest
from playwright.sync_api import Page, expect

from qms.audits import offline
from qms.audits.models import Audit
from qms.core import audit as trail
from qms.core.time import today_local
from qms.extensions import db
from tests.audits.conftest import make_process, template
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD, user

pytestmark = pytest.mark.browser
ONLINE = 3


def _ok(page: Page, message: str) -> None:
    expect(page.locator(".alert-success").first).to_contain_text(message)


def _kobo_labels_export(app, audit_id: int, path) -> None:
    """What the auditor downloads from KoboToolbox after filling the rest offline."""
    with app.test_request_context():
        audit = db.session.get(Audit, audit_id)
        rest = [i for i in audit.items if i.position > ONLINE]
        header = ["start", "end", "auditoria"]
        row = ["2026-11-30T08:05:17.827-06:00", "2026-11-30T11:40:02.101-06:00", audit.code]
        for item in rest:
            group = f"Cláusula {item.clause}/"
            header += [group + offline.question_label(item),
                       group + offline.notes_label(item.position)]
            row += ["Conforme", f"Registro revisado en la oficina regional ({item.position})"]
        header += ["_id", "_uuid", "_submission_time", "_validation_status", "_index"]
        row += ["812", "4b6f-browser-1", "2026-11-30T17:20:54", "Approved", "1"]
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, delimiter=";", quoting=csv.QUOTE_ALL)
            writer.writerow(header)
            writer.writerow(row)
        db.session.remove()


def _axe_violations(page: Page, base: str) -> list:
    """axe-core's WCAG 2.1 AA violations in the page's main content (served by the app)."""
    page.add_script_tag(url=f"{base}/static/vendor/axe.min.js")
    return page.evaluate("""async () => {
        const r = await axe.run('main', {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
        return r.violations.map(v => ({id: v.id, nodes: v.nodes.slice(0, 3).map(
            n => n.target.join(' '))}));
    }""")


def test_plan_run_find_sign_and_see_it_on_the_calendar(app, live_server, page: Page, tmp_path):
    with app.app_context(), trail.acting_as(trail.SYSTEM):
        process_id = make_process("PAG", owner="calidad").id
        template_id = template("LV-PAG-01").id
        db.session.commit()
        calidad = user("calidad").id
        duenio = user("duenio").id
    base = live_server
    sign_in(page, base, "auditor")

    # plan
    page.goto(f"{base}/auditorias/")
    page.get_by_role("link", name="Planificar auditoría").click()
    page.select_option("#audit_type", "internal_process")
    page.fill("#title", "Auditoría del pago del bono")
    page.fill("#scope", "Oficina central y regional de Choluteca; planillas del trimestre.")
    page.select_option("#process_ids", str(process_id))
    page.select_option("#template_id", str(template_id))
    page.get_by_role("button", name="Planificar").click()
    _ok(page, "planificada")
    code = page.locator("h1").inner_text().split()[0]
    assert re.fullmatch(rf"AI-{today_local().year}-\d\d", code), code
    audit_id = int(page.url.rstrip("/").rsplit("/", 1)[1].split("#")[0])

    # an auditor who owns the audited process is refused, with the reason
    page.select_option("#m-user_id", str(calidad))
    page.select_option("#m-role", "auditor")
    page.locator("form.audit-add-member").get_by_role("button", name="Agregar").click()
    expect(page.locator("form.audit-add-member")).to_contain_text(
        "nadie audita su propio proceso")
    page.select_option("#m-user_id", str(duenio))
    page.select_option("#m-role", "auditee")
    page.locator("form.audit-add-member").get_by_role("button", name="Agregar").click()
    _ok(page, "Usuario Duenio se agregó como")

    # run: part online, the rest offline
    page.get_by_role("button", name="Iniciar la auditoría").click()
    _ok(page, "en ejecución")
    for n in range(1, ONLINE + 1):
        item = page.locator(f".checklist-item[data-position='{n}']")
        item.locator("input[type=radio][value=conform]").check()
        item.locator("textarea").fill(f"Visto en la planilla de marzo ({n}).")
        item.get_by_role("button", name=f"Guardar pregunta {n}").click()
        _ok(page, f"Pregunta {n} guardada")
    export = tmp_path / "kobo-etiquetas.csv"
    _kobo_labels_export(app, audit_id, export)
    page.locator("#sin-conexion input[type=file]").set_input_files(str(export))
    page.get_by_role("button", name="Importar envío").click()
    _ok(page, "1 envío(s) importado(s)")
    expect(page.locator(".checklist-item input[type=radio]:checked")).to_have_count(
        page.locator(".checklist-item").count())

    # a minor NC finding raises the NC; open it
    page.locator("summary", has_text="Registrar un hallazgo").click()
    page.select_option("#f-finding_type", "minor_nc")
    page.select_option("#f-clause", "8.5")
    page.fill("#f-description", "Dos planillas de marzo se pagaron sin la firma del jefe.")
    page.fill("#f-evidence", "Planillas PAG-03-11 y PAG-03-14.")
    page.get_by_role("button", name="Registrar hallazgo").click()
    _ok(page, "se levantó la no conformidad vinculada")
    nc_link = page.locator("tr[data-finding='H-1'] a.finding-nc")
    nc_code = nc_link.inner_text()
    nc_link.click()
    expect(page.locator("h1")).to_contain_text(nc_code)
    expect(page.locator("body")).to_contain_text(code)
    page.go_back()

    # sign and download the PDF
    page.fill("#s-conclusion", "El proceso cumple, salvo la aprobación de planillas (H-1).")
    page.fill("#s-password", PASSWORD)
    page.get_by_role("button", name="Firmar el informe").click()
    _ok(page, f"Informe de la auditoría {code} firmado")
    with page.expect_download() as download:
        page.locator("a.report-pdf").click()
    pdf = tmp_path / "informe.pdf"
    download.value.save_as(pdf)
    text = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], check=True,
                                   capture_output=True, text=True).stdout.split())
    for expected in (code, "H-1", nc_code, "sin la firma del jefe",
                     "Firmo este informe como auditor(a) líder"):
        assert expected in text, expected

    # the calendar: reached from the programme, the audit on today's cell
    page.goto(f"{base}/auditorias/")
    page.get_by_role("link", name="Calendario").click()
    today = today_local()
    cell = page.locator(f"td[data-day='{today.isoformat()}']")
    expect(cell).to_contain_text(code)
    expect(cell).to_contain_text("(Informada)")
    expect(page.locator("table.calendar-grid th[scope=col]")).to_have_count(7)
    page.get_by_role("button", name="Crear mi dirección de calendario").click()
    _ok(page, "Dirección del calendario creada")
    url = page.locator("#feed-url").input_value()
    assert re.search(r"/auditorias/calendario/cal_[\w-]+\.ics$", url), url
    response = page.request.get(url)
    assert response.ok and response.headers["content-type"].startswith("text/calendar")
    [event] = icalendar.Calendar.from_ical(response.body()).walk("VEVENT")
    assert str(event["summary"]).startswith(code)
    page.screenshot(path=str(tmp_path / "calendar-1280.png"), full_page=True)
    assert _axe_violations(page, base) == []

    # at phone width the grid gives way to a list that still names the audit and its state
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.locator("table.calendar-grid")).to_be_hidden()
    listing = page.locator(".calendar-list")
    expect(listing).to_be_visible()
    expect(listing).to_contain_text(code)
    expect(listing).to_contain_text("(Informada)")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(tmp_path / "calendar-390.png"), full_page=True)
    assert _axe_violations(page, base) == []
