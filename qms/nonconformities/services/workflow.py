"""Reporting a nonconformity, its root-cause analysis, cancelling, and the one
:func:`transition` entry point that dispatches a target state to its guarded step."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from qms.auth.models import User
from qms.core import audit
from qms.core.db import upsert_statement
from qms.core.errors import PermissionDenied, TransitionError, ValidationError, check_version
from qms.core.storage import store
from qms.core.time import today_local
from qms.extensions import db
from qms.nonconformities.enums import (
    ActionStatus,
    IshikawaCategory,
    NCSeverity,
    NCSource,
    NCStatus,
)
from qms.nonconformities.models import (
    CorrectiveAction,
    EffectivenessVerification,
    NCAnalysis,
    NCAttachment,
    NCYearCounter,
    Nonconformity,
)
from qms.nonconformities.services.actions import start_implementation
from qms.nonconformities.services.rules import (
    EDITABLE,
    MAX_REASON,
    MAX_WHYS,
    NC_FLOW,
    S,
    _check_detected_on,
    _check_origin,
    _check_person,
    _check_process,
    _current_analysis,
    _enum,
    _text,
    _touch,
    check_place,
)
from qms.nonconformities.services.verification import close_nonconformity, send_to_verification
from qms.processes.models import Process

# ------------------------------------------------------------------- code numbers


def format_code(year: int, number: int) -> str:
    return f"NC-{year}-{number:03d}"


def _next_number(year: int) -> int:
    """Take the next number of ``year`` inside the current transaction.

    One ``INSERT … ON CONFLICT (year) DO UPDATE SET last_number = last_number + 1
    RETURNING last_number``: on PostgreSQL the counter row stays locked until this
    transaction ends, so concurrent creators queue on it; on SQLite the statement is a
    write, so the database write lock is held before the value is read. A rollback
    returns the number, so codes stay gapless.
    """
    table = NCYearCounter.__table__
    statement = upsert_statement(table, ["year"], add=["last_number"])
    return db.session.execute(statement.values(year=year, last_number=1)
                              .returning(table.c.last_number)).scalar_one()


# ------------------------------------------------------------------------ report


def report_nonconformity(
    *, title: str, description: str, source: NCSource | str, process: Process | None,
    severity: NCSeverity | str, detected_on: date, detected_by: User | None,
    department_code: str | None = None, municipality_code: str | None = None,
    origin_type: str | None = None, origin_id: str | int | None = None,
    origin_label: str | None = None,
) -> Nonconformity:
    """Register a new NC in ``reported`` with the next code of the year.

    Stable entry point for other domains. Raises :class:`ValidationError` naming the
    field; flushes, the caller commits. The number is taken under a row lock of the
    year's counter, so codes stay gapless and unique whatever the concurrency; a request
    that creates NCs runs this inside :func:`qms.core.uow.write_first`, which takes the
    write lock up front (SQLite) instead of failing on a stale read snapshot.
    """
    title = _text(title, "title", _l("Indique un título."), 200)
    description = _text(description, "description", _l("Describa la no conformidad."))
    source = _enum(NCSource, source, "source")
    severity = _enum(NCSeverity, severity, "severity")
    process = _check_process(process)
    detected_on = _check_detected_on(detected_on)
    detected_by = _check_person(detected_by, "detected_by_id",
                                _l("Indique quién detectó la no conformidad."))
    department_code, municipality_code = check_place(department_code, municipality_code)
    origin_type, origin_id, origin_label = _check_origin(origin_type, origin_id, origin_label)
    year = today_local().year
    number = _next_number(year)
    nc = Nonconformity(
        code=format_code(year, number), year=year, number=number, title=title,
        description=description, source=source, process=process, severity=severity,
        status=S.REPORTED, detected_on=detected_on, detected_by=detected_by,
        reported_by_id=audit.current_actor().id, department_code=department_code,
        municipality_code=municipality_code, origin_type=origin_type, origin_id=origin_id,
        origin_label=origin_label, analysis_round=1,
        # A new NC has none of these yet: say so, so reading them costs no query.
        analyses=[], actions=[], verifications=[], attachments=[],
    )
    db.session.add(nc)
    audit.annotate(db.session, nc, "report")
    db.session.flush()
    return nc


def update_nonconformity(
    nc: Nonconformity, *, expected_version: int | None, title: str, description: str,
    source: NCSource | str, process: Process | None, severity: NCSeverity | str,
    detected_on: date, department_code: str | None = None, municipality_code: str | None = None,
    severity_reason: str | None = None,
) -> Nonconformity:
    """Edit the data of an NC before its action plan. A change of severity needs a reason
    (``severity_reason``), written into the audit-trail event of the change."""
    check_version(nc, expected_version)
    if nc.status not in EDITABLE:
        raise TransitionError(_l("Los datos de la no conformidad solo se pueden modificar "
                                 "antes de definir el plan de acción."))
    detected_on = _check_detected_on(detected_on)
    if detected_on > min((a.due_on for a in nc.actions), default=detected_on):
        raise ValidationError(_l("Hay acciones con fecha límite anterior a esa fecha."),
                              field="detected_on")
    nc.title = _text(title, "title", _l("Indique un título."), 200)
    nc.description = _text(description, "description", _l("Describa la no conformidad."))
    source, severity = _enum(NCSource, source, "source"), _enum(NCSeverity, severity, "severity")
    if (source, severity) != (nc.source, nc.severity):
        _check_settle(nc)
    if severity != nc.severity:
        reason = _text(severity_reason, "severity_reason",
                       _l("Indique el motivo del cambio de severidad."), MAX_REASON)
        audit.annotate(db.session, nc, "severity", reason)
    nc.source = source
    nc.severity = severity
    nc.process = _check_process(process)
    nc.detected_on = detected_on
    nc.department_code, nc.municipality_code = check_place(department_code, municipality_code)
    db.session.flush()
    return nc


def record_correction(nc: Nonconformity, *, expected_version: int | None, correction: str,
                      correction_on: date | None = None) -> Nonconformity:
    """Correction / containment [10.2.1 a)]: required before the analysis starts."""
    check_version(nc, expected_version)
    if nc.status not in EDITABLE:
        raise TransitionError(_l("La corrección se registra antes del plan de acción."))
    nc.correction = _text(correction, "correction",
                          _l("Describa la corrección o contención aplicada."))
    correction_on = correction_on or today_local()
    if correction_on < nc.detected_on or correction_on > today_local():
        raise ValidationError(_l("La fecha de la corrección debe estar entre la detección y hoy."),
                              field="correction_on")
    nc.correction_on = correction_on
    audit.annotate(db.session, nc, "correction")
    db.session.flush()
    return nc
# ---------------------------------------------------------------------- analysis


def start_analysis(nc: Nonconformity, *, expected_version: int | None) -> Nonconformity:
    check_version(nc, expected_version)
    NC_FLOW.check(nc, S.ANALYSIS)
    if nc.status == S.REPORTED and not nc.correction:
        raise TransitionError(_l("Registre primero la corrección o contención."))
    NC_FLOW.move(nc, S.ANALYSIS)
    _current_analysis(nc)
    db.session.flush()
    return nc


def clean_whys(whys: list[str] | None) -> list[str]:
    items = [(w or "").strip() for w in (whys or [])]
    while items and not items[-1]:
        items.pop()
    if any(not w for w in items):
        raise ValidationError(_l("La cadena de porqués no puede tener huecos: complete cada "
                                 "«¿por qué?» en orden."), field="whys")
    if len(items) > MAX_WHYS:
        raise ValidationError(_l("Máximo %(n)s porqués.", n=MAX_WHYS), field="whys")
    return items


def clean_ishikawa(ishikawa: dict | None) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for key, causes in (ishikawa or {}).items():
        category = _enum(IshikawaCategory, key, "ishikawa")
        if isinstance(causes, str):
            causes = causes.splitlines()
        items = [c.strip() for c in causes or [] if c and c.strip()]
        if items:
            result[category.value] = items
    return {c.value: result[c.value] for c in IshikawaCategory if c.value in result}


def save_analysis(nc: Nonconformity, *, expected_version: int | None, whys: list[str] | None,
                  ishikawa: dict | None, root_cause: str | None) -> NCAnalysis:
    """Save the 5 whys, the Ishikawa 6M and the stated root cause of the current round."""
    check_version(nc, expected_version)
    if nc.status != S.ANALYSIS:
        raise TransitionError(_l("El análisis de causas solo se edita en la etapa de análisis."))
    analysis = _current_analysis(nc)
    analysis.whys = clean_whys(whys)
    analysis.ishikawa = clean_ishikawa(ishikawa)
    analysis.root_cause = (root_cause or "").strip() or None
    _touch(nc)
    db.session.flush()
    return analysis


def submit_analysis(nc: Nonconformity, *, expected_version: int | None) -> Nonconformity:
    """analysis → action_plan: a stated root cause is required."""
    check_version(nc, expected_version)
    NC_FLOW.check(nc, S.ACTION_PLAN)
    analysis = nc.current_analysis
    if analysis is None or not (analysis.root_cause or "").strip():
        raise ValidationError(_l("Indique la causa raíz antes de pasar al plan de acción."),
                              field="root_cause")
    if not analysis.whys and not analysis.ishikawa:
        raise ValidationError(_l("Documente el análisis (5 porqués o Ishikawa) que sustenta "
                                 "la causa raíz."), field="whys")
    NC_FLOW.move(nc, S.ACTION_PLAN)
    return nc


def reopen_analysis(nc: Nonconformity, *, expected_version: int | None,
                    note: str | None = None) -> Nonconformity:
    """action_plan → analysis, before any work started (the analysis needs more work)."""
    check_version(nc, expected_version)
    if nc.status == S.VERIFICATION:
        raise TransitionError(_l("Para volver al análisis registre un resultado «no eficaz» "
                                 "de la verificación."))
    NC_FLOW.move(nc, S.ANALYSIS, note)
    return nc


def _check_settle(nc: Nonconformity) -> None:
    """An NC from an audit, a complaint or a survey is answered by its process owner;
    its severity, its origin and its cancellation belong to the quality officer."""
    from flask import has_request_context
    from flask_login import current_user

    from qms.core.permissions import can

    if has_request_context() and current_user.is_authenticated \
            and not can(current_user, "nc.settle", nc):
        raise PermissionDenied(_l("Solo el responsable de calidad puede cambiar la severidad "
                                  "o el origen de esta no conformidad, o anularla: la "
                                  "detectó alguien ajeno al proceso."))


def cancel_nonconformity(nc: Nonconformity, *, expected_version: int | None,
                         reason: str) -> Nonconformity:
    check_version(nc, expected_version)
    _check_settle(nc)
    NC_FLOW.check(nc, S.CANCELLED)
    nc.cancel_reason = _text(reason, "reason", _l("Indique el motivo de la anulación."))
    NC_FLOW.move(nc, S.CANCELLED, nc.cancel_reason)
    return nc


def transition(nc: Nonconformity, target: NCStatus | str, *, expected_version: int | None,
               actor: User, reason: str | None = None, planned_on: date | None = None,
               verifier: User | None = None, password: str | None = None) -> Nonconformity:
    """One entry point for the API: dispatch to the guarded service of ``target``."""
    target = _enum(NCStatus, target, "target")
    if target == S.ANALYSIS:
        if nc.status == S.REPORTED:
            return start_analysis(nc, expected_version=expected_version)
        return reopen_analysis(nc, expected_version=expected_version, note=reason)
    if target == S.ACTION_PLAN:
        return submit_analysis(nc, expected_version=expected_version)
    if target == S.IMPLEMENTATION:
        return start_implementation(nc, expected_version=expected_version)
    if target == S.VERIFICATION:
        send_to_verification(nc, expected_version=expected_version, planned_on=planned_on,
                             verifier=verifier)
        return nc
    if target == S.CLOSED:
        return close_nonconformity(nc, expected_version=expected_version, actor=actor,
                                   password=password or "")
    if target == S.CANCELLED:
        return cancel_nonconformity(nc, expected_version=expected_version, reason=reason or "")
    NC_FLOW.check(nc, target)  # reported: never a target
    return nc


# ------------------------------------------------------------------- attachments


def attach_file(nc: Nonconformity, stream, filename: str, *, uploader: User,
                action: CorrectiveAction | None = None,
                verification: EffectivenessVerification | None = None) -> NCAttachment:
    if not nc.is_open:
        raise TransitionError(_l("La no conformidad está cerrada o anulada: no admite archivos."))
    if action is not None and action.nc_id != nc.id:
        raise ValidationError(_l("La acción no pertenece a esta no conformidad."),
                              field="action_id")
    if action is not None and action.status == ActionStatus.DONE:
        raise TransitionError(_l("La acción ya está realizada: su evidencia no cambia."))
    stored = store(stream, filename)
    attachment = NCAttachment(nc=nc, action=action, verification=verification, stored=stored,
                              uploaded_by=uploader)
    db.session.add(attachment)
    db.session.flush()
    return attachment


def count_open() -> int:
    return db.session.scalar(select(func.count(Nonconformity.id)).where(
        Nonconformity.status.in_([s.value for s in S if s not in (S.CLOSED, S.CANCELLED)])))
