"""Verifying the effectiveness of the actions [10.2.1 d)] and the signed closing."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l

from qms.auth.models import User
from qms.auth.services import verify_signature
from qms.core import audit
from qms.core.db import now_utc
from qms.core.errors import TransitionError, ValidationError, check_version
from qms.extensions import db
from qms.nonconformities.models import EffectivenessVerification, Nonconformity, VerificationResult
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
