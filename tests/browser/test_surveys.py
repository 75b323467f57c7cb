"""In a real browser: import a Kobo export, map a renamed column, watch it finish, see charts."""

from __future__ import annotations

import pytest

from tests.browser.conftest import sign_in
from tests.surveys.conftest import HEADER, csv_bytes, good_row, make_wave

pytestmark = pytest.mark.browser


@pytest.fixture
def threaded_import(app):
    """The real thing: the import runs in a background thread and the page polls it."""
    app.config["SURVEYS_IMPORT_IN_THREAD"] = True
    yield
    app.config.pop("SURVEYS_IMPORT_IN_THREAD")


def test_import_map_columns_and_see_the_charts(app, live_server, page, tmp_path,
                                               threaded_import):
    wave_id = make_wave(app)
    header = ["P1 (trato)" if h == "satisfaccion/p1_trato" else h for h in HEADER]
    rows = [{("P1 (trato)" if k == "satisfaccion/p1_trato" else k): v
             for k, v in good_row(n, **{"satisfaccion/p1_trato": str(1 + n % 5)}).items()}
            for n in range(1, 41)]
    export = tmp_path / "kobo-export.csv"
    export.write_bytes(csv_bytes(rows, header=header))

    sign_in(page, live_server, "calidad")
    page.goto(f"{live_server}/encuestas/rondas/{wave_id}")
    page.get_by_role("link", name="Importar respuestas").click()
    page.set_input_files("input[type=file]", str(export))
    page.get_by_role("button", name="Continuar").click()

    # The renamed column is flagged as unknown; the person maps it to its question.
    assert page.locator(".alert-warning").inner_text().count("P1 (trato)") == 1
    page.get_by_label("P1 (trato)").select_option("p1_trato")
    page.get_by_role("button", name="Importar").click()

    page.wait_for_selector("#import-summary", timeout=20_000)  # the script reloads when done
    assert "Importación terminada" in page.inner_text("#import-message")
    assert page.inner_text("#import-imported") == "40"

    page.get_by_role("link", name="Ver resultados de la ronda").click()
    assert page.inner_text("#stat-responses") == "40"
    charts = page.locator("figure.chart svg")
    assert charts.count() == 2
    assert "Trato recibido del personal" in charts.nth(0).text_content()  # the text, not p1_trato
    assert charts.nth(0).locator("rect").count() == 5  # one bar per Likert question
    assert page.locator("#groups-table").get_by_text("Francisco Morazán").count() == 1
    # The mapping is remembered for the next file of this survey.
    page.get_by_role("link", name="SAT-BVM").click()
    assert "P1 (trato)" in page.inner_text("body")
