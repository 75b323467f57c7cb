"""``flask --app wsgi qms …``: every operational task is a command here.

Domains add their own commands to the ``qms`` group and register steps for ``init``
(loading content such as procedures/) and ``seed-demo`` (their demo data) with
:func:`init_step` and :func:`seed_step`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy import func, select

from qms.core import audit
from qms.core import backup as backup_mod
from qms.core.errors import ServiceError
from qms.extensions import db

#: (order, name, function) run by ``qms init`` after migrations.
_INIT_STEPS: list[tuple[int, str, Callable[[], str | None]]] = []
#: (order, name, function) run by ``qms seed-demo``; each returns a line to print.
_SEED_STEPS: list[tuple[int, str, Callable[[], str | None]]] = []


def init_step(order: int, name: str):
    def register(func):
        _INIT_STEPS.append((order, name, func))
        return func

    return register


def seed_step(order: int, name: str):
    def register(func):
        _SEED_STEPS.append((order, name, func))
        return func

    return register


@click.group()
def qms() -> None:
    """SGC Bono Vida Mejor: operational commands."""


def _fail(message: str) -> None:
    click.secho(f"Error: {message}", fg="red", err=True)
    sys.exit(1)


@qms.command("init")
@with_appcontext
def init_command() -> None:
    """Migrate the database to the latest schema and load the SGC's content."""
    upgrade()
    click.echo("Database schema is up to date.")
    for _, name, step in sorted(_INIT_STEPS, key=lambda s: s[0]):
        with audit.acting_as(audit.SYSTEM):
            try:
                message = step()
                db.session.commit()
            except ServiceError as exc:
                db.session.rollback()
                _fail(f"{name}: {exc.message}")
        if message:
            click.echo(f"{name}: {message}")


@qms.command("seed-demo")
@click.option("--force", is_flag=True, help="Seed even in production or a non-empty database.")
@with_appcontext
def seed_demo_command(force: bool) -> None:
    """Create realistic Spanish demo data (users, processes, …) in an empty database."""
    from qms.auth.models import User

    if current_app.config["ENV_NAME"] == "production" and not force:
        _fail("refusing to seed demo data in production (use --force if you mean it)")
    if db.session.scalar(select(func.count(User.id))) and not force:
        click.echo("The database already has users; demo data not loaded (--force to add it).")
        return
    with audit.acting_as(audit.SYSTEM):
        for _order, _name, step in sorted(_SEED_STEPS, key=lambda s: s[0]):
            message = step()
            if message:
                click.echo(message)
        db.session.commit()


@qms.command("create-user")
@click.option("--username", required=True)
@click.option("--full-name", required=True)
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice([
    "admin", "quality_officer", "process_owner", "manager", "auditor", "certifier"]))
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--expires", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Last day of access (YYYY-MM-DD); required for certifiers.")
@with_appcontext
def create_user_command(username, full_name, email, role, password, expires) -> None:
    """Create a user account."""
    from qms.auth.models import Role
    from qms.auth.services import create_user

    expires_on: date | None = expires.date() if expires else None
    with audit.acting_as(audit.SYSTEM):
        try:
            user = create_user(username=username, full_name=full_name, email=email,
                               role=Role(role), password=password, access_expires_on=expires_on)
            db.session.commit()
        except ServiceError as exc:
            db.session.rollback()
            _fail(f"{exc.field or 'user'}: {exc.message}")
    click.echo(f"Created user {user.username} ({user.role.value}).")


@qms.command("verify-audit-log")
@with_appcontext
def verify_audit_log_command() -> None:
    """Check the SHA-256 chain of the audit trail; exit 1 at the first bad event."""
    count, problem = audit.verify_chain(db.session)
    if problem:
        _fail(f"audit trail broken at event #{problem.event_id}: {problem.reason} "
              f"({count} events read)")
    click.echo(f"Audit trail intact: {count} events verified.")


@qms.command("backup")
@click.option("--output", type=click.Path(dir_okay=False), default=None,
              help="File to write (default: a timestamped file under QMS_BACKUP_DIR).")
@with_appcontext
def backup_command(output: str | None) -> None:
    """Write a consistent copy of the database (SQLite online backup or pg_dump)."""
    try:
        path = backup_mod.backup_database(output)
    except backup_mod.BackupError as exc:
        _fail(str(exc))
    click.echo(f"Backup written to {path}")
