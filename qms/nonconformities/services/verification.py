"""Verifying the effectiveness of the actions [10.2.1 d)] and the signed closing."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l

from qms.auth.models import User
from qms.auth.services import verify_signature
from qms.core import audit
from qms.core.db import now_utc
from qms.core.errors import PermissionDenied, TransitionError, ValidationError, check_version
from qms.core.settings import get_setting, register_setting
from qms.core.time import today_local
from qms.extensions import db
from qms.nonconformities.enums import VerificationResult
from qms.nonconformities.models import EffectivenessVerification, Nonconformity
from qms.nonconformities.services.actions import _open_actions_error
from qms.nonconformities.services.rules import (
    CLOSE_MEANING,
    NC_FLOW,
    REOPEN_NOTE,
    S,
    _check_person,
    _current_analysis,
    _enum,
    _text,
    _touch,
)

#: Small teams may let one person verify (or own the last action) and sign the closure;
#: the closure then says so in its signed meaning.
ALLOW_SELF_CLOSE = register_setting(
    "nonconformities.allow_self_close", False,
    _l("Permitir que quien verificó la eficacia o realizó la última acción firme el cierre"),
    kind=bool,
    help=_l("Solo para equipos pequeños. El cierre dejará constancia de que no hubo "
            "separación de funciones."))

SELF_CLOSE_NOTE = ("Sin separación de funciones: quien firma el cierre también verificó la "
                   "eficacia o realizó la última acción (permitido por la configuración).")

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
                        actor: User, confirm_early: bool = False,
                        early_reason: str | None = None) -> EffectivenessVerification:
    """Record the result once, by the assigned verifier only: whoever records is whoever
    the record names. A result before the planned date needs a confirmation and a reason
    (kept in the audit trail). "Not effective" sends the NC back to analysis (new round)."""
    check_version(nc, expected_version)
    verification = nc.pending_verification
    if nc.status != S.VERIFICATION or verification is None:
        raise TransitionError(_l("No hay una verificación de eficacia pendiente."))
    if verification.verifier_id != actor.id:
        raise PermissionDenied(_l(
            "Solo el verificador asignado (%(name)s) puede registrar el resultado. Un "
            "responsable de calidad puede reasignar la verificación, indicando el motivo.",
            name=verification.verifier.full_name))
    result = _enum(VerificationResult, result, "result")
    evidence = _text(evidence, "evidence", _l("Describa la evidencia de la verificación."))
    note = None
    if today_local() < verification.planned_on:
        reason = (early_reason or "").strip()
        if not confirm_early or not reason:
            raise ValidationError(_l(
                "La verificación estaba prevista para el %(d)s. Para registrarla antes, "
                "confirme y explique el motivo.", d=verification.planned_on.isoformat()),
                field="early_reason")
        note = f"Registrada antes de la fecha prevista ({verification.planned_on}): {reason}"
    verification.evidence = evidence
    verification.result = result
    verification.verified_at = now_utc()
    verification.recorded_by = actor
    audit.annotate(db.session, verification, f"result:{result.value}", note)
    if result == VerificationResult.NOT_EFFECTIVE:
        nc.analysis_round += 1
        NC_FLOW.move(nc, S.ANALYSIS, REOPEN_NOTE)
        _current_analysis(nc)
    else:
        _touch(nc)
    db.session.flush()
    return verification


def reassign_verifier(nc: Nonconformity, *, expected_version: int | None,
                      verifier: User | None, reason: str, actor: User
                      ) -> EffectivenessVerification:
    """Hand the pending verification to someone else, with a reason in the audit trail."""
    check_version(nc, expected_version)
    verification = nc.pending_verification
    if nc.status != S.VERIFICATION or verification is None:
        raise TransitionError(_l("No hay una verificación de eficacia pendiente."))
    reason = _text(reason, "reason", _l("Indique el motivo de la reasignación."))
    verifier = _check_person(verifier, "verifier_id", _l("Elija un verificador activo."))
    if verifier.id == nc.process.owner_id:
        raise ValidationError(_l("El dueño del proceso no puede verificar la eficacia de sus "
                                 "propias acciones."), field="verifier_id")
    if verifier.id == verification.verifier_id:
        raise ValidationError(_l("Esa persona ya es el verificador asignado."),
                              field="verifier_id")
    previous = verification.verifier.full_name
    verification.verifier = verifier
    audit.annotate(db.session, verification, "reassign_verifier",
                   f"{previous} → {verifier.full_name} ({actor.full_name}): {reason}")
    _touch(nc)
    db.session.flush()
    return verification


def _closing_conflict(nc: Nonconformity, actor: User) -> bool:
    """Did ``actor`` verify the effectiveness, or own the last action finished?"""
    done = [v for v in nc.verifications if v.result is not None]
    if done and actor.id in (done[-1].recorded_by_id, done[-1].verifier_id):
        return True
    finished = [a for a in nc.actions if a.completed_at is not None]
    if finished:
        last = max(finished, key=lambda a: (a.completed_at, a.id))
        if last.owner_id == actor.id:
            return True
    return False


def close_nonconformity(nc: Nonconformity, *, expected_version: int | None, actor: User,
                        password: str) -> Nonconformity:
    """verification → closed, signed: password re-entered; signer, time and meaning kept."""
    check_version(nc, expected_version)
    _open_actions_error(nc, _l("No se puede cerrar con acciones abiertas."))
    NC_FLOW.check(nc, S.CLOSED)
    if nc.last_result != VerificationResult.EFFECTIVE:
        raise TransitionError(_l("El cierre requiere una verificación de eficacia con "
                                 "resultado «eficaz»."))
    self_close = _closing_conflict(nc, actor)
    if self_close and not get_setting(ALLOW_SELF_CLOSE.key):
        raise PermissionDenied(_l(
            "Separación de funciones: quien verificó la eficacia o realizó la última acción "
            "no puede firmar el cierre. Debe firmarlo otro responsable de calidad."))
    verify_signature(actor, password or "")
    meaning = f"{CLOSE_MEANING} {SELF_CLOSE_NOTE}" if self_close else CLOSE_MEANING
    nc.closed_at = now_utc()
    nc.closed_by = actor
    nc.close_meaning = meaning
    NC_FLOW.move(nc, S.CLOSED, f"Firma electrónica de {actor.full_name} ({actor.username}): "
                               f"{meaning}")
    return nc
