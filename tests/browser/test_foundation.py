"""What a person does first: log in, create a process, find it, switch language, log out."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def log_in(page: Page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Usuario").fill(username)
    page.get_by_label("Contraseña").fill(password)
    page.get_by_role("button", name="Entrar").click()


def test_officer_creates_a_process_finds_it_switches_language_and_logs_out(page: Page, live_server):
    log_in(page, live_server, "calidad")
    expect(page.get_by_role("heading", name=re.compile("Bienvenido"))).to_be_visible()

    nav = page.get_by_role("navigation", name="Navegación principal")
    nav.get_by_role("link", name="Procesos", exact=True).click()
    page.get_by_role("link", name="Nuevo proceso").click()
    page.get_by_label("Código").fill("SUP")
    page.get_by_label("Nombre").fill("Supervisión de agencias pagadoras")
    page.get_by_label("Tipo de proceso").select_option("support")
    page.get_by_label("Dueño del proceso").select_option(label="Usuario Duenio2 (Dueño de proceso)")
    page.get_by_label("Descripción").fill("Visitas de supervisión a bancos y billeteras.")
    page.get_by_role("button", name="Guardar").click()
    expect(page.get_by_text("Proceso SUP creado.")).to_be_visible()
    expect(page.get_by_role("heading", name="SUP · Supervisión de agencias pagadoras")).to_be_visible()
    expect(page.locator(".timeline").get_by_text("Creación")).to_be_visible()  # the audit trail on the record

    nav.get_by_role("link", name="Procesos", exact=True).click()
    page.get_by_label("Buscar").fill("agencias")
    page.get_by_role("button", name="Filtrar").click()
    expect(page.get_by_role("link", name="SUP")).to_be_visible()

    page.locator("#nav-account").click()  # language and logout live in the account menu
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name=re.compile("QMS processes"))).to_be_visible()
    expect(page.get_by_role("link", name="SUP")).to_be_visible()
    page.locator("#nav-account").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_text("Logged out.")).to_be_visible()

    page.get_by_role("button", name="Español").click()
    expect(page.get_by_role("heading", name="Iniciar sesión")).to_be_visible()


def test_wrong_password_shows_an_error_and_is_rate_limited(page: Page, live_server):
    for _ in range(5):
        log_in(page, live_server, "calidad", "contraseña-equivocada")
        expect(page.get_by_role("alert")).to_contain_text("Usuario o contraseña incorrectos")
    log_in(page, live_server, "calidad", "contraseña-equivocada")
    expect(page.get_by_role("heading", name=re.compile("Demasiados intentos"))).to_be_visible()
    # Even the right password is refused while the limit holds.
    log_in(page, live_server, "calidad")
    expect(page.get_by_role("heading", name=re.compile("Demasiados intentos"))).to_be_visible()
