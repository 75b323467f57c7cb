"""Controlled documents as people use them: two-person approval, reading confirmation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from qms.extensions import db
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD
from tests.documents.conftest import bring_into_force, make_document

pytestmark = pytest.mark.browser


def test_owner_drafts_and_submits_officer_signs_and_publishes(
        app, page: Page, browser: Browser, live_server):
    with app.test_request_context():
        document, _revision = make_document(content="# Entrega del bono\n\nBorrador inicial.")
        db.session.commit()
        doc_id = document.id

    # The process owner completes the draft and sends it for review.
    sign_in(page, live_server, "duenio")
    page.goto(f"{live_server}/documentos/{doc_id}")
    page.get_by_role("link", name="Abrir").click()
    page.get_by_role("link", name="Editar borrador").click()
    page.get_by_label("Contenido").fill("# Entrega del bono\n\n## 1. Objetivo\n\nPagar a tiempo.")
    page.get_by_role("button", name="Guardar borrador").click()
    expect(page.get_by_text("Borrador guardado.")).to_be_visible()
    page.get_by_role("button", name="Enviar a revisión").click()
    expect(page.locator("#revision-status")).to_have_text("En revisión")
    # The author cannot approve their own revision: no signature form, and a clear note.
    expect(page.get_by_role("button", name="Firmar: aprobado")).to_have_count(0)
    expect(page.locator("#sod-note")).to_contain_text("otra persona debe aprobarla")
    revision_url = page.url

    # The quality officer, in another browser session, signs with a password and publishes.
    officer = browser.new_context(base_url=live_server).new_page()
    sign_in(officer, live_server, "calidad")
    officer.goto(revision_url)
    expect(officer.locator(".document-content h2")).to_have_text("1. Objetivo")
    officer.get_by_label("Su contraseña (firma electrónica)").fill("no-es-la-clave")
    officer.get_by_role("button", name="Firmar: aprobado").click()
    expect(officer.get_by_text("La contraseña no es correcta; no se firmó.")).to_be_visible()
    officer.get_by_label("Su contraseña (firma electrónica)").fill(PASSWORD)
    officer.get_by_role("button", name="Firmar: aprobado").click()
    expect(officer.get_by_text("Revisión aprobada con su firma electrónica.")).to_be_visible()
    expect(officer.locator("#signature")).to_contain_text("Usuario Calidad · «aprobado»")
    officer.get_by_role("button", name="Poner en vigor").click()  # today's date is the default
    expect(officer.locator("#revision-status")).to_have_text("Vigente")
    timeline = officer.locator(".timeline")
    for step in ("Enviada a revisión", "Aprobada (firma electrónica)", "Puesta en vigor"):
        expect(timeline).to_contain_text(step)
    expect(timeline).to_contain_text("significado «aprobado»")
    officer.get_by_role("link", name="PR-PAG-01").click()
    expect(officer.locator("#document-status")).to_have_text("Vigente")
    expect(officer.locator("#revisions")).to_contain_text("Usuario Calidad")


def test_process_owner_acknowledges_reading(app, page: Page, live_server):
    with app.test_request_context():
        _document, revision = make_document()
        bring_into_force(revision, days_ago=2)
        db.session.commit()

    sign_in(page, live_server, "duenio")
    card = page.locator(".card", has_text="Documentos")
    expect(card).to_contain_text("Pendientes de leer")
    card.get_by_role("link", name="Documentos").click()
    expect(page.get_by_role("heading", name="Documentos por leer")).to_be_visible()
    page.get_by_role("link", name="Leer y confirmar").click()
    expect(page.locator("#ack-pending")).to_contain_text("Usuario Duenio")
    page.get_by_role("button", name=re.compile("Confirmo que leí")).click()
    expect(page.get_by_text("Lectura de PR-PAG-01 rev. 1 confirmada.")).to_be_visible()
    expect(page.locator("#ack-confirmed")).to_contain_text("Usuario Duenio")
    expect(page.locator("#ack-pending li", has_text=re.compile(r"^Usuario Duenio\b"))).to_have_count(0)
    expect(page.locator("#ack-pending li", has_text="Usuario Duenio2")).to_have_count(1)
    expect(page.get_by_role("button", name=re.compile("Confirmo que leí"))).to_have_count(0)
    page.goto(f"{live_server}/documentos/por-leer")
    expect(page.get_by_text("No tiene documentos pendientes de lectura.")).to_be_visible()


def test_officer_registers_a_document_and_finds_it_in_the_master_list(
        app, page: Page, live_server):
    with app.test_request_context():
        from tests.documents.conftest import make_process

        make_process("SGC", "calidad")
        db.session.commit()
    sign_in(page, live_server, "calidad")
    nav = page.get_by_role("navigation", name="Navegación principal")
    nav.get_by_role("link", name="Documentos", exact=True).click()
    page.get_by_role("link", name="Nuevo documento").click()
    page.get_by_label("Código").fill("IT-SGC-01")
    page.get_by_label("Título").fill("Instructivo de codificación de documentos")
    page.get_by_label("Tipo de documento").select_option("instruction")
    page.get_by_label("Distribución por rol").select_option(["process_owner", "auditor"])
    page.get_by_label("Contenido").fill(
        "# Codificación\n\n| Tipo | Prefijo |\n|---|---|\n| Procedimiento | PR |")
    page.get_by_role("button", name="Guardar").click()
    expect(page.get_by_text("Documento IT-SGC-01 registrado con la revisión 1 en borrador.")
           ).to_be_visible()
    expect(page.locator("#document-status")).to_have_text("En elaboración")

    nav.get_by_role("link", name="Documentos", exact=True).click()
    page.get_by_label("Tipo").select_option("instruction")
    page.get_by_role("button", name="Filtrar").click()
    row = page.locator("#master-list tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Instructivo de codificación de documentos")
    with page.expect_download() as download:
        page.get_by_role("link", name="Exportar CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "IT-SGC-01" in text and "Instructivo" in text


def test_two_people_edit_the_same_draft_and_the_second_keeps_their_text(
        app, page: Page, browser: Browser, live_server):
    with app.test_request_context():
        _document, revision = make_document()
        db.session.commit()
        edit_url = f"{live_server}/documentos/revisiones/{revision.id}/editar"
    sign_in(page, live_server, "duenio")
    officer = browser.new_context(base_url=live_server).new_page()
    sign_in(officer, live_server, "calidad")
    page.goto(edit_url)
    officer.goto(edit_url)
    officer.get_by_label("Contenido").fill("# Entrega\n\nTexto de calidad")
    officer.get_by_role("button", name="Guardar borrador").click()
    expect(officer.get_by_text("Borrador guardado.")).to_be_visible()

    page.get_by_label("Contenido").fill("# Entrega\n\nTexto del dueño")
    page.get_by_role("button", name="Guardar borrador").click()
    expect(page.get_by_role("alert")).to_contain_text("Otra persona modificó este registro")
    expect(page.locator("#conflict .diff-replace .diff-left")).to_have_text("Texto de calidad")
    expect(page.locator("#conflict .diff-replace .diff-right")).to_have_text("Texto del dueño")
    expect(page.get_by_label("Contenido")).to_have_value("# Entrega\n\nTexto del dueño")
    page.get_by_label("Contenido").fill("# Entrega\n\nTexto de calidad\n\nTexto del dueño")
    page.get_by_role("button", name="Guardar borrador").click()
    expect(page.get_by_text("Borrador guardado.")).to_be_visible()
    expect(page.locator(".document-content")).to_contain_text("Texto del dueño")
    expect(page.locator(".document-content")).to_contain_text("Texto de calidad")
