"""In Chromium: a process owner enters a KPI value and sees it in the chart and the table;
the manager's home page then shows the dashboard with the KPI against its target."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from qms.core import audit
from qms.core.time import today_local
from qms.extensions import db
from tests.browser.conftest import sign_in
from tests.conftest import user
from tests.nonconformities.conftest import make_nc
from tests.objectives.conftest import make_objective, make_process

pytestmark = pytest.mark.browser


def test_owner_enters_a_value_and_the_manager_sees_it_against_target(app, page: Page,
                                                                      base_url):
    year = today_local().year - 1
    with app.app_context(), audit.acting_as(user("calidad")):
        objective = make_objective(frequency="quarterly", target=95)
        make_nc(make_process("PAG"), detected_on=today_local() - timedelta(days=100))
        db.session.commit()
        objective_id = objective.id

    sign_in(page, base_url, "duenio")
    page.get_by_role("button", name="Seguimiento").click()
    page.get_by_role("link", name="Objetivos de la calidad").click()
    page.get_by_role("link", name="OBJ-PAG-01").click()
    page.fill("#period", f"{year}-05")  # a month: not a quarter
    page.fill("#value", "93.5")
    page.get_by_role("button", name="Registrar valor").click()
    expect(page.locator("#period-error")).to_contain_text("no corresponde a la frecuencia")
    page.fill("#period", f"{year}-T4")
    page.fill("#value", "93,5")
    page.fill("#note", "Cierre del año")
    page.get_by_role("button", name="Registrar valor").click()
    expect(page.locator(".alert-success")).to_contain_text(f"Valor de {year}-T4 registrado.")
    expect(page).to_have_url(re.compile(rf"/objetivos/{objective_id}$"))
    row = page.locator("table tbody tr", has_text=f"{year}-T4")
    expect(row).to_contain_text("93,5 %")
    expect(row).to_contain_text("No cumple")
    chart = page.locator("figure.chart svg.qms-chart")
    expect(chart.locator("circle")).to_have_count(1)
    expect(chart.locator("circle title")).to_have_text(re.compile(r"93,5\s?%"))
    expect(chart.locator("text", has_text=f"{year}-T4")).to_have_count(1)
    expect(chart.locator("line.qms-chart-target")).to_have_count(1)

    sign_in(page, base_url, "direccion")
    expect(page).to_have_url(re.compile(r"/inicio"))
    board = page.locator("section.dashboard")
    expect(board.get_by_role("heading", name=re.compile("Tablero de la dirección"))).to_be_visible()
    kpi = board.locator("table.dashboard-kpis tr", has_text="OBJ-PAG-01")
    expect(kpi).to_contain_text("≥ 95 %")
    expect(kpi).to_contain_text("93,5 %")
    expect(kpi).to_contain_text("No cumple")
    board.locator("table.dashboard-ages a", has_text="1").first.click()
    expect(page).to_have_url(re.compile(r"/no-conformidades/\?.*open_only=1"))
    expect(page.locator("table")).to_contain_text("Pago acreditado a un beneficiario equivocado")
