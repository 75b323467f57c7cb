"""The portal in a browser: axe-core finds no WCAG 2.1 AA violation on any public page,
at 360 px and at 1280 px, and a citizen on a cheap phone without JavaScript reads the
indicators, downloads open data, files a complaint and follows it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from qms.extensions import db
from tests.conftest import PASSWORD
from tests.portal.test_privacy import _seed

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
AXE_CANDIDATES = [ROOT / "qms/static/vendor/axe.min.js", ROOT / "node_modules/axe-core/axe.min.js"]
PAGES = ["/transparencia/", "/transparencia/ejecucion", "/transparencia/ejecucion/08",
         "/transparencia/satisfaccion", "/transparencia/atencion", "/transparencia/calidad",
         "/transparencia/datos", "/transparencia/quejas/nueva",
         "/transparencia/quejas/seguimiento"]


def _axe() -> Path:
    for path in AXE_CANDIDATES:
        if path.exists():
            return path
    pytest.fail("axe-core is missing: run `make setup` (npm ci copies it to qms/static/vendor)")


@pytest.fixture
def seeded(app):
    from qms.portal import cache

    _seed(app, app.test_client())
    with app.app_context():
        cache.clear()
    yield


@pytest.mark.parametrize("width,height", [(360, 740), (1280, 900)])
def test_axe_finds_no_wcag_21_aa_violation(seeded, browser, live_server, width, height):
    axe = _axe()
    served = axe == AXE_CANDIDATES[0]  # served by the app itself, allowed by the CSP
    context = browser.new_context(viewport={"width": width, "height": height},
                                  bypass_csp=not served)
    page = context.new_page()
    problems = []
    for path in PAGES:
        page.goto(live_server + path)
        if served:
            page.add_script_tag(url=live_server + "/static/vendor/axe.min.js")
        else:
            page.add_script_tag(path=str(axe))
        result = page.evaluate("""async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag',
                values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
            return r.violations.map(v => ({id: v.id, impact: v.impact,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }""")
        problems += [(path, v["id"], v["impact"], v["nodes"]) for v in result]
    context.close()
    assert problems == [], problems


def test_a_citizen_without_javascript_files_and_follows_a_complaint(
        seeded, app, browser, live_server):
    from qms.processes.models import ProcessCategory
    from qms.processes.services import create_process
    from tests.conftest import user

    with app.app_context():
        create_process(code="QUE", name="Atención de quejas", category=ProcessCategory.SUPPORT,
                       owner=user("duenio"))
        db.session.commit()
    phone = browser.new_context(viewport={"width": 360, "height": 740},
                                java_script_enabled=False, accept_downloads=True)
    page = phone.new_page()
    page.goto(live_server + "/transparencia/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cómo va el")
    expect(page.get_by_text("hogares pagados").first).to_be_visible()
    page.get_by_role("link", name="Pagos del bono").first.click()
    expect(page.get_by_role("table").first).to_be_visible()
    page.get_by_role("link", name="Datos abiertos").first.click()
    with page.expect_download() as info:
        page.get_by_role("link", name="Descargar pagos-municipio (CSV)").click()
    download = info.value
    assert download.suggested_filename == "pagos-municipio.csv"
    assert Path(download.path()).read_text(encoding="utf-8").startswith("periodo,")

    page.goto(live_server + "/transparencia/quejas/nueva")
    page.get_by_label("Me pidieron dinero o favores a cambio del bono").check()
    page.get_by_label("¿Qué pasó?").fill("En la entrega del bono nos cobraron 100 lempiras.")
    page.get_by_label("Departamento").select_option("08")
    page.get_by_label("Municipio (opcional)").select_option("0801")
    page.get_by_label("Teléfono (opcional)").fill("9999-0000")
    page.get_by_role("button", name="Enviar la queja").click()
    code = page.locator(".code").inner_text()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-.", code)
    page.get_by_role("link", name="Consultar mi queja").click()
    page.get_by_label("Código de seguimiento").fill(code.lower())
    page.get_by_role("button", name="Consultar").click()
    expect(page.locator(".current-status")).to_contain_text("Recibida")

    staff = browser.new_context(viewport={"width": 1280, "height": 900})
    officer = staff.new_page()
    officer.goto(live_server + "/login")
    officer.get_by_label("Usuario").fill("calidad")
    officer.get_by_label("Contraseña").fill(PASSWORD)
    officer.get_by_role("button", name="Entrar").click()
    officer.goto(live_server + "/quejas/")
    officer.get_by_role("link", name=code).click()
    officer.get_by_label("Proceso").select_option(label="QUE · Atención de quejas")
    officer.get_by_role("button", name="Levantar no conformidad").click()
    expect(officer.get_by_text(re.compile(r"No conformidad NC-\d{4}-\d+ levantada"))).to_be_visible()
    officer.get_by_label("Respuesta pública").fill(
        "Gracias. Se abrió una investigación y el cobro fue denunciado.")
    officer.get_by_label("Nota interna (no se publica)").fill("Caso remitido a auditoría.")
    officer.get_by_role("button", name="Publicar la respuesta").click()
    expect(officer.get_by_text("Respuesta publicada")).to_be_visible()
    staff.close()

    page.goto(live_server + "/transparencia/quejas/seguimiento")
    page.get_by_label("Código de seguimiento").fill(code.replace("-", ""))
    page.get_by_role("button", name="Consultar").click()
    expect(page.locator(".current-status")).to_contain_text("Respondida")
    expect(page.get_by_text("Se abrió una investigación")).to_be_visible()
    expect(page.get_by_text("Caso remitido a auditoría")).to_have_count(0)
    phone.close()
