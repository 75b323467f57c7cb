"""From survey results to nonconformities [ISO 9001:2015 9.1.2 → 10.2].

A Likert question whose share of satisfied households (4–5) falls below a threshold (a
setting), or a share of households reporting a complaint, is a *finding* a quality
officer can turn into a Nonconformity with source "satisfaction survey", linked to the
wave. Suppressed groups (too few answers) never produce findings: the figures behind a
finding are the ones the results page shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from qms.auth.models import User
from qms.core import formats, geo
from qms.core.errors import ValidationError
from qms.core.settings import get_setting, register_setting
from qms.core.time import today_local
from qms.nonconformities.enums import NCSeverity, NCSource
from qms.nonconformities.models import Nonconformity
from qms.nonconformities.services import report_nonconformity
from qms.processes.models import Process
from qms.surveys import results
from qms.surveys.models import QuestionType, Wave

ORIGIN_TYPE = "survey_wave"

LOW_SCORE = register_setting(
    "surveys.low_score_threshold", 60.0,
    _l("Umbral de satisfacción baja (%% de satisfechos)"), kind=float, minimum=0, maximum=100,
    help=_l("Una pregunta con menos satisfechos (4–5) que este porcentaje se ofrece para "
            "levantar una no conformidad."))


@dataclass(frozen=True)
class Finding:
    #: "low_score:<question code>" or "complaints"; what the form posts back.
    key: str
    title: str
    description: str
    #: The figure behind the finding, in percent.
    pct: float
    moe: float | None


def _place(department_code: str | None) -> str:
    dept = geo.department(department_code) if department_code else None
    return _("en %(d)s", d=dept.name) if dept else _("a nivel nacional")


def findings(data: results.WaveResults) -> list[Finding]:
    """Findings of a wave's results (national, or of the department they are for)."""
    wave = data.wave
    threshold = float(get_setting(LOW_SCORE.key))
    place = _place(data.department)
    found: list[Finding] = []
    for row in data.questions:
        s = row.summary
        if row.question.type != QuestionType.LIKERT or s.suppressed or s.pct_satisfied is None:
            continue
        if s.pct_satisfied < threshold:
            found.append(Finding(
                key=f"low_score:{row.question.code}",
                title=_("Satisfacción baja en «%(q)s» %(place)s (%(survey)s %(wave)s)",
                        q=row.question.label, place=place, survey=wave.survey.code,
                        wave=wave.code)[:200],
                description=_(
                    "En la ronda %(wave)s de la encuesta %(survey)s, %(place)s, la pregunta "
                    "«%(text)s» obtuvo %(pct)s de hogares satisfechos (4–5), ± %(moe)s "
                    "puntos al 95 %%, sobre %(n)s respuestas válidas; el umbral del SGC es "
                    "%(t)s.",
                    wave=wave.code, survey=wave.survey.code, place=place,
                    text=row.question.text, pct=formats.percent(s.pct_satisfied),
                    moe=formats.number(s.moe_pct or 0.0, 1), n=formats.number(s.n),
                    t=formats.percent(threshold, 0)),
                pct=s.pct_satisfied, moe=s.moe_pct))
    c = data.complaint
    if c is not None and not c.suppressed and c.pct_satisfied:
        found.append(Finding(
            key="complaints",
            title=_("Hogares que reportan quejas %(place)s (%(survey)s %(wave)s)", place=place,
                    survey=wave.survey.code, wave=wave.code)[:200],
            description=_(
                "En la ronda %(wave)s de la encuesta %(survey)s, %(place)s, el %(pct)s "
                "de los hogares (± %(moe)s puntos al 95 %%, n = %(n)s) declaró haber "
                "presentado una queja (pregunta «%(q)s»).",
                wave=wave.code, survey=wave.survey.code, place=place,
                pct=formats.percent(c.pct_satisfied), moe=formats.number(c.moe_pct or 0.0, 1),
                n=formats.number(c.n), q=data.complaint_question.text),
            pct=c.pct_satisfied, moe=c.moe_pct))
    return found


def finding_origin_id(wave: Wave, key: str, department_code: str | None) -> str:
    """The NC origin id of one finding: the wave, the finding and the place it is for."""
    return f"{wave.id}/{key}@{department_code or 'HN'}"[:60]


def raised_for_findings(wave: Wave, department_code: str | None) -> dict[str, Nonconformity]:
    """finding key → the (not cancelled) NC already raised from it, for these results."""
    from qms.extensions import db
    from qms.nonconformities.enums import NCStatus

    suffix = f"@{department_code or 'HN'}"
    raised: dict[str, Nonconformity] = {}
    for nc in db.session.scalars(
            linked_query(wave, findings_only=True)
            .where(Nonconformity.status != NCStatus.CANCELLED)):
        key, _sep, place = nc.origin_id.partition("/")[2].rpartition("@")
        if f"@{place}" == suffix:
            raised.setdefault(key, nc)
    return raised


def raise_nonconformity(wave: Wave, key: str, *, department_code: str | None,
                        process: Process | None, severity: NCSeverity | str,
                        detected_by: User, confirm_duplicate: bool = False) -> Nonconformity:
    """Report the finding ``key`` of ``wave`` as a Nonconformity linked to the wave.

    The figures are recomputed now from the aggregates, so what is recorded is what the
    results say at this moment, not what a form claimed. A finding already raised as an
    NC is raised again only when the caller confirms it is deliberate.
    """
    if department_code and geo.department(department_code) is None:
        raise ValidationError(_l("Departamento desconocido."), field="department_code")
    existing = raised_for_findings(wave, department_code).get(key)
    if existing is not None and not confirm_duplicate:
        raise ValidationError(
            _l("Ya se levantó la no conformidad %(code)s a partir de este hallazgo. Ábrala, o "
               "marque la confirmación si quiere levantar otra.", code=existing.code),
            field="confirm_duplicate")
    data = results.wave_results(wave, department=department_code)
    finding = next((f for f in findings(data) if f.key == key), None)
    if finding is None:
        raise ValidationError(
            _l("Ese resultado ya no es un hallazgo (cambió o queda suprimido)."), field="finding")
    return report_nonconformity(
        title=finding.title, description=finding.description,
        source=NCSource.SATISFACTION_SURVEY, process=process, severity=severity,
        detected_on=today_local(),  # the day the officer read it in the results
        detected_by=detected_by, department_code=department_code,
        origin_type=ORIGIN_TYPE, origin_id=finding_origin_id(wave, key, department_code),
        origin_label=f"{wave.survey.code} · {wave.code}")


def linked_query(wave: Wave, *, findings_only: bool = False):
    """The NCs raised from the wave (``findings_only``: from one of its findings), oldest
    first; served by the NC table's origin index."""
    from_finding = Nonconformity.origin_id.startswith(f"{wave.id}/")
    return (select(Nonconformity)
            .where(Nonconformity.origin_type == ORIGIN_TYPE,
                   from_finding if findings_only
                   else (Nonconformity.origin_id == str(wave.id)) | from_finding)
            .order_by(Nonconformity.id))


def linked_nonconformities(wave: Wave) -> list[Nonconformity]:
    from qms.extensions import db

    return list(db.session.scalars(linked_query(wave)))


def _wave_origin(origin_id: str):
    """An NC raised from a finding links back to its wave's results."""
    from flask import url_for

    from qms.core.origins import OriginLink
    from qms.extensions import db

    wave_id = origin_id.split("/", 1)[0]
    wave = db.session.get(Wave, int(wave_id)) if wave_id.isdigit() else None
    if wave is None:
        return None
    return OriginLink(_("Ronda %(w)s de la encuesta «%(s)s»", w=wave.code, s=wave.survey.title),
                      url_for("surveys.wave", wave_id=wave.id))


def _register_origin() -> None:
    from qms.core.origins import register_origin

    register_origin(ORIGIN_TYPE, _wave_origin)


_register_origin()
