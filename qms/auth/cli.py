"""``flask --app wsgi qms create-user``: accounts from the command line."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from qms.auth.models import Role, User
from qms.auth.services import create_user
from qms.core import audit
from qms.core.cli import qms, seed_guard
from qms.core.uow import cli_unit
from qms.extensions import db


@seed_guard
def _has_users() -> str | None:
    if db.session.scalar(select(func.count(User.id))):
        return "The database already has users"
    return None


@qms.command("create-user")
@click.option("--username", required=True)
@click.option("--full-name", required=True)
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--expires", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Last day of access (YYYY-MM-DD); required for certifiers.")
@with_appcontext
def create_user_command(username, full_name, email, role, password, expires) -> None:
    """Create a user account."""
    expires_on: date | None = expires.date() if expires else None
    with audit.acting_as(audit.SYSTEM), cli_unit(field="user"):
        user = create_user(username=username, full_name=full_name, email=email,
                           role=Role(role), password=password, access_expires_on=expires_on)
    click.echo(f"Created user {user.username} ({user.role.value}).")


@qms.command("demo-logins")
@with_appcontext
def demo_logins_command() -> None:
    """Print the demo accounts and their password (``make run`` does, on every start)."""
    from qms.auth.demo import demo_logins_table

    click.echo(demo_logins_table() or "No demo accounts in this database.")
