"""Survey definitions, waves, column mappings and the webhook secret: the rules live here."""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import date
from typing import Any

import yaml
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm.attributes import flag_modified

from qms.core import audit, geo
from qms.core.db import now_utc
from qms.core.errors import ValidationError, check_version
from qms.core.parsers import load_yaml as load_bounded_yaml
from qms.core.security import secret_digest
from qms.core.settings import register_setting
from qms.core.workflow import Workflow
from qms.extensions import db
from qms.surveys.models import (
    ColumnMapping,
    Question,
    QuestionType,
    Survey,
    SurveyVersion,
    VersionStatus,
    Wave,
    WaveStatus,
    WaveTarget,
)

SURVEY_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,29}$")
QUESTION_CODE = re.compile(r"^[a-z][a-z0-9_]{0,59}$")

MIN_GROUP_SIZE = register_setting(
    "surveys.min_group_size", 10, _l("Tamaño mínimo de grupo para mostrar resultados"),
    kind=int, minimum=1, maximum=1000,
    help=_l("Los grupos con menos respuestas se muestran como suprimidos, sin cifras."))
CONFIDENCE_Z = register_setting(
    "surveys.confidence_z", 1.96, _l("Valor z del nivel de confianza (1,96 = 95 %)"),
    kind=float, minimum=1.0, maximum=3.5)

WAVE_FLOW = Workflow("status", {
    WaveStatus.DRAFT: {WaveStatus.OPEN},
    WaveStatus.OPEN: {WaveStatus.CLOSED},
    WaveStatus.CLOSED: set(),
})


# ---------------------------------------------------------------- definitions


def list_surveys():
    return select(Survey).order_by(Survey.code)


def published_version(survey: Survey) -> SurveyVersion | None:
    return next((v for v in reversed(survey.versions) if v.status == VersionStatus.PUBLISHED),
                None)


def draft_version(survey: Survey) -> SurveyVersion | None:
    return next((v for v in survey.versions if v.status == VersionStatus.DRAFT), None)


def create_survey(*, code: str, title: str, description: str = "") -> Survey:
    code = (code or "").strip().upper()
    if not SURVEY_CODE.match(code):
        raise ValidationError(_l("El código debe tener de 2 a 30 caracteres: mayúsculas, cifras "
                                 "y guiones."), field="code")
    if db.session.scalar(select(Survey.id).where(Survey.code == code)) is not None:
        raise ValidationError(_l("Ya existe una encuesta con el código %(code)s.", code=code),
                              field="code")
    title = (title or "").strip()
    if not title:
        raise ValidationError(_l("Indique el título de la encuesta."), field="title")
    survey = Survey(code=code, title=title[:200], description=(description or "").strip())
    db.session.add(survey)
    db.session.flush()
    db.session.add(SurveyVersion(survey=survey, number=1, status=VersionStatus.DRAFT))
    db.session.flush()
    return survey


def _require_draft(version: SurveyVersion) -> None:
    if version.status != VersionStatus.DRAFT:
        raise ValidationError(_l("Una versión publicada no se modifica: cree una nueva versión."))


def _clean_question(version: SurveyVersion, data: dict[str, Any],
                    question: Question | None = None) -> dict[str, Any]:
    code = (data.get("code") or "").strip().lower()
    if not QUESTION_CODE.match(code):
        raise ValidationError(_l("Código de pregunta no válido: minúsculas, cifras y guion bajo, "
                                 "empezando por una letra."), field="code")
    if any(q.code == code and q is not question for q in version.questions):
        raise ValidationError(_l("Ya hay una pregunta con el código %(code)s.", code=code),
                              field="code")
    text = (data.get("text") or "").strip()
    if not text:
        raise ValidationError(_l("Escriba el texto de la pregunta."), field="text")
    try:
        kind = QuestionType(data.get("type"))
    except ValueError:
        raise ValidationError(_l("Tipo de pregunta no válido."), field="type") from None
    choices = data.get("choices") or None
    if isinstance(choices, str):
        choices = parse_choices(choices)
    if kind in (QuestionType.SINGLE, QuestionType.MULTIPLE) and not choices:
        raise ValidationError(_l("Indique las opciones (una por línea: código = etiqueta)."),
                              field="choices")
    if choices:
        choices = {str(k).strip(): str(v).strip() for k, v in choices.items()}
        bad = [k for k in choices if not re.match(r"^[A-Za-z0-9_.-]{1,60}$", k)]
        if bad:
            raise ValidationError(_l("Código de opción no válido: %(c)s", c=bad[0]),
                                  field="choices")
    in_index = bool(data.get("in_index"))
    if in_index and kind != QuestionType.LIKERT:
        raise ValidationError(_l("Solo las preguntas Likert 1–5 forman el índice de "
                                 "satisfacción."), field="in_index")
    is_complaint = bool(data.get("is_complaint"))
    if is_complaint and kind != QuestionType.YES_NO:
        raise ValidationError(_l("La pregunta de queja debe ser de tipo sí/no."),
                              field="is_complaint")
    return {"code": code, "text": text[:500], "type": kind, "required": bool(data.get("required")),
            "in_index": in_index, "is_complaint": is_complaint,
            "choices": choices if kind in (QuestionType.SINGLE, QuestionType.MULTIPLE,
                                           QuestionType.YES_NO, QuestionType.LIKERT) else None,
            "min_value": _number(data.get("min_value")), "max_value": _number(data.get("max_value"))}


def _number(value) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValidationError(_l("Indique un número."), field="min_value") from None


def parse_choices(text: str) -> dict[str, str]:
    """"code = label" lines (or just "code") → {code: label}."""
    choices = {}
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        code, _sep, label = line.partition("=")
        choices[code.strip()] = (label or code).strip()
    return choices


def add_question(version: SurveyVersion, data: dict[str, Any]) -> Question:
    _require_draft(version)
    values = _clean_question(version, data)
    position = max((q.position for q in version.questions), default=0) + 1
    question = Question(version=version, position=position, **values)
    db.session.add(question)
    db.session.flush()
    return question


def update_question(question: Question, data: dict[str, Any]) -> Question:
    _require_draft(question.version)
    for key, value in _clean_question(question.version, data, question).items():
        setattr(question, key, value)
    db.session.flush()
    return question


def remove_question(question: Question) -> None:
    """Only from a draft: a question never published is not yet a record."""
    _require_draft(question.version)
    db.session.delete(question)
    db.session.flush()


def publish_version(version: SurveyVersion, actor) -> SurveyVersion:
    _require_draft(version)
    if not version.questions:
        raise ValidationError(_l("Una versión sin preguntas no se puede publicar."))
    for older in version.survey.versions:
        if older.status == VersionStatus.PUBLISHED:
            older.status = VersionStatus.SUPERSEDED
    version.status = VersionStatus.PUBLISHED
    version.published_at = now_utc()
    version.published_by_id = actor.id if actor else None
    audit.annotate(db.session, version, "publish")
    db.session.flush()
    return version


def new_draft(survey: Survey) -> SurveyVersion:
    """A draft copied from the published version (the only way to change a questionnaire)."""
    if draft_version(survey) is not None:
        raise ValidationError(_l("Ya hay una versión en borrador."))
    source = published_version(survey)
    number = max((v.number for v in survey.versions), default=0) + 1
    draft = SurveyVersion(survey=survey, number=number, status=VersionStatus.DRAFT)
    db.session.add(draft)
    db.session.flush()
    for q in (source.questions if source else []):
        db.session.add(Question(version=draft, position=q.position, code=q.code, text=q.text,
                                type=q.type, required=q.required, in_index=q.in_index,
                                is_complaint=q.is_complaint, choices=q.choices,
                                min_value=q.min_value, max_value=q.max_value))
    db.session.flush()
    db.session.refresh(survey)
    return draft


def load_yaml(text: str, *, actor=None, publish: bool = False) -> SurveyVersion:
    """A questionnaire from YAML (code, title, description, questions: [...]).

    A new code creates the survey; a known code gets a new draft version (a published
    version is never changed in place), replacing the questions of an existing draft.
    """
    try:
        data = load_bounded_yaml(text)  # no aliases (YAML bombs), bounded size
    except yaml.YAMLError as exc:
        raise ValidationError(_l("YAML no válido: %(e)s", e=str(exc)[:200]), field="file") from None
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise ValidationError(_l("El YAML debe tener «code», «title» y una lista «questions»."),
                              field="file")
    code = str(data.get("code") or "").strip().upper()
    survey = db.session.scalar(select(Survey).where(Survey.code == code))
    if survey is None:
        survey = create_survey(code=code, title=str(data.get("title") or ""),
                               description=str(data.get("description") or ""))
    draft = draft_version(survey) or new_draft(survey)
    for q in list(draft.questions):
        remove_question(q)
    db.session.refresh(draft)
    for index, item in enumerate(data["questions"], start=1):
        if not isinstance(item, dict):
            raise ValidationError(_l("Pregunta %(n)s: formato no válido.", n=index), field="file")
        try:
            add_question(draft, {**item, "in_index": item.get("index", item.get("in_index")),
                                 "is_complaint": item.get("complaint", item.get("is_complaint")),
                                 "min_value": item.get("min"), "max_value": item.get("max")})
        except ValidationError as exc:
            raise ValidationError(_l("Pregunta %(n)s: %(e)s", n=index, e=exc.message),
                                  field="file") from None
        db.session.refresh(draft)
    if publish:
        publish_version(draft, actor)
    return draft


# ---------------------------------------------------------------- waves


def create_wave(survey: Survey, *, code: str, name: str, starts_on: date, ends_on: date,
                population: int | None = None) -> Wave:
    version = published_version(survey)
    if version is None:
        raise ValidationError(_l("Publique primero una versión del cuestionario."))
    code = (code or "").strip().upper()
    if not SURVEY_CODE.match(code):
        raise ValidationError(_l("El código debe tener de 2 a 30 caracteres: mayúsculas, cifras "
                                 "y guiones."), field="code")
    if any(w.code == code for w in survey.waves):
        raise ValidationError(_l("Ya existe una ronda con el código %(code)s.", code=code),
                              field="code")
    _check_period(starts_on, ends_on)
    wave = Wave(survey=survey, questionnaire=version, code=code, name=(name or code).strip()[:200],
                starts_on=starts_on, ends_on=ends_on, population=population or None,
                status=WaveStatus.DRAFT)
    db.session.add(wave)
    db.session.flush()
    return wave


def _check_period(starts_on: date | None, ends_on: date | None) -> None:
    if not starts_on or not ends_on or ends_on < starts_on:
        raise ValidationError(_l("El fin del periodo no puede ser anterior a su inicio."),
                              field="ends_on")


def update_wave(wave: Wave, *, expected_version: int | None, name: str, starts_on: date,
                ends_on: date, population: int | None,
                targets: dict[str, tuple[int | None, int | None]]) -> Wave:
    """Change the period, N and the target sample per department ({dept: (target, N_h)})."""
    check_version(wave, expected_version)
    if wave.status == WaveStatus.CLOSED:
        raise ValidationError(_l("Una ronda cerrada no se modifica."))
    _check_period(starts_on, ends_on)
    wave.name = (name or wave.code).strip()[:200]
    wave.starts_on, wave.ends_on = starts_on, ends_on
    wave.population = population or None
    existing = {t.department_code: t for t in wave.targets}
    for code, (target, population_h) in targets.items():
        if geo.department(code) is None:
            raise ValidationError(_l("Departamento %(c)s desconocido.", c=code))
        if (target or 0) < 0 or (population_h or 0) < 0:
            raise ValidationError(_l("Las metas y poblaciones no pueden ser negativas."))
        row = existing.get(code)
        if row is None and not target and not population_h:
            continue
        if row is None:
            row = WaveTarget(wave=wave, department_code=code)
            db.session.add(row)
        row.target_sample = target or 0
        row.population = population_h or None
    # Targets are child rows: bump the wave's version anyway, so a stale form is refused.
    flag_modified(wave, "name")
    db.session.flush()
    return wave


def move_wave(wave: Wave, target: WaveStatus, *, expected_version: int | None = None) -> Wave:
    check_version(wave, expected_version if expected_version is not None else wave.version)
    if target == WaveStatus.OPEN:
        other = db.session.scalar(select(Wave).where(
            Wave.survey_id == wave.survey_id, Wave.status == WaveStatus.OPEN, Wave.id != wave.id))
        if other is not None:
            raise ValidationError(_l("La ronda %(code)s ya está abierta: ciérrela antes de abrir "
                                     "otra (el webhook entrega a la ronda abierta).",
                                     code=other.code))
    WAVE_FLOW.move(wave, target)
    return wave


def open_wave(survey: Survey) -> Wave | None:
    return db.session.scalar(select(Wave).where(Wave.survey_id == survey.id,
                                                Wave.status == WaveStatus.OPEN))


def target_totals(wave: Wave) -> tuple[int, int | None]:
    """(total target sample, total N or None)."""
    target = sum(t.target_sample for t in wave.targets)
    population = wave.population or (
        sum(t.population for t in wave.targets) if wave.targets and all(
            t.population for t in wave.targets) else None)
    return target, population


# ---------------------------------------------------------------- mapping, webhook


def saved_mapping(survey: Survey) -> dict[str, str]:
    row = db.session.scalar(select(ColumnMapping).where(ColumnMapping.survey_id == survey.id))
    return dict(row.columns) if row else {}


def save_mapping(survey: Survey, columns: dict[str, str]) -> ColumnMapping:
    """Merge ``columns`` (header → target) into the survey's saved mapping."""
    row = db.session.scalar(select(ColumnMapping).where(ColumnMapping.survey_id == survey.id))
    if row is None:
        row = ColumnMapping(survey_id=survey.id, columns={})
        db.session.add(row)
    merged = {**(row.columns or {}), **{k[:200]: v for k, v in columns.items()}}
    if merged != row.columns:
        row.columns = merged
    db.session.flush()
    return row


def rotate_webhook_secret(survey: Survey) -> str:
    """A new secret for the KoboToolbox REST service; shown once, stored as a hash."""
    secret = secrets.token_urlsafe(24)
    survey.webhook_secret_hash = secret_digest(secret)
    audit.annotate(db.session, survey, "rotate_webhook_secret")
    db.session.flush()
    return secret


def webhook_secret_matches(survey: Survey, secret: str | None) -> bool:
    expected = survey.webhook_secret_hash or ""
    given = secret_digest(secret or "")
    # compare_digest runs in constant time; an unset secret never matches.
    return bool(expected) and bool(secret) and hmac.compare_digest(expected, given)


def survey_by_code(code: str) -> Survey | None:
    return db.session.scalar(select(Survey).where(func.upper(Survey.code) == code.upper()))
