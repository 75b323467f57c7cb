"""Survey fixtures: the programme's questionnaire, an open wave, import helpers."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from qms.core import audit
from qms.extensions import db
from qms.surveys import importer, services
from qms.surveys.demo import QUESTIONNAIRE
from qms.surveys.models import Aggregate, AnswerCount, ImportBatch, Response, WaveStatus

DATA = Path(__file__).resolve().parent / "data"
SAMPLE = DATA / "kobo_example.csv"
SAMPLE_FORM = DATA / "kobo_example_form.yaml"
SAMPLE_WEBHOOK = DATA / "kobo_rest_service_payload_example.json"
#: The header of a Kobo "XML values and headers" export with groups, as in the sample.
HEADER = [
    "start", "end", "datos_generales/id_hogar", "datos_generales/departamento",
    "datos_generales/municipio", "satisfaccion/p1_trato", "satisfaccion/p2_informacion",
    "satisfaccion/p3_puntualidad_pago", "satisfaccion/p4_acceso_pago",
    "satisfaccion/p5_satisfaccion_general", "uso_servicios/servicios_usados",
    "quejas/presento_queja", "comentario", "_id", "_uuid", "_submission_time",
    "_validation_status",
]


def good_row(n: int, **changes) -> dict[str, str]:
    row = {
        "start": "2024-03-04T08:05:17.827-06:00", "end": "2024-03-04T08:21:54.804-06:00",
        "datos_generales/id_hogar": f"HN-{1000 + n}", "datos_generales/departamento": "08",
        "datos_generales/municipio": "0801", "satisfaccion/p1_trato": "5",
        "satisfaccion/p2_informacion": "4", "satisfaccion/p3_puntualidad_pago": "3",
        "satisfaccion/p4_acceso_pago": "2", "satisfaccion/p5_satisfaccion_general": "4",
        "uso_servicios/servicios_usados": "centro_salud escuela", "quejas/presento_queja": "no",
        "comentario": "Atención buena; «sin» quejas", "_id": str(n),
        "_uuid": f"00000000-0000-4000-8000-{n:012d}", "_submission_time": "2024-03-05T17:20:54",
        "_validation_status": "validation_status_approved",
    }
    row.update(changes)
    return row


def csv_bytes(rows: list[dict], *, header: list[str] = HEADER, delimiter: str = ";",
              encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(h, "") for h in header])
    return out.getvalue().encode(encoding)


@pytest.fixture
def survey(app_ctx):
    with audit.acting_as(audit.SYSTEM):
        version = services.load_yaml(QUESTIONNAIRE.read_text(encoding="utf-8"), publish=True)
        db.session.commit()
    return version.survey


@pytest.fixture
def wave(survey):
    with audit.acting_as(audit.SYSTEM):
        created = services.create_wave(survey, code="2024-1", name="Ronda de prueba",
                                       starts_on=date(2024, 3, 1), ends_on=date(2024, 3, 31),
                                       population=200_000)
        services.move_wave(created, WaveStatus.OPEN)
        db.session.commit()
    return created


def run_import(wave, path: Path, **options) -> importer.ImportReport:
    """What the CLI and the import job do: the importer's one path."""
    with audit.acting_as(audit.SYSTEM):
        return importer.run_import(wave, path, file_name=path.name, **options)


def counts() -> dict[str, int]:
    return {
        "responses": db.session.scalar(select(func.count(Response.id))),
        "aggregates": db.session.scalar(select(func.count()).select_from(Aggregate)),
        "answer_counts": db.session.scalar(select(func.count()).select_from(AnswerCount)),
        "imported_batches": db.session.scalar(select(func.count(ImportBatch.id)).where(
            ImportBatch.status == "imported")),
    }


@pytest.fixture
def write(tmp_path):
    def _write(name: str, data: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return _write


def make_wave(app, *, import_sample: bool = False) -> int:
    """For page tests: create the survey and an open wave in a short app context (the test
    client must not share an outer context, or Flask-WTF's cached CSRF token goes stale)."""
    with app.app_context(), audit.acting_as(audit.SYSTEM):
        version = services.load_yaml(QUESTIONNAIRE.read_text(encoding="utf-8"), publish=True)
        created = services.create_wave(version.survey, code="2024-1", name="Ronda de prueba",
                                       starts_on=date(2024, 3, 1), ends_on=date(2024, 3, 31),
                                       population=200_000)
        services.move_wave(created, WaveStatus.OPEN)
        db.session.commit()
        if import_sample:
            run_import(created, SAMPLE)
        wave_id = created.id
        db.session.remove()
    return wave_id
