"""What the portal publishes: suppressed tables, a valid Frictionless package, cached pages."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re

import pytest
from sqlalchemy import event

from qms.core.settings import set_setting
from qms.extensions import db
from tests.portal.conftest import ROWS, SMALL_TOWN, import_rows

PAGES = ["/transparencia/", "/transparencia/ejecucion", "/transparencia/ejecucion/08",
         "/transparencia/satisfaccion", "/transparencia/atencion", "/transparencia/calidad",
         "/transparencia/datos", "/transparencia/quejas/nueva",
         "/transparencia/quejas/seguimiento"]


def _csv(client, name):
    response = client.get(f"/transparencia/datos/{name}.csv")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_a_small_municipality_is_suppressed_and_cannot_be_recovered(app, client):
    with app.app_context():
        import_rows(ROWS)
    munis = {r["municipio_codigo"]: r for r in _csv(client, "pagos-municipio")}
    small = munis[SMALL_TOWN]
    assert small["hogares_programados"] == "" and small["hogares_pagados"] == ""
    assert small["monto_pagado_lps"] == ""
    depts = {r["departamento_codigo"]: r for r in _csv(client, "pagos-departamento")}
    # Department 08's total is published, so another municipality is hidden too.
    assert depts["08"]["hogares_programados"] == "807"
    shown = [int(m["hogares_programados"]) for m in munis.values()
             if m["departamento_codigo"] == "08" and m["hogares_programados"]]
    assert 807 - sum(shown) >= 10
    # Nothing published in 08 is a group of 1–9 households.
    for r in [*munis.values(), depts["08"]]:
        for key, value in r.items():
            if key.startswith(("hogares", "no_pago")) and value:
                assert int(value) == 0 or int(value) >= 10, (key, r)


def test_the_threshold_is_a_setting(app, client):
    with app.app_context():
        import_rows(ROWS)
        set_setting("portal.min_group_size", 3)
        db.session.commit()
    munis = {r["municipio_codigo"]: r for r in _csv(client, "pagos-municipio")}
    assert munis[SMALL_TOWN]["hogares_programados"] == "7"


def test_csv_and_json_carry_the_same_rows(app, client):
    with app.app_context():
        import_rows(ROWS)
    rows = _csv(client, "pagos-departamento")
    data = client.get("/transparencia/datos/pagos-departamento.json").get_json()
    assert len(data["rows"]) == len(rows)
    assert data["license"] == "CC-BY-4.0" and data["period"] == ["2025-01", "2025-01"]
    first = data["rows"][0]
    assert str(first["hogares_programados"]) == rows[0]["hogares_programados"]


def test_the_data_package_validates_with_frictionless(app, client, tmp_path):
    frictionless = pytest.importorskip("frictionless")
    with app.app_context():
        import_rows(ROWS)
    package = client.get("/transparencia/datos/datapackage.json").get_json()
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    assert package["$schema"].endswith("/2.0/datapackage.json")
    (tmp_path / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    for resource in package["resources"]:
        assert resource["schema"]["fields"], resource["name"]
        body = client.get(f"/transparencia/datos/{resource['path']}").get_data()
        (tmp_path / resource["path"]).write_bytes(body)
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    names = {r["name"] for r in package["resources"]}
    assert {"pagos-municipio", "pagos-departamento", "pagos-canal", "satisfaccion-departamento",
            "quejas-mes", "quejas-departamento", "no-conformidades-trimestre"} == names


def test_a_broken_csv_fails_the_frictionless_check(app, client, tmp_path):
    """The validation above can fail: a non-numeric count breaks the package."""
    frictionless = pytest.importorskip("frictionless")
    with app.app_context():
        import_rows(ROWS)
    package = client.get("/transparencia/datos/datapackage.json").get_json()
    package["resources"] = [r for r in package["resources"] if r["name"] == "pagos-canal"]
    (tmp_path / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    body = client.get("/transparencia/datos/pagos-canal.csv").get_data(as_text=True)
    lines = body.splitlines()
    lines[1] = re.sub(r",\d+,", ",muchos,", lines[1], count=1)
    (tmp_path / "pagos-canal.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert not frictionless.validate(str(tmp_path / "datapackage.json")).valid


@pytest.mark.parametrize("path", PAGES)
def test_every_page_is_light_and_needs_no_script(app, client, path):
    with app.app_context():
        import_rows(ROWS)
    response = client.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<script" not in html
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    assert assets == ["/static/css/portal.css"]
    total = len(gzip.compress(response.get_data()))
    total += sum(len(gzip.compress(client.get(a).get_data())) for a in assets)
    assert total <= 100 * 1024, f"{path}: {total} bytes compressed"


def test_pages_are_served_from_the_cache_without_queries(app, client):
    with app.app_context():
        import_rows(ROWS)
    assert client.get("/transparencia/ejecucion").status_code == 200
    statements = []

    def count(*args):
        statements.append(args[2])

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        for _ in range(5):
            response = client.get("/transparencia/ejecucion")
            assert response.status_code == 200
        etag = response.headers["ETag"]
        assert client.get("/transparencia/ejecucion",
                          headers={"If-None-Match": etag}).status_code == 304
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert statements == []


def test_a_change_is_published_after_the_refresh_interval(app, client):
    with app.app_context():
        set_setting("portal.refresh_seconds", 1)
        db.session.commit()
        import_rows(ROWS[:1])
    assert "2025-02" not in client.get("/transparencia/ejecucion").get_data(as_text=True)
    with app.app_context():
        import_rows([{**ROWS[0], "periodo": "2025-02"}])
    import time

    time.sleep(1.1)
    assert "2025-02" in client.get("/transparencia/ejecucion").get_data(as_text=True)
