"""``flask --app wsgi qms import-payments FILE``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from qms.core import audit
from qms.core.cli import qms
from qms.core.uow import commit, rollback
from qms.payments import importer


@qms.command("import-payments")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--user", "username", default=None, help="Who the audit trail names.")
@with_appcontext
def import_payments_command(path: Path, username: str | None) -> None:
    """Import the payment system's aggregates (CSV or XLSX): all or nothing, per period
    idempotent; lists every bad row and column and exits 1 if there is one."""
    actor = audit.SYSTEM
    if username:
        from qms.auth.services import find_user

        actor = find_user(username)
        if actor is None:
            raise click.BadParameter(f"unknown user {username!r}", param_hint="--user")
    with audit.acting_as(actor):
        try:
            report = importer.import_payments(path, path.name)
            commit()
        except importer.ImportRejected as exc:
            rollback()
            report = exc.report
            importer.record_rejected(report)
            commit()
    for problem in report.problems:
        click.echo(f"Error: {problem}", err=True)
    if report.problem_count > len(report.problems):
        click.echo(f"… and {report.problem_count - len(report.problems)} more problems", err=True)
    if not report.accepted:
        click.echo(f"{path.name} (sha256 {report.file_sha256}): REJECTED, nothing imported "
                   f"({report.problem_count} problems).", err=True)
        sys.exit(1)
    counts = {k: sum(1 for v in report.periods.values() if v == k)
              for k in ("new", "replaced", "unchanged")}
    click.echo(f"{path.name} (sha256 {report.file_sha256}): {report.rows_read} rows, "
               f"{len(report.periods)} periods ({counts['new']} new, {counts['replaced']} "
               f"replaced, {counts['unchanged']} unchanged).")

