"""``flask --app wsgi qms sync-checklists``, ``qms import-audit-submission`` and
``qms set-logo``."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from qms.audits import checklists, offline
from qms.audits.models import Audit
from qms.core import audit as trail
from qms.core.checklists import AUDITS_DIR
from qms.core.cli import qms
from qms.core.pdf import LOGO
from qms.core.settings import set_setting
from qms.core.storage import store
from qms.core.uow import cli_unit
from qms.extensions import db

IMAGE_TYPES = {"image/png": "png", "image/jpeg": "jpg"}


@qms.command("sync-checklists")
@click.option("--path", "folder", type=click.Path(file_okay=False, exists=True, path_type=Path),
              default=None, help="Folder of checklist YAML files (default: audits/).")
@with_appcontext
def sync_checklists_command(folder: Path | None) -> None:
    """Load the checklist templates of audits/ (a changed file becomes a new version)."""
    with trail.acting_as(trail.SYSTEM), cli_unit("sync-checklists"):
        result = checklists.sync_checklists(folder or AUDITS_DIR)
    click.echo(result.summary())


@qms.command("import-audit-submission")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--audit", "code", required=True, help="Audit code, e.g. AI-2026-03.")
@click.option("--user", "username", required=True, help="Auditor who imports the results.")
@with_appcontext
def import_submission_command(file: Path, code: str, username: str) -> None:
    """Import a KoboCollect / ODK export of an audit's XLSForm (all or nothing)."""
    from qms.auth.services import find_user

    user = find_user(username)
    if user is None:
        raise click.BadParameter(f"unknown user {username!r}", param_hint="--user")
    audit = db.session.scalar(select(Audit).where(Audit.code == code.strip().upper()))
    if audit is None:
        raise click.BadParameter(f"no audit {code!r}", param_hint="--audit")
    with trail.acting_as(user), cli_unit(str(file.name)):
        result = offline.import_submission(audit, file, actor=user)
    click.echo(f"{result.submissions} submission(s), {result.answers} answer(s) imported; "
               f"{result.already} already imported.")


@qms.command("set-logo")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@with_appcontext
def set_logo_command(file: Path) -> None:
    """Store the programme's logo (PNG or JPEG) shown on PDF reports."""
    with trail.acting_as(trail.SYSTEM), cli_unit("logo"), file.open("rb") as handle:
        stored = store(handle, file.name, allowed=IMAGE_TYPES, field="file")
        set_setting(LOGO.key, stored.sha256)
    click.echo(f"Logo stored (SHA-256 {stored.sha256[:12]}…).")
