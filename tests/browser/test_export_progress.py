"""In a real browser: a register export above its threshold runs in the background; its
page moves the bar and the row count while the job runs, then shows the download link
(and the file downloads) or says that it failed — the progress script shared with the
survey imports (qms/static/js/progress.js; tests/browser/test_surveys.py covers those)."""

from __future__ import annotations

import threading

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from qms.core import audit, export_jobs
from qms.extensions import db
from tests.browser.conftest import sign_in
from tests.conftest import user
from tests.nonconformities.conftest import make_nc, make_process

pytestmark = pytest.mark.browser


@pytest.fixture
def background_exports(app, monkeypatch):
    """Three NCs, and every XLSX export of them built in a thread, as in production."""
    with app.test_request_context(), audit.acting_as(user("calidad")):
        process = make_process()
        for i in range(3):
            make_nc(process, title=f"Caso {i}")
        db.session.commit()
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS_XLSX", 1)
    monkeypatch.setitem(app.config, "EXPORTS_IN_THREAD", True)
    return monkeypatch


def _ask_for_the_export(page: Page, base: str) -> None:
    sign_in(page, base, "calidad")
    page.goto(f"{base}/no-conformidades/exportar.xlsx")  # answers with the progress page
    expect(page.locator("#export-message")).to_contain_text("Preparando el archivo")


def test_the_page_follows_the_job_and_offers_the_file(live_server, page, tmp_path,
                                                     background_exports):
    shown, halfway, release = threading.Event(), threading.Event(), threading.Event()
    original = export_jobs.EXPORTERS["nc_register"]

    def paused(params, out, progress):
        shown.wait(30)  # the page is open before any row is counted
        progress(2)
        halfway.set()
        release.wait(30)
        original(params, out, progress)

    background_exports.setitem(export_jobs.EXPORTERS, "nc_register", paused)
    try:
        _ask_for_the_export(page, live_server)
        expect(page.locator("#export-done")).to_have_text("0")
        shown.set()
        assert halfway.wait(30)
        # The script moved the bar and the count without reloading the page.
        expect(page.locator("#export-done")).to_have_text("2")
        expect(page.locator("#export-bar")).to_have_attribute("value", "67")
        expect(page.locator("#export-download")).to_have_count(0)
    finally:
        shown.set()
        release.set()
    link = page.locator("#export-download")  # the page reloaded once the file was ready
    expect(link).to_be_visible()
    expect(page.locator("#export-message")).to_have_text("El archivo está listo.")
    expect(page.locator("#export-done")).to_have_text("3")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".xlsx")
    saved = tmp_path / "export.xlsx"
    download.value.save_as(saved)
    sheet = load_workbook(saved).active
    assert sorted(sheet[f"B{r}"].value for r in range(3, 6)) == ["Caso 0", "Caso 1", "Caso 2"]


def test_a_failed_export_is_said_on_the_page(live_server, page, background_exports):
    release = threading.Event()

    def broken(params, out, progress):
        release.wait(30)
        raise RuntimeError("disk full")

    background_exports.setitem(export_jobs.EXPORTERS, "nc_register", broken)
    try:
        _ask_for_the_export(page, live_server)
    finally:
        release.set()
    expect(page.locator("#export-message")).to_contain_text("La exportación falló")
    expect(page.locator("#export-download")).to_have_count(0)
