"""The managers' home page: figures from every domain, each linking to its records, in a
number of queries that does not grow with the data."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from sqlalchemy import event

from qms.core import audit
from qms.core.time import today_local
from qms.extensions import db
from qms.objectives import services
from tests.conftest import user
from tests.nonconformities.conftest import make_nc
from tests.objectives.conftest import (
    make_objective,
    make_process,
)


def _seed(app, ncs: int) -> None:
    today = today_local()
    with app.app_context(), audit.acting_as(user("calidad")):
        process = make_process("PAG")
        for i in range(ncs):
            make_nc(process, title=f"NC {i}", detected_on=today - timedelta(days=10 + 60 * (i % 4)))
        objective = make_objective(frequency="annual", target=95)
        services.record_value(objective, period=str(today.year - 1), value=91,
                              actor=user("duenio"))
        db.session.commit()


def _queries(app, client, path: str) -> tuple[int, str]:
    counted = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: counted.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        html = client.get(path).get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(counted), html


def test_manager_sees_the_dashboard_with_links_to_the_records(app, login_as):
    _seed(app, 4)
    html = login_as("direccion").get("/inicio").get_data(as_text=True)
    assert "Tablero de la dirección" in html
    today = today_local()
    # One NC per age band: 10, 70, 130 and 190 days old, each cell a link to its band.
    row = html.split("<abbr", 1)[1].split("</tr>", 1)[0]
    links = [unescape(u) for u in re.findall(r'href="([^"]+)"', row)]
    old = (today - timedelta(days=181)).isoformat()
    assert any(f"detected_to={old}" in u and "open_only=1" in u and "process_id=" in u
               for u in links), links
    assert any(f"detected_from={(today - timedelta(days=30)).isoformat()}" in u for u in links)
    kpis = html.split("Indicadores frente a su meta", 1)[1]
    assert "OBJ-PAG-01" in kpis and "91 %" in kpis and "No cumple" in kpis
    assert "/objetivos/?estado=not_met" in html and "/documentos/?revision=overdue" in html
    assert "/no-conformidades/?overdue=1" in html


def test_the_dashboard_is_for_managers_and_quality_officers_only(app, login_as, client):
    _seed(app, 1)
    assert "Tablero de la dirección" in login_as("calidad").get("/inicio").get_data(as_text=True)
    from tests.conftest import login

    for other in ("duenio", "auditor", "certificador"):
        fresh = app.test_client()
        login(fresh, other)
        assert "Tablero de la dirección" not in fresh.get("/inicio").get_data(as_text=True)


def test_queries_do_not_grow_with_the_ncs_and_a_change_shows_at_once(app, login_as):
    _seed(app, 3)
    client = login_as("direccion")
    first, html = _queries(app, client, "/inicio")  # gathered: nothing cached yet
    assert ">3</a>" in html.split("dashboard-ages", 1)[1]
    repeat, again = _queries(app, client, "/inicio")  # nothing changed: reused
    assert repeat < first and again.count("dashboard-ages") == html.count("dashboard-ages")
    with app.app_context(), audit.acting_as(user("calidad")):
        process = make_process("PAG")
        for i in range(40):
            make_nc(process, title=f"Más {i}", detected_on=today_local() - timedelta(days=i * 7))
        db.session.commit()
    many, html = _queries(app, client, "/inicio")
    assert many == first, (first, many)
    assert first <= 30, first
    totals = html.split("dashboard-ages", 1)[1].split("<tfoot>", 1)[1]
    assert ">43</a>" in totals  # the 40 new NCs count at once, not after a delay
