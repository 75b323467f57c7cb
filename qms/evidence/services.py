"""Requesting packs, sharing them with certifiers, widening and revoking the share.

Services only flush; the request, command or job around them commits. Sharing, widening
and revoking are audit-trail events of :class:`PackShare` (``share``, ``widen``,
``revoke``), written by the ``Audited`` mixin at flush.
"""

from __future__ import annotations

import secrets
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from qms.core import audit
from qms.core.db import now_utc
from qms.core.errors import TransitionError, ValidationError, check_version
from qms.core.roles import Role
from qms.core.time import today_local
from qms.core.uow import after_commit
from qms.evidence.models import EvidencePack, PackShare, PackStatus
from qms.extensions import db

#: The longest audit window a share may have.
MAX_WINDOW_DAYS = 120


def request_pack(*, user, start: date, end: date, process_codes: list[str],
                 clauses: list[str], attach_files: bool, as_zip: bool) -> EvidencePack:
    """Queue a pack; its generation starts once this transaction is committed."""
    from qms.evidence import jobs
    from qms.evidence.pack import scope_for

    scope = scope_for(start, end, process_codes, clauses)
    pack = EvidencePack(pack_uid=secrets.token_hex(16), period_start=start, period_end=end,
                        process_codes=list(scope.process_codes), clauses=list(scope.clauses),
                        attach_files=bool(attach_files), as_zip=bool(as_zip),
                        status=PackStatus.QUEUED, requested_by_id=user.id,
                        stage=str(_l("En cola")))
    db.session.add(pack)
    db.session.flush()
    pack_id = pack.id
    after_commit(lambda: jobs.start(pack_id))
    return pack


def _check_window(starts_on: date | None, ends_on: date | None) -> None:
    if starts_on is None:
        raise ValidationError(_l("Indique el inicio de la ventana de auditoría."),
                              field="starts_on")
    if ends_on is None:
        raise ValidationError(_l("Indique el fin de la ventana de auditoría."), field="ends_on")
    if ends_on < starts_on:
        raise ValidationError(_l("El fin de la ventana es anterior a su inicio."),
                              field="ends_on")
    if (ends_on - starts_on).days > MAX_WINDOW_DAYS:
        raise ValidationError(_l("La ventana de auditoría no puede superar %(n)s días.",
                                 n=MAX_WINDOW_DAYS), field="ends_on")
    if ends_on < today_local():
        raise ValidationError(_l("La ventana de auditoría ya terminó."), field="ends_on")


def _check_processes(codes: list[str]) -> list[str]:
    from qms.processes.facts import active_processes

    known = {p.code for p in active_processes()}
    picked = sorted({c for c in codes if c})
    if not picked:
        raise ValidationError(_l("Elija al menos un proceso del alcance."),
                              field="process_codes")
    unknown = [c for c in picked if c not in known]
    if unknown:
        raise ValidationError(_l("Proceso desconocido: %(c)s.", c=", ".join(unknown)),
                              field="process_codes")
    return picked


def share_pack(pack: EvidencePack, *, certifier, starts_on: date | None, ends_on: date | None,
               process_codes: list[str]) -> PackShare:
    """Share a ready pack with a certifier for an audit window, over some processes."""
    if not pack.is_ready:
        raise TransitionError(_l("Solo se comparte un paquete listo."))
    if certifier is None or certifier.role != Role.CERTIFIER or not certifier.is_active:
        raise ValidationError(_l("Elija una cuenta de auditor externo vigente."),
                              field="certifier_id")
    _check_window(starts_on, ends_on)
    if certifier.access_expires_on is not None and ends_on > certifier.access_expires_on:
        raise ValidationError(_l("La cuenta del auditor externo vence el %(d)s, antes del fin "
                                 "de la ventana.", d=certifier.access_expires_on.isoformat()),
                              field="ends_on")
    codes = _check_processes(process_codes)
    if pack.process_codes:
        outside = [c for c in codes if c not in pack.process_codes]
        if outside:
            raise ValidationError(_l("El paquete no cubre los procesos %(c)s.",
                                     c=", ".join(outside)), field="process_codes")
    duplicate = db.session.scalar(select(PackShare.id).where(
        PackShare.pack_id == pack.id, PackShare.certifier_id == certifier.id,
        PackShare.revoked_at.is_(None)))
    if duplicate:
        raise ValidationError(_l("El paquete ya está compartido con esta persona: amplíe o "
                                 "revoque ese acceso."), field="certifier_id")
    share = PackShare(pack_id=pack.id, certifier_id=certifier.id, starts_on=starts_on,
                      ends_on=ends_on, process_codes=codes,
                      created_by_id=audit.current_actor().id)
    db.session.add(share)
    audit.annotate(db.session, share, "share",
                   f"{certifier.full_name} ({certifier.username}) · {starts_on} – {ends_on} · "
                   f"{', '.join(codes)}")
    db.session.flush()
    return share


def widen_share(share: PackShare, *, expected_version: int | None, ends_on: date | None,
                add_process_codes: list[str]) -> PackShare:
    """Add processes to the share and/or move its end later (never narrower: revoke)."""
    check_version(share, expected_version)
    if share.revoked_at is not None:
        raise TransitionError(_l("Este acceso está revocado."))
    new_end = ends_on or share.ends_on
    if new_end < share.ends_on:
        raise ValidationError(_l("Para acortar la ventana revoque el acceso y compártalo de "
                                 "nuevo."), field="ends_on")
    _check_window(share.starts_on, new_end)
    codes = _check_processes([*share.process_codes, *add_process_codes])
    pack = share.pack
    if pack.process_codes:
        outside = [c for c in codes if c not in pack.process_codes]
        if outside:
            raise ValidationError(_l("El paquete no cubre los procesos %(c)s.",
                                     c=", ".join(outside)), field="add_process_codes")
    if codes == sorted(share.process_codes) and new_end == share.ends_on:
        raise ValidationError(_l("Nada que ampliar: añada procesos o una fecha de fin "
                                 "posterior."), field="add_process_codes")
    share.process_codes = codes
    share.ends_on = new_end
    audit.annotate(db.session, share, "widen")
    db.session.flush()
    return share


def revoke_share(share: PackShare, *, expected_version: int | None, reason: str) -> PackShare:
    check_version(share, expected_version)
    if share.revoked_at is not None:
        raise TransitionError(_l("Este acceso ya está revocado."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_l("Escriba el motivo de la revocación."), field="reason")
    share.revoked_at = now_utc()
    share.revoked_by_id = audit.current_actor().id
    share.revoke_reason = reason[:500]
    audit.annotate(db.session, share, "revoke", reason[:500])
    db.session.flush()
    return share


def active_shares(user_id: int, day: date | None = None) -> list[PackShare]:
    """The certifier's shares in force on ``day`` (today), over ready packs."""
    day = day or today_local()
    return list(db.session.scalars(
        select(PackShare).join(EvidencePack)
        .where(PackShare.certifier_id == user_id, PackShare.revoked_at.is_(None),
               PackShare.starts_on <= day, PackShare.ends_on >= day,
               EvidencePack.status == PackStatus.READY)
        .order_by(PackShare.id)))
