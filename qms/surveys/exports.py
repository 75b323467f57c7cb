"""CSV and XLSX exports: results (aggregates) and anonymised responses.

Cells that a spreadsheet would run as a formula (starting with = + - @, a tab or a
carriage return) are prefixed with an apostrophe. Anonymised responses carry neither the
submission UUID nor the pseudonymous key, and leave out free-text answers (they may
name people); groups below the minimum size are exported as "suprimido".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from flask_babel import gettext as _
from sqlalchemy import func, select

from qms.core import export_jobs
from qms.core.spreadsheets import Column, csv_chunks, write_csv, write_xlsx
from qms.extensions import db
from qms.surveys.models import QuestionType, Response, Wave
from qms.surveys.publishing import visible_responses
from qms.surveys.results import WaveResults
from qms.surveys.stats import Summary


def _num(value: float | None, digits: int = 2) -> float | str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return round(value, digits)


def _summary_cells(summary: Summary) -> list[Any]:
    if summary.suppressed:
        return [summary.n and _("suprimido") or 0, _("suprimido"), "", "", "", "", "", ""]
    return [summary.n, _num(summary.mean), _num(summary.moe_mean), _num(summary.pct_satisfied, 1),
            _num(summary.moe_pct, 1), _num(summary.index, 1), _num(summary.moe_index, 1),
            _num(summary.pct_dissatisfied, 1)]


RESULT_HEADER = ["ambito", "codigo_ambito", "pregunta", "n", "media", "margen_error_media",
                 "pct_satisfechos", "margen_error_pct", "indice_0_100", "margen_error_indice",
                 "pct_insatisfechos", "texto_pregunta"]


def result_rows(results: WaveResults) -> Iterator[list[Any]]:
    scope = _("departamento") if results.department else _("nacional")
    code = results.department or "HN"
    yield [scope, code, "_respuestas", results.responses, "", "", "", "", "", "", "",
           _("Respuestas")]
    yield [scope, code, "_indice", *_summary_cells(results.index), _("Índice de satisfacción")]
    if results.complaint is not None:
        yield [scope, code, "_quejas", *_summary_cells(results.complaint),
               _("Hogares que reportan quejas")]
    for item in results.questions:
        if item.question.type == QuestionType.TEXT:
            continue
        yield [scope, code, item.question.code, *_summary_cells(item.summary),
               item.question.text]
    group_scope = _("municipio") if results.group_by == "municipality" else _("departamento")
    for group in results.groups:
        yield [group_scope, group.code, "_respuestas",
               group.responses if group.responses >= results.min_n or not group.responses
               else _("suprimido"), "", "", "", "", "", "", "", _("Respuestas")]
        yield [group_scope, group.code, "_indice", *_summary_cells(group.index),
               _("Índice de satisfacción")]
        if group.complaint is not None:
            yield [group_scope, group.code, "_quejas", *_summary_cells(group.complaint),
                   _("Hogares que reportan quejas")]


def response_header(wave: Wave) -> list[str]:
    codes = [q.code for q in wave.questionnaire.questions if q.type != QuestionType.TEXT]
    return ["fila", "departamento", "municipio", "canal", "fecha_envio", *codes]


def response_rows(wave: Wave) -> Iterator[list[Any]]:
    questions = [q for q in wave.questionnaire.questions if q.type != QuestionType.TEXT]
    query = select(Response.department_code, Response.municipality_code, Response.channel,
                   Response.submitted_at, Response.answers).where(
        Response.wave_id == wave.id, visible_responses()).order_by(Response.id) \
        .execution_options(yield_per=5000)
    for number, row in enumerate(db.session.execute(query), start=1):
        answers = row.answers or {}
        cells = [number, row.department_code, row.municipality_code or "", row.channel.value,
                 row.submitted_at.date().isoformat()]
        for q in questions:
            value = answers.get(q.code, "")
            cells.append(" ".join(value) if isinstance(value, list) else value)
        yield cells


def response_count(wave: Wave) -> int:
    """How many responses an export of ``wave`` holds (one count)."""
    return db.session.scalar(select(func.count(Response.id)).where(
        Response.wave_id == wave.id, visible_responses()))


def response_title(wave: Wave) -> str:
    return _("Respuestas anonimizadas de la ronda %(w)s de «%(s)s»", w=wave.code,
             s=wave.survey.title)


@export_jobs.exporter("survey_responses")
def build_response_export(params: dict, out: BinaryIO, progress) -> None:
    """A wave's anonymised responses as a background job (see
    :mod:`qms.core.export_jobs`): a national wave is hundreds of thousands of rows.
    The view authorised the requester; the job only reads."""
    wave = db.session.get(Wave, params["wave_id"])
    header = response_header(wave)
    rows = export_jobs.counted(response_rows(wave), progress)
    if params["format"] == "xlsx":
        write_xlsx(out, response_title(wave), _("Datos"), columns(header), rows)
    else:
        write_csv(out, columns(header), rows, delimiter=";")


def columns(header: list[str]) -> list[Column]:
    """The columns of an export whose headings are data names (``pct_satisfechos``):
    wide enough for the heading; question texts get room to be read."""
    return [Column(h, 60 if h.startswith("texto") else max(10, len(h) + 3)) for h in header]


def csv_stream(header: list[str], rows: Iterable[list[Any]]) -> Iterator[str]:
    """UTF-8 with BOM (Excel opens it right), ``;`` like Kobo, streamed as it is read."""
    return csv_chunks(columns(header), rows, delimiter=";")


