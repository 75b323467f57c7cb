"""Nonconformities: reporting, the workflow and its guards, actions, verification, closing.

Other domains raise NCs through :func:`report_nonconformity` (stable signature), e.g.
the survey domain for a low score (``origin_type="survey_wave"``) and the audit domain
for a finding (``origin_type="audit_finding"``). Services flush, never commit.
"""

from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, select, update

from qms.auth.models import Role, User
from qms.auth.services import verify_signature
from qms.core import audit, geo
from qms.core.db import now_utc
from qms.core.errors import PermissionDenied, TransitionError, ValidationError, check_version
from qms.core.storage import store
from qms.core.time import today_local
from qms.core.workflow import Workflow
from qms.extensions import db
from qms.nonconformities.models import (
    ActionStatus,
    CorrectiveAction,
    EffectivenessVerification,
    IshikawaCategory,
    NCAnalysis,
    NCAttachment,
    NCSeverity,
    NCSource,
    NCStatus,
    NCYearCounter,
    Nonconformity,
    VerificationResult,
)
from qms.processes.models import Process

S = NCStatus
NC_FLOW = Workflow("status", {
    S.REPORTED: {S.ANALYSIS, S.CANCELLED},
    S.ANALYSIS: {S.ACTION_PLAN, S.CANCELLED},
    S.ACTION_PLAN: {S.IMPLEMENTATION, S.ANALYSIS, S.CANCELLED},
    S.IMPLEMENTATION: {S.VERIFICATION, S.CANCELLED},
    # Back to analysis only through a "not effective" result (record_verification).
    S.VERIFICATION: {S.CLOSED, S.ANALYSIS, S.CANCELLED},
    S.CLOSED: set(),
    S.CANCELLED: set(),
})
ACTION_FLOW = Workflow("status", {
    ActionStatus.PLANNED: {ActionStatus.IN_PROGRESS},
    ActionStatus.IN_PROGRESS: {ActionStatus.DONE},
    ActionStatus.DONE: set(),
})
#: States in which the description, place and correction may still be edited.
EDITABLE = frozenset({S.REPORTED, S.ANALYSIS})
#: States in which actions may be added and worked on.
ACTION_STATES = frozenset({S.ACTION_PLAN, S.IMPLEMENTATION})
ORIGIN_TYPE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
MAX_WHYS = 10
#: What the closing signature means. Stored with the signature exactly as shown to the
#: signer, so it is record content in the SGC's language, not a translated UI string.
CLOSE_MEANING = ("Cierro esta no conformidad: las acciones correctivas se implementaron y su "
                 "eficacia fue verificada.")
#: Audit-trail note of a "not effective" result (record content, in Spanish).
REOPEN_NOTE = "Verificación no eficaz: nuevo análisis de causas."


# ------------------------------------------------------------------- code numbers


def format_code(year: int, number: int) -> str:
    return f"NC-{year}-{number:03d}"


def _next_number(year: int) -> int:
    """Take the next number of ``year`` inside the current transaction.

    PostgreSQL: the counter row is locked with SELECT … FOR UPDATE, so concurrent
    creators queue on it until this transaction ends. SQLite: the UPDATE comes first so
    the database write lock is held before the value is read. A rollback returns the
    number, so codes stay gapless.
    """
    session = db.session
    table = NCYearCounter.__table__
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        session.execute(pg_insert(table).values(year=year, last_number=0)
                        .on_conflict_do_nothing(index_elements=["year"]))
        current = session.execute(select(table.c.last_number).where(table.c.year == year)
                                  .with_for_update()).scalar_one()
        session.execute(update(table).where(table.c.year == year)
                        .values(last_number=current + 1))
        return current + 1
    changed = session.execute(update(table).where(table.c.year == year)
                              .values(last_number=table.c.last_number + 1))
    if changed.rowcount == 0:
        session.execute(insert(table).values(year=year, last_number=1))
        return 1
    return session.execute(select(table.c.last_number).where(table.c.year == year)).scalar_one()


# ------------------------------------------------------------------------ checks


def _text(value: str | None, field: str, message, max_len: int | None = None) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(message, field=field)
    if max_len and len(value) > max_len:
        raise ValidationError(_l("Máximo %(n)s caracteres.", n=max_len), field=field)
    return value


def _enum(enum_cls, value, field: str):
    try:
        return enum_cls(value)
    except ValueError:
        raise ValidationError(_l("Valor no válido."), field=field) from None


def _check_process(process: Process | None) -> Process:
    if process is None or not process.active:
        raise ValidationError(_l("Elija un proceso vigente."), field="process_id")
    return process


def _check_detected_on(detected_on: date | None) -> date:
    if not isinstance(detected_on, date):
        raise ValidationError(_l("Indique la fecha de detección."), field="detected_on")
    if detected_on > today_local():
        raise ValidationError(_l("La fecha de detección no puede ser futura."),
                              field="detected_on")
    return detected_on


def _check_person(user: User | None, field: str, message) -> User:
    if user is None or not user.is_active or user.role == Role.CERTIFIER:
        raise ValidationError(message, field=field)
    return user


def check_place(department_code: str | None,
                municipality_code: str | None) -> tuple[str | None, str | None]:
    """Validate Honduran codes; the municipality must belong to the department."""
    dep = geo.department(department_code) if department_code else None
    if department_code and dep is None:
        raise ValidationError(_l("Código de departamento desconocido."), field="department_code")
    if not municipality_code:
        return (dep.code if dep else None), None
    mun = geo.municipality(municipality_code)
    if mun is None:
        raise ValidationError(_l("Código de municipio desconocido."), field="municipality_code")
    if dep is not None and mun.department_code != dep.code:
        raise ValidationError(
            _l("El municipio %(m)s no pertenece al departamento %(d)s.", m=mun.name, d=dep.name),
            field="municipality_code")
    return mun.department_code, mun.code


def _check_origin(origin_type, origin_id, origin_label) -> tuple:
    origin_type = (origin_type or "").strip() or None
    origin_id = str(origin_id).strip() if origin_id not in (None, "") else None
    origin_label = (origin_label or "").strip() or None
    if origin_type is None and (origin_id or origin_label):
        raise ValidationError(_l("Indique el tipo de origen."), field="origin_type")
    if origin_type is not None and not ORIGIN_TYPE.match(origin_type):
        raise ValidationError(_l("Tipo de origen no válido."), field="origin_type")
    if origin_id and len(origin_id) > 60:
        raise ValidationError(_l("Máximo %(n)s caracteres.", n=60), field="origin_id")
    return origin_type, origin_id, (origin_label or "")[:200] or None


def _touch(nc: Nonconformity) -> None:
    """Bump the NC's version when a part of it changes, so a stale form is refused."""
    nc.updated_at = now_utc()


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
    year's counter, so codes stay gapless and unique whatever the concurrency; on SQLite
    a request that creates NCs should commit through
    :func:`qms.nonconformities.transactions.commit_creation`, which takes the write lock
    up front instead of failing on a stale read snapshot.
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
) -> Nonconformity:
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


def _current_analysis(nc: Nonconformity) -> NCAnalysis:
    analysis = nc.current_analysis
    if analysis is None:
        previous = nc.analyses[-1] if nc.analyses else None
        analysis = NCAnalysis(nc=nc, round=nc.analysis_round,
                              whys=list(previous.whys) if previous else [],
                              ishikawa=dict(previous.ishikawa) if previous else {})
        db.session.add(analysis)
    return analysis


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


# ----------------------------------------------------------------------- actions


def _check_due(nc: Nonconformity, due_on: date | None) -> date:
    if not isinstance(due_on, date):
        raise ValidationError(_l("Indique la fecha límite."), field="due_on")
    if due_on < nc.detected_on:
        raise ValidationError(
            _l("La fecha límite no puede ser anterior a la fecha de detección (%(d)s).",
               d=nc.detected_on.strftime("%d/%m/%Y")), field="due_on")
    return due_on


def add_action(nc: Nonconformity, *, expected_version: int | None, description: str,
               owner: User | None, due_on: date | None) -> CorrectiveAction:
    check_version(nc, expected_version)
    if nc.status not in ACTION_STATES:
        raise TransitionError(_l("Las acciones correctivas se planifican después del análisis "
                                 "de causas, en el plan de acción o la implementación."))
    action = CorrectiveAction(
        nc=nc, number=max((a.number for a in nc.actions), default=0) + 1,
        round=nc.analysis_round, status=ActionStatus.PLANNED,
        description=_text(description, "description", _l("Describa la acción correctiva.")),
        owner=_check_person(owner, "owner_id", _l("Elija un responsable activo.")),
        due_on=_check_due(nc, due_on))
    db.session.add(action)
    _touch(nc)
    db.session.flush()
    return action


def update_action(action: CorrectiveAction, *, expected_version: int | None,
                  status: ActionStatus | str | None = None,
                  evidence: str | None = None) -> CorrectiveAction:
    """Move an action planned → in_progress → done; done needs its evidence."""
    check_version(action, expected_version)
    nc = action.nc
    if nc.status not in ACTION_STATES:
        raise TransitionError(_l("La no conformidad no está en plan de acción ni en "
                                 "implementación."))
    if evidence is not None and action.status != ActionStatus.DONE:
        action.evidence = evidence.strip() or None
    target = _enum(ActionStatus, status, "status") if status else None
    if target is not None and target != action.status:
        ACTION_FLOW.check(action, target)
        if target == ActionStatus.DONE:
            if nc.status != S.IMPLEMENTATION:
                raise TransitionError(_l("Inicie la implementación antes de dar acciones por "
                                         "realizadas."))
            if not action.evidence and not action.attachments:
                raise ValidationError(_l("Describa la evidencia de lo realizado (y adjunte "
                                         "archivos si los hay)."), field="evidence")
            action.completed_at = now_utc()
        if target == ActionStatus.IN_PROGRESS:
            action.started_on = today_local()
        ACTION_FLOW.move(action, target)
    _touch(nc)
    db.session.flush()
    return action


def start_implementation(nc: Nonconformity, *, expected_version: int | None) -> Nonconformity:
    check_version(nc, expected_version)
    NC_FLOW.check(nc, S.IMPLEMENTATION)
    if not nc.current_actions:
        raise TransitionError(_l("Planifique al menos una acción correctiva."))
    NC_FLOW.move(nc, S.IMPLEMENTATION)
    return nc


def _open_actions_error(nc: Nonconformity, message) -> None:
    if nc.open_actions:
        raise TransitionError(_l("%(msg)s Acciones abiertas: %(list)s.", msg=message,
                                 list=", ".join(a.label for a in nc.open_actions)))


# ------------------------------------------------------------------ verification


def send_to_verification(nc: Nonconformity, *, expected_version: int | None,
                         planned_on: date | None, verifier: User | None
                         ) -> EffectivenessVerification:
    """implementation → verification: every action done; plans the effectiveness check."""
    check_version(nc, expected_version)
    _open_actions_error(nc, _l("Todas las acciones deben estar realizadas."))
    NC_FLOW.check(nc, S.VERIFICATION)
    if not isinstance(planned_on, date):
        raise ValidationError(_l("Indique la fecha prevista de la verificación."),
                              field="planned_on")
    if planned_on < nc.detected_on:
        raise ValidationError(_l("La verificación no puede ser anterior a la detección."),
                              field="planned_on")
    verifier = _check_person(verifier, "verifier_id", _l("Elija un verificador activo."))
    if verifier.id == nc.process.owner_id:
        raise ValidationError(_l("El dueño del proceso no puede verificar la eficacia de sus "
                                 "propias acciones."), field="verifier_id")
    verification = EffectivenessVerification(nc=nc, round=nc.analysis_round,
                                              planned_on=planned_on, verifier=verifier)
    db.session.add(verification)
    NC_FLOW.move(nc, S.VERIFICATION)
    return verification


def record_verification(nc: Nonconformity, *, expected_version: int | None,
                        result: VerificationResult | str, evidence: str,
                        actor: User) -> EffectivenessVerification:
    """Record the result once. "Not effective" sends the NC back to analysis (new round)."""
    check_version(nc, expected_version)
    verification = nc.pending_verification
    if nc.status != S.VERIFICATION or verification is None:
        raise TransitionError(_l("No hay una verificación de eficacia pendiente."))
    result = _enum(VerificationResult, result, "result")
    verification.evidence = _text(evidence, "evidence",
                                  _l("Describa la evidencia de la verificación."))
    verification.result = result
    verification.verified_at = now_utc()
    verification.recorded_by = actor
    audit.annotate(db.session, verification, f"result:{result.value}")
    if result == VerificationResult.NOT_EFFECTIVE:
        nc.analysis_round += 1
        NC_FLOW.move(nc, S.ANALYSIS, REOPEN_NOTE)
        _current_analysis(nc)
    else:
        _touch(nc)
    db.session.flush()
    return verification


def close_nonconformity(nc: Nonconformity, *, expected_version: int | None, actor: User,
                        password: str) -> Nonconformity:
    """verification → closed, signed: password re-entered; signer, time and meaning kept."""
    check_version(nc, expected_version)
    _open_actions_error(nc, _l("No se puede cerrar con acciones abiertas."))
    NC_FLOW.check(nc, S.CLOSED)
    if nc.last_result != VerificationResult.EFFECTIVE:
        raise TransitionError(_l("El cierre requiere una verificación de eficacia con "
                                 "resultado «eficaz»."))
    verify_signature(actor, password or "")
    nc.closed_at = now_utc()
    nc.closed_by = actor
    nc.close_meaning = CLOSE_MEANING
    NC_FLOW.move(nc, S.CLOSED, f"Firma electrónica de {actor.full_name} ({actor.username}): "
                               f"{CLOSE_MEANING}")
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


# -------------------------------------------------------------------- candidates


def people() -> list[User]:
    """Users who may be named as detector, action owner or verifier."""
    return list(db.session.scalars(
        select(User).where(User.active.is_(True), User.role != Role.CERTIFIER)
        .order_by(User.full_name)))


def count_open() -> int:
    return db.session.scalar(select(func.count(Nonconformity.id)).where(
        Nonconformity.status.in_([s.value for s in S if s not in (S.CLOSED, S.CANCELLED)])))
