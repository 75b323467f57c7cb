"""In Chromium: a process owner logs in, finds "Mis pendientes", opens the overdue action,
re-plans it with a reason and sees the old date kept beside the new one."""

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
from tests.nonconformities.conftest import make_nc, make_process, to_implementation

pytestmark = pytest.mark.browser


def _overdue_action(app) -> tuple[int, str]:
    with app.test_request_context(), audit.acting_as(user("calidad")):
        nc = make_nc(make_process(), detected_on=today_local() - timedelta(days=45))
        to_implementation(nc)
        action = nc.actions[0]
        action.due_on = today_local() - timedelta(days=7)
        db.session.commit()
        return nc.id, action.due_on.isoformat()


def test_owner_replans_an_overdue_action_from_mis_pendientes(app, live_server, page: Page):
    nc_id, old_due = _overdue_action(app)
    sign_in(page, live_server, "duenio")

    expect(page.locator(".home-pending")).to_contain_text("Mis pendientes")
    page.get_by_role("navigation").get_by_role("link", name="Mis pendientes").first.click()
    first = page.locator("li.pending-item").first
    expect(first).to_have_attribute("data-overdue", "1")
    expect(first).to_contain_text("Vencido")
    first.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/no-conformidades/{nc_id}#accion-1"))

    row = page.locator("tr[data-action='AC-1']")
    new_due = (today_local() + timedelta(days=21)).isoformat()
    replan = row.locator("details.nc-action-replan")
    expect(replan).to_have_attribute("open", "")  # overdue: the re-plan form is open
    replan.locator("input[name=due_on]").fill(new_due)
    replan.get_by_role("button", name="Replanificar").click()
    # no reason: refused, and the date typed is still there
    expect(page.locator(".alert-danger, .invalid-feedback").first).to_be_visible()
    replan = page.locator("tr[data-action='AC-1'] details.nc-action-replan")
    expect(replan.locator("input[name=due_on]")).to_have_value(new_due)
    replan.locator("textarea[name=reason]").fill("El proveedor entrega el lector en tres semanas.")
    replan.get_by_role("button", name="Replanificar").click()
    expect(page.locator(".alert-success")).to_contain_text("Acción AC-1 replanificada")

    due = page.locator("tr[data-action='AC-1'] .nc-action-due")
    old_day = old_due.split("-")[2].lstrip("0")
    expect(due).to_contain_text("antes")
    expect(due.locator(".nc-action-previous-due")).to_contain_text(old_day)
    expect(page.locator(".nc-timeline")).to_contain_text("El proveedor entrega el lector")
