"""End to end in Chromium: a quality officer logs an NC, records containment and a 5-whys
analysis, plans two actions; the process owner completes them; the verifier finds the fix
not effective, the cycle runs again, it is effective; the officer signs the closing; the
timeline shows every step."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from qms.core import audit
from qms.core.time import today_local
from qms.extensions import db
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD, user
from tests.nonconformities.conftest import make_process

pytestmark = pytest.mark.browser


def _ok(page: Page, message: str) -> None:
    expect(page.locator(".alert-success")).to_contain_text(message)


def _complete_action(page: Page, label: str, evidence: str) -> None:
    row = page.locator(f"tr[data-action='{label}']")
    row.get_by_role("button", name=f"Iniciar {label}").click()
    _ok(page, f"Acción {label} actualizada")
    row = page.locator(f"tr[data-action='{label}']")
    row.locator("textarea[name=evidence]").fill(evidence)
    row.get_by_role("button", name=f"Marcar {label} como realizada").click()
    _ok(page, f"Acción {label} actualizada")
    expect(page.locator(f"tr[data-action='{label}'] .nc-action-status")).to_have_text("Realizada")


def _add_action(page: Page, description: str, owner_id: int, due: str) -> None:
    form = page.locator("form.nc-action-form")
    form.locator("textarea[name=description]").fill(description)
    form.locator("select[name=owner_id]").select_option(str(owner_id))
    form.locator("input[name=due_on]").fill(due)
    form.get_by_role("button", name="Agregar acción").click()
    _ok(page, "Acción correctiva planificada")


def _send_to_verification(page: Page, verifier_id: int) -> None:
    form = page.locator("form.nc-verification-plan")
    form.locator("input[name=planned_on]").fill(today_local().isoformat())
    form.locator("select[name=verifier_id]").select_option(str(verifier_id))
    form.get_by_role("button", name="Enviar a verificación").click()
    _ok(page, "Enviada a verificación de eficacia")


def _verify(page: Page, result: str, evidence: str) -> None:
    form = page.locator("form.nc-verification-result")
    form.locator(f"input[name=result][value={result}]").check()
    form.locator("textarea[name=evidence]").fill(evidence)
    form.get_by_role("button", name="Registrar resultado").click()
    _ok(page, "Resultado de la verificación registrado")


def test_nc_from_report_to_signed_closing(app, live_server, page: Page):
    with app.app_context(), audit.acting_as(audit.SYSTEM):
        make_process("PAG", "duenio")
        db.session.commit()
        owner_id, auditor_id = user("duenio").id, user("auditor").id
    base = live_server
    due = (today_local() + timedelta(days=15)).isoformat()

    # The quality officer logs the NC.
    sign_in(page, base, "calidad")
    page.goto(f"{base}/no-conformidades/")
    page.get_by_role("link", name="Reportar no conformidad").click()
    page.get_by_label("Título", exact=True).fill("Pago del bono acreditado a otro beneficiario")
    page.get_by_label("Descripción", exact=True).fill("El bono de un hogar de Choluteca se acreditó en la "
                                          "billetera de otra persona.")
    page.get_by_label("Origen", exact=True).select_option("process_monitoring")
    page.get_by_label("Severidad").select_option("major")
    page.get_by_label("Departamento").select_option("06")
    # only Choluteca's municipalities are offered now (qms/static/js/nonconformities.js)
    expect(page.locator("#municipality_code option[value='0801']")).to_be_disabled()
    expect(page.locator("#municipality_code option[value='0601']")).to_be_enabled()
    page.get_by_label("Municipio").select_option("0601")
    page.get_by_role("button", name="Registrar no conformidad").click()
    code = f"NC-{today_local().year}-001"
    _ok(page, f"No conformidad {code} registrada")
    expect(page.locator("h1")).to_contain_text(code)
    nc_url = page.url

    # Containment, then the 5 whys.
    page.locator("textarea[name=correction]").fill("Billetera bloqueada y reversión solicitada.")
    page.get_by_role("button", name="Guardar corrección").click()
    _ok(page, "Corrección registrada")
    page.get_by_role("button", name="Guardar e iniciar análisis de causas").click()
    _ok(page, "comienza el análisis de causas")
    whys = ["El pago fue a otra billetera.", "La planilla cruza por nombre.",
            "El registro de billeteras no tiene el número de identidad.",
            "El procedimiento no exige validar la identidad.",
            "No se revisó al incorporar billeteras móviles."]
    for n, why in enumerate(whys, start=1):
        page.locator(f"input[name=why_{n}]").fill(why)
    page.get_by_role("button", name="Guardar y pasar al plan de acción").click()
    expect(page.locator(".alert-danger")).to_contain_text("Indique la causa raíz")
    expect(page.locator(".nc-analysis[data-round='1'] .nc-whys li")).to_have_count(5)  # kept
    expect(page.locator("input[name=why_5]")).to_have_value(whys[4])
    page.locator("textarea[name=ishikawa_method]").fill("Cruce por nombre")
    page.locator("textarea[name=root_cause]").fill("El cruce usa el nombre como llave.")
    page.get_by_role("button", name="Guardar análisis").click()
    _ok(page, "Análisis de causas guardado")
    page.get_by_role("button", name="Guardar y pasar al plan de acción").click()
    _ok(page, "pasa al plan de acción")

    # Two actions, then implementation.
    _add_action(page, "Cruzar la planilla por número de identidad.", owner_id, due)
    _add_action(page, "Actualizar el procedimiento y capacitar.", owner_id, due)
    page.get_by_role("button", name="Iniciar implementación").click()
    _ok(page, "Estado actualizado")

    # The process owner completes both actions and sends the NC to verification.
    sign_in(page, base, "duenio")
    page.goto(nc_url)
    _complete_action(page, "AC-1", "Cambio desplegado (ticket TIC-231).")
    _complete_action(page, "AC-2", "Procedimiento rev. 4 aprobado; 14 personas capacitadas.")
    _send_to_verification(page, auditor_id)

    # The verifier: not effective → back to analysis, round 2.
    sign_in(page, base, "auditor")
    page.goto(nc_url)
    _verify(page, "not_effective", "Se repitió en el pago de mayo.")
    expect(page.locator(".nc-status")).to_have_text("Análisis de causas")
    expect(page.get_by_text("Ronda de análisis 2")).to_be_visible()

    # Second round: the officer restates the cause, adds an action; the owner does it.
    sign_in(page, base, "calidad")
    page.goto(nc_url)
    page.locator("textarea[name=root_cause]").fill("Las billeteras se registran sin validar "
                                                   "la identidad con el RNP.")
    page.get_by_role("button", name="Guardar y pasar al plan de acción").click()
    _ok(page, "pasa al plan de acción")
    _add_action(page, "Validar cada billetera con el RNP antes de registrarla.", owner_id, due)
    page.get_by_role("button", name="Iniciar implementación").click()
    _ok(page, "Estado actualizado")
    sign_in(page, base, "duenio")
    page.goto(nc_url)
    _complete_action(page, "AC-3", "Validación con el RNP activa desde junio.")
    _send_to_verification(page, auditor_id)
    sign_in(page, base, "auditor")
    page.goto(nc_url)
    _verify(page, "effective", "Dos pagos sin transferencias a terceros.")

    # The officer signs the closing.
    sign_in(page, base, "calidad")
    page.goto(nc_url)
    page.locator("form.nc-close-form input[name=password]").fill("no-es-mi-clave")
    page.get_by_role("button", name="Firmar y cerrar").click()
    expect(page.locator(".alert-danger")).to_contain_text("no se firmó")
    page.locator("form.nc-close-form input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Firmar y cerrar").click()
    _ok(page, "No conformidad cerrada y firmada")
    expect(page.locator(".nc-status")).to_have_text("Cerrada")
    expect(page.locator(".nc-signature")).to_contain_text("Usuario Calidad")

    # The timeline tells the whole story, in order.
    steps = page.locator(".nc-timeline > li strong").all_inner_texts()
    expected = [
        "No conformidad reportada", "Corrección / contención registrada",
        "Pasa a «Análisis de causas»", "Ronda 1 · Análisis de causas actualizado",
        "Pasa a «Plan de acción»", "AC-1 · Acción correctiva planificada",
        "AC-2 · Acción correctiva planificada",
        "Pasa a «Implementación»", "AC-1 · Pasa a «Realizada»", "AC-2 · Pasa a «Realizada»",
        "Pasa a «Verificación de eficacia»", "Verificación de eficacia: No eficaz",
        "Ronda 2 · Análisis de causas actualizado", "AC-3 · Acción correctiva planificada",
        "AC-3 · Pasa a «Realizada»", "Verificación de eficacia: Eficaz", "Pasa a «Cerrada»",
    ]
    positions = []
    for title in expected:
        assert title in steps, f"{title!r} missing from the timeline: {steps}"
        positions.append(steps.index(title, positions[-1] if positions else 0))
    assert positions == sorted(positions)
    verifications = page.locator(".nc-verifications tbody tr")
    expect(verifications).to_have_count(2)
    expect(verifications.nth(0)).to_contain_text("No eficaz")
    expect(verifications.nth(1)).to_contain_text("Eficaz")
