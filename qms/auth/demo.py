"""Demo accounts: one per role, with a shared demo password."""

from __future__ import annotations

import os
from datetime import timedelta

from qms.auth.models import Role
from qms.auth.services import create_user
from qms.core.cli import seed_step
from qms.core.time import today_local

#: The demo password is for local demonstrations only; override with QMS_DEMO_PASSWORD.
DEFAULT_DEMO_PASSWORD = "calidad-2026"  # noqa: S105 - demo data, printed by `make run`

DEMO_USERS = [
    ("admin", "Ana Lucía Mejía", Role.ADMIN),
    ("calidad", "María José Zelaya", Role.QUALITY_OFFICER),
    ("duenio", "Carlos Alberto Fúnez", Role.PROCESS_OWNER),
    ("duenia2", "Rosa Elena Cálix", Role.PROCESS_OWNER),
    ("direccion", "Jorge Luis Maradiaga", Role.MANAGER),
    ("auditor", "Karla Patricia Sevilla", Role.AUDITOR),
    ("certificador", "Luis Fernando Andrade", Role.CERTIFIER),
]


def demo_password() -> str:
    return os.environ.get("QMS_DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD


@seed_step(10, "users")
def seed_users() -> str:
    password = demo_password()
    for username, name, role in DEMO_USERS:
        expires = today_local() + timedelta(days=90) if role == Role.CERTIFIER else None
        create_user(username=username, full_name=name, email=f"{username}@sgc.example.hn",
                    role=role, password=password, access_expires_on=expires)
    return f"{len(DEMO_USERS)} demo accounts (`flask --app wsgi qms demo-logins` lists them)."


def demo_logins_table() -> str:
    """The demo accounts that exist (active), with the role's Spanish name: what
    ``make run`` prints on every start, so nobody has to remember the first one."""
    from flask_babel import force_locale
    from sqlalchemy import select

    from qms.auth.models import User
    from qms.extensions import db

    names = [u for u, _n, _r in DEMO_USERS]
    users = {u.username: u for u in db.session.scalars(
        select(User).where(User.username.in_(names), User.active.is_(True)))}
    if not users:
        return ""
    with force_locale("es"):
        lines = [f"Cuentas de demostración (contraseña: {demo_password()}):",
                 f"  {'Usuario':<14}{'Rol':<32}Nombre"]
        for username in names:
            if (user := users.get(username)) is not None:
                lines.append(f"  {username:<14}{str(user.role.label):<32}{user.full_name}")
    return "\n".join(lines)
