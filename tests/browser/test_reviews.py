"""End to end in Chromium: the quality officer enters the inputs of a management review,
compiles and holds it, records a decision with an action; top management approves the
minutes with the password and opens the PDF; an NC changes afterwards and the held
review does not."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from qms.core import audit
from qms.core.time import today_local
from qms.extensions import db
from qms.nonconformities import services as nc_services
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD, user
from tests.nonconformities.conftest import make_nc, make_process
from tests.reviews.conftest import ENTERED, make_review

pytestmark = pytest.mark.browser


def test_review_compiled_held_decided_approved_and_frozen(app, live_server, page: Page):
    with app.app_context(), audit.acting_as(audit.SYSTEM):
        process = make_process("PAG", "duenio")
        nc = make_nc(process, detected_on=today_local() - timedelta(days=3))
        review = make_review()
        db.session.commit()
        review_id, nc_id, owner_id = review.id, nc.id, user("duenio").id
    url = f"{live_server}/revision-direccion/{review_id}"

    sign_in(page, live_server, "calidad")
    page.goto(url)
    page.get_by_role("link", name="Editar datos y entradas").click()
    for name, text in ENTERED.items():
        page.locator(f"textarea[name={name}]").fill(text)
    page.get_by_role("button", name="Guardar").click()
    expect(page.locator(".alert-success")).to_contain_text("guardada")
    page.get_by_role("button", name="Compilar los datos de entrada").click()
    expect(page.locator(".alert-success")).to_contain_text("compilados")
    nc_figure = page.locator("#s-c4 dd").first
    expect(nc_figure).to_have_text("1")
    expect(page.locator("#s-b")).to_contain_text("cambio climático")

    page.locator("input[name=h-held_on]").fill(today_local().isoformat())
    page.get_by_role("button", name="Dar por realizada y congelar").click()
    expect(page.locator(".alert-success")).to_contain_text("congelados")
    expect(page.locator(".review-status")).to_have_text("Realizada")

    page.get_by_text("Registrar una decisión").click()
    page.locator("select[name=d-kind]").select_option("resources")
    page.locator("textarea[name=d-text]").fill("Contratar dos técnicos de campo.")
    page.locator("textarea[name=d-action_description]").fill("Solicitud a Talento Humano.")
    page.locator("select[name=d-action_owner_id]").select_option(str(owner_id))
    page.locator("input[name=d-action_due_on]").fill(
        (today_local() + timedelta(days=30)).isoformat())
    page.get_by_role("button", name="Registrar la decisión").click()
    expect(page.locator(".alert-success")).to_contain_text("Decisión D-1 registrada")
    expect(page.locator(".review-decision .action-status")).to_contain_text("Planificada")

    sign_in(page, live_server, "direccion")
    page.goto(url)
    page.locator("input[name=a-password]").fill("no-es-la-clave")
    page.get_by_role("button", name="Aprobar y firmar el acta").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("La contraseña no es correcta")
    page.locator("input[name=a-password]").fill(PASSWORD)
    page.get_by_role("button", name="Aprobar y firmar el acta").click()
    expect(page.locator(".alert-success")).to_contain_text("aprobada y firmada")
    expect(page.locator(".review-status")).to_have_text("Acta aprobada")
    link = page.get_by_role("link", name="Acta firmada (PDF)")
    response = page.request.get(live_server + link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body()[:5] == b"%PDF-"

    # The records move on; the held review stays as it was reviewed.
    with app.app_context(), audit.acting_as(user("calidad")):
        from qms.nonconformities.models import Nonconformity

        changed = db.session.get(Nonconformity, nc_id)
        nc_services.cancel_nonconformity(changed, expected_version=changed.version,
                                         reason="Duplicada")
        make_nc(changed.process, title="Otra no conformidad del periodo")
        db.session.commit()
    page.goto(url)
    expect(page.locator("#s-c4 dd").first).to_have_text("1")
    expect(page.locator("#s-c4")).not_to_contain_text(re.compile(r"Anuladas\s*1"))
    page.goto(f"{url}/acta")
    expect(page.locator("#s-c4 dd").first).to_have_text("1")
