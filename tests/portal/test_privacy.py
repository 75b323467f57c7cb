"""No personal data of beneficiaries or complainants on any public page or data file."""

from __future__ import annotations

import re

from qms.core import audit
from qms.core.geo import departments
from qms.extensions import db
from tests.complaints.conftest import file_complaint
from tests.portal.conftest import ROWS, import_rows
from tests.surveys.conftest import csv_bytes, good_row

SECRETS = ["María Zelaya", "9999-1234", "maria@example.hn", "0801-1985-12345",
           "Doña Petrona", "HN-4242", "HN-4243", "comentario-secreto-xyz"]


def _seed(app, client):
    from datetime import date

    from qms.surveys import importer, services
    from qms.surveys.demo import QUESTIONNAIRE
    from qms.surveys.models import WaveStatus

    file_complaint(client, description="La señora Doña Petrona, identidad 0801-1985-12345, "
                   "cobró por incluirme en el bono.")
    with app.app_context(), audit.acting_as(audit.SYSTEM):
        import_rows(ROWS)
        version = services.load_yaml(QUESTIONNAIRE.read_text(encoding="utf-8"), publish=True)
        wave = services.create_wave(version.survey, code="2024-1", name="Ronda",
                                    starts_on=date(2024, 3, 1), ends_on=date(2024, 3, 31))
        services.move_wave(wave, WaveStatus.OPEN)
        db.session.commit()
        rows = [good_row(n, **{"datos_generales/id_hogar": f"HN-{4242 + n % 2}",
                               "comentario": "comentario-secreto-xyz María Zelaya"})
                for n in range(1, 40)]
        rows.append(good_row(99, **{"datos_generales/departamento": "01",
                                    "datos_generales/municipio": "0101"}))
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "export.csv"
            path.write_bytes(csv_bytes(rows))
            db.session.commit()  # run_import commits its own transactions
            importer.run_import(wave, path, file_name="export.csv")
        db.session.commit()


def _public_urls(app, client) -> list[str]:
    urls = [r.rule for r in app.url_map.iter_rules()
            if r.rule.startswith("/transparencia") and "GET" in r.methods and "<" not in r.rule]
    urls += [f"/transparencia/ejecucion/{code}" for code in departments()]
    package = client.get("/transparencia/datos/datapackage.json").get_json()
    for resource in package["resources"]:
        urls += [f"/transparencia/datos/{resource['name']}.csv",
                 f"/transparencia/datos/{resource['name']}.json"]
    html = "".join(client.get(u).get_data(as_text=True) for u in urls)
    urls += sorted(set(re.findall(r'href="(/transparencia/documentos/[^"]+)"', html)))
    return urls


def test_no_public_url_shows_personal_data(app, client):
    _seed(app, client)
    urls = _public_urls(app, client)
    assert len(urls) > 30
    for url in urls:
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        for secret in SECRETS:
            assert secret not in body, f"{secret!r} on {url}"
        # A survey department with a single response (01) shows no index or count.
    rows = client.get("/transparencia/datos/satisfaccion-departamento.json").get_json()["rows"]
    atlantida = next(r for r in rows if r["departamento_codigo"] == "01")
    assert atlantida["respuestas"] is None and atlantida["indice_satisfaccion"] is None
    # Single complaint: its count is suppressed everywhere.
    complaints = client.get("/transparencia/datos/quejas-mes.json").get_json()["rows"]
    assert all(r["recibidas"] in (None, 0) for r in complaints)
