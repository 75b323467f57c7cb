"""Creating and changing processes; the rules live here, not in views or the API."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from qms.auth.models import Role, User
from qms.core.errors import ValidationError, check_version
from qms.extensions import db
from qms.processes.models import Process, ProcessCategory

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,19}$")
OWNER_ROLES = (Role.PROCESS_OWNER, Role.QUALITY_OFFICER, Role.MANAGER, Role.ADMIN)


def list_processes(*, include_inactive: bool = False, search: str | None = None):
    query = select(Process).options(joinedload(Process.owner)).order_by(Process.code)
    if not include_inactive:
        query = query.where(Process.active.is_(True))
    if search:
        like = f"%{search.strip().lower()}%"
        query = query.where(func.lower(Process.name).like(like) | func.lower(Process.code).like(like))
    return query


def _clean_code(code: str) -> str:
    code = (code or "").strip().upper()
    if not CODE_PATTERN.match(code):
        raise ValidationError(
            _l("El código debe tener de 2 a 20 caracteres: letras mayúsculas, cifras y guiones."),
            field="code",
        )
    return code


def _check_owner(owner: User | None) -> User:
    if owner is None or not owner.is_active or owner.role not in OWNER_ROLES:
        raise ValidationError(
            _l("El dueño del proceso debe ser un usuario activo con rol de dueño de proceso, "
               "responsable de calidad, alta dirección o administrador."),
            field="owner_id",
        )
    return owner


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError(_l("Indique el nombre del proceso."), field="name")
    return name


def create_process(
    *, code: str, name: str, category: ProcessCategory, owner: User | None, description: str = ""
) -> Process:
    code = _clean_code(code)
    if db.session.scalar(select(Process.id).where(Process.code == code)) is not None:
        raise ValidationError(_l("Ya existe un proceso con el código %(code)s.", code=code),
                              field="code")
    process = Process(code=code, name=_check_name(name), category=ProcessCategory(category),
                      owner=_check_owner(owner), description=(description or "").strip())
    try:
        with db.session.begin_nested():
            db.session.add(process)
    except IntegrityError:  # a concurrent creation took the code first
        raise ValidationError(
            _l("Ya existe un proceso con el código %(code)s.", code=code), field="code"
        ) from None
    return process


def update_process(
    process: Process,
    *,
    expected_version: int | None,
    name: str,
    category: ProcessCategory,
    description: str,
    owner: User | None = None,
    active: bool | None = None,
) -> Process:
    """Change a process. ``owner`` and ``active`` are only passed by those who may reassign."""
    check_version(process, expected_version)
    process.name = _check_name(name)
    process.category = ProcessCategory(category)
    process.description = (description or "").strip()
    if owner is not None:
        process.owner = _check_owner(owner)
    if active is not None:
        process.active = active
    db.session.flush()
    return process
