"""In a real browser: a wave's comments page is readable on a desktop and on a phone."""

from __future__ import annotations

import pytest

from qms.core.settings import set_setting
from qms.extensions import db
from qms.surveys.models import Wave
from tests.browser.conftest import sign_in
from tests.surveys.conftest import csv_bytes, good_row, make_wave, run_import

pytestmark = pytest.mark.browser


def test_comments_page_on_desktop_and_phone(app, live_server, page, tmp_path):
    wave_id = make_wave(app)
    rows = [good_row(n, comentario=f"El pago llegó tarde otra vez, comentario {n}. "
                     + "Quisiera que el punto de pago estuviera más cerca " * (n % 3))
            for n in range(1, 13)]
    export = tmp_path / "c.csv"
    export.write_bytes(csv_bytes(rows))
    with app.app_context():
        set_setting("surveys.min_group_size", 5)
        db.session.commit()
        assert run_import(db.session.get(Wave, wave_id), export).imported == 12
        db.session.remove()
    sign_in(page, live_server, "auditor")
    page.goto(f"{live_server}/encuestas/rondas/{wave_id}")
    page.get_by_role("link", name="Comentarios").click()
    page.fill("#q", "pago llego tarde")
    page.get_by_role("button", name="Filtrar").click()
    assert page.locator("#comments-total").inner_text() == "12 comentarios"
    page.screenshot(path=str(tmp_path / "comments-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.screenshot(path=str(tmp_path / "comments-390.png"), full_page=True)
