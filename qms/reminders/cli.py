"""``flask --app wsgi qms send-reminders`` and ``qms scheduler``."""

from __future__ import annotations

from datetime import datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from qms.core.cli import qms
from qms.core.uow import fail
from qms.reminders import jobs, mail
from qms.reminders.models import Delivery


@qms.command("send-reminders")
@click.option("--dry-run", is_flag=True, help="Show what would be queued; store and send nothing.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Run the sweep as on this day (YYYY-MM-DD); default: today in QMS_TIMEZONE.")
@with_appcontext
def send_reminders_command(dry_run: bool, today: datetime | None) -> None:
    """Run one reminder sweep now and print what it queued, then send queued mail."""
    result = jobs.sweep(today=today.date() if today else None, send=False, dry_run=dry_run)
    from qms.auth import facts as auth_facts

    people = auth_facts.active_recipients(result.today)
    for planned in sorted(result.created, key=lambda p: (p.rule, p.key)):
        person = people.get(planned.user_id)
        how = {Delivery.IMMEDIATE: "mail", Delivery.DIGEST: "digest",
               Delivery.NONE: "inbox"}[planned.delivery]
        click.echo(f"{planned.rule:28} {planned.stage.value:9} {planned.record_type} "
                   f"{planned.record_id} due {planned.due_on} → "
                   f"{person.username if person else planned.user_id} ({how})")
    verb = "would queue" if dry_run else "queued"
    click.echo(f"{result.today}: {verb} {len(result.created)} reminders, {result.mails} mails, "
               f"{result.digests} digests.")
    if not dry_run:
        sent = jobs.send()
        click.echo(f"Sent {len(sent.sent)} mails; {len(sent.retried)} will be retried; "
                   f"{len(sent.failed)} failed.")
        if current_app.config.get("MAIL_BACKEND") == "file":
            click.echo(f"Mail written to {mail.transport().folder}")


@qms.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the job scheduler in this process (one per deployment; Ctrl+C stops it)."""
    from qms.reminders import scheduler as sched

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        sched.run(app, click.echo)
    except sched.AlreadyRunning as exc:
        fail(f"a scheduler is already running ({exc}); not starting a second one")
