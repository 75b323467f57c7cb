"""``flask --app wsgi qms sync-procedures``: load procedures/ into the register."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from qms.core import audit
from qms.core.cli import Rejected, init_step, qms
from qms.core.uow import cli_unit
from qms.documents.sync import SyncReport, sync_procedures


def _print(report: SyncReport) -> None:
    for line in report.warnings:
        click.secho(f"warning: {line}", fg="yellow", err=True)
    for line in report.errors:
        click.secho(f"error: {line}", fg="red", err=True)
    click.echo(f"procedures: {report.summary()}")


@qms.command("sync-procedures")
@click.option("--path", "path", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Directory to read (default: procedures/ at the project root).")
@click.option("--author", default=None, help="Username recorded as the author of new revisions.")
@with_appcontext
def sync_procedures_command(path: Path | None, author: str | None) -> None:
    """Create missing documents and a draft revision for each changed procedure file.

    Exits with status 1 when a file was rejected (the others are still imported)."""
    from qms.auth.services import find_user

    user = find_user(author) if author else None
    if author and user is None:
        click.secho(f"Error: no user {author!r}", fg="red", err=True)
        sys.exit(2)
    with audit.acting_as(user or audit.SYSTEM), cli_unit():
        report = sync_procedures(path, author=user)  # rejected files left nothing behind
    _print(report)
    if report.errors:
        sys.exit(1)


@init_step(30, "procedures")
def sync_on_init() -> str | Rejected:
    """``qms init`` loads procedures/ too; rejected files fail the step after the rest commit."""
    report = sync_procedures()
    for line in report.warnings:
        click.secho(f"warning: {line}", fg="yellow", err=True)
    if report.errors:
        return Rejected("; ".join(report.errors))
    return report.summary()
