"""Evidence packs as a quality officer and a certifier use them: generate with progress,
share for an audit window, download, read in scope, be refused outside it, and the
officer sees what the certifier looked at."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from qms.core import audit
from qms.core.time import today_local
from qms.extensions import db
from tests.browser.conftest import sign_in
from tests.nonconformities.conftest import make_nc, make_process

pytestmark = pytest.mark.browser


def test_officer_generates_and_shares_certifier_reads_in_scope_and_is_logged(
        app, page: Page, browser: Browser, live_server, tmp_path):
    with app.test_request_context(), audit.acting_as(audit.SYSTEM):
        inside = make_nc(make_process("PAG"), title="Pago acreditado a otra persona")
        outside = make_nc(make_process("QUE", owner="duenio2"), title="Queja sin respuesta")
        db.session.commit()
        inside_id, outside_id = inside.id, outside.id
    app.config["EVIDENCE_IN_THREAD"] = True  # as in production: the request does not wait
    try:
        sign_in(page, live_server, "calidad")
        page.get_by_role("button", name="Evaluación").click()
        page.get_by_role("link", name="Paquetes de evidencias").click()
        page.get_by_role("link", name="Nuevo paquete").click()
        today = today_local()
        page.get_by_label("Desde").fill((today - timedelta(days=90)).isoformat())
        page.get_by_label("Hasta").fill(today.isoformat())
        page.get_by_label("Incrustar los archivos originales").check()
        page.get_by_role("button", name="Generar").click()
        expect(page.get_by_text("Paquete en preparación")).to_be_visible()
        expect(page.locator("#pack-bar")).to_be_visible()
        expect(page.locator("#pack-message")).to_contain_text("Listo.", timeout=120_000)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.screenshot(path=str(tmp_path / "pack-1280.png"), full_page=True)
        pack_url = page.url
        page.get_by_label("Auditor externo").select_option(label="Usuario Certificador (certificador)")
        page.get_by_label("Procesos que puede consultar").select_option(["PAG"])
        page.get_by_role("button", name="Compartir").click()
        expect(page.get_by_text("Paquete compartido con el auditor externo.")).to_be_visible()
    finally:
        app.config["EVIDENCE_IN_THREAD"] = False

    certifier = browser.new_context(base_url=live_server, accept_downloads=True,
                                    viewport={"width": 390, "height": 844}).new_page()
    sign_in(certifier, live_server, "certificador")
    certifier.goto(f"{live_server}/evidencias/")
    certifier.get_by_role("link", name=re.compile("Paquete")).first.click()
    with certifier.expect_download() as download:
        certifier.get_by_role("link", name="Descargar").click()
    saved = tmp_path / "pack.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-")
    certifier.screenshot(path=str(tmp_path / "pack-390.png"), full_page=True)
    certifier.goto(f"{live_server}/no-conformidades/{inside_id}")
    expect(certifier.get_by_text("Pago acreditado a otra persona").first).to_be_visible()
    response = certifier.goto(f"{live_server}/no-conformidades/{outside_id}")
    assert response.status == 403
    response = certifier.goto(f"{live_server}/no-conformidades/{inside_id}/editar")
    assert response.status == 403

    page.goto(f"{live_server}/evidencias/accesos")
    expect(page.get_by_role("heading", name="Qué consultó el auditor externo")).to_be_visible()
    expect(page.get_by_text(f"/no-conformidades/{inside_id}", exact=True)).to_be_visible()
    expect(page.get_by_text("Rechazado (403)").first).to_be_visible()
    expect(page.get_by_text("archivo").first).to_be_visible()
    assert pack_url
