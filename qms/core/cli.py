"""``flask --app wsgi qms …``: every operational task is a command here.

Domains add their own commands to the ``qms`` group and register steps for ``init``
(loading content such as procedures/) and ``seed-demo`` (their demo data) with
:func:`init_step` and :func:`seed_step`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from qms.core import audit, chain
from qms.core import backup as backup_mod
from qms.core.uow import cli_unit, fail
from qms.extensions import db


@dataclass(frozen=True)
class Rejected:
    """What an init step returns when it kept the valid part of its work and refuses the
    rest (a malformed procedure file among good ones): the kept work is committed, then
    ``init`` fails with ``message``. A step that raises a ServiceError keeps nothing."""

    message: str


#: (order, name, function) run by ``qms init`` after migrations; each returns a line to
#: print, None, or :class:`Rejected`.
_INIT_STEPS: list[tuple[int, str, Callable[[], str | Rejected | None]]] = []
#: (order, name, function) run by ``qms seed-demo``; each returns a line to print.
_SEED_STEPS: list[tuple[int, str, Callable[[], str | None]]] = []
#: Questions asked before seeding: a function returning why the database is not empty.
_SEED_GUARDS: list[Callable[[], str | None]] = []


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


def seed_guard(func: Callable[[], str | None]) -> Callable[[], str | None]:
    """Register a check that answers why demo data must not be added (or None)."""
    _SEED_GUARDS.append(func)
    return func


@click.group()
def qms() -> None:
    """SGC Bono Vida Mejor: operational commands."""


@qms.command("init")
@with_appcontext
def init_command() -> None:
    """Migrate the database to the latest schema and load the SGC's content."""
    upgrade()
    click.echo("Database schema is up to date.")
    for _, name, step in sorted(_INIT_STEPS, key=lambda s: s[0]):
        with audit.acting_as(audit.SYSTEM), cli_unit(name):
            message = step()
        if isinstance(message, Rejected):
            fail(f"{name}: {message.message}")
        if message:
            click.echo(f"{name}: {message}")


@qms.command("seed-demo")
@click.option("--force", is_flag=True, help="Seed even in production or a non-empty database.")
@with_appcontext
def seed_demo_command(force: bool) -> None:
    """Create realistic Spanish demo data (users, processes, …) in an empty database."""
    if current_app.config["ENV_NAME"] == "production" and not force:
        fail("refusing to seed demo data in production (use --force if you mean it)")
    reasons = [reason for guard in _SEED_GUARDS if (reason := guard())]
    if reasons and not force:
        click.echo(f"{reasons[0]}; demo data not loaded (--force to add it).")
        return
    with audit.acting_as(audit.SYSTEM), cli_unit():
        for _order, _name, step in sorted(_SEED_STEPS, key=lambda s: s[0]):
            message = step()
            if message:
                click.echo(message)


@qms.command("verify-audit-log")
@with_appcontext
def verify_audit_log_command() -> None:
    """Check the SHA-256 chain of the audit trail; exit 1 at the first bad event."""
    with cli_unit():  # the result is recorded for the audit-log page, broken or not
        count, problem = chain.verify_all(db.session)
    if problem:
        fail(f"audit trail broken at event #{problem.event_id}: {problem.reason} "
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
        fail(str(exc))
    click.echo(f"Backup written to {path}")
