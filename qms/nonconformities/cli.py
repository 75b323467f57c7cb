"""``flask --app wsgi qms rebuild-nc-figures``: recompute the register's maintained figures
(``next_due_on`` of every NC and the per-process/source/severity/status counts) from the
register, e.g. after rows were bulk-loaded without the ORM; says what was wrong."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from qms.core.cli import qms
from qms.core.uow import cli_unit
from qms.nonconformities import figures


@qms.command("rebuild-nc-figures")
@click.option("--check", is_flag=True,
              help="Only report what differs from a recount, and exit 1 if anything does.")
@with_appcontext
def rebuild_nc_figures_command(check: bool) -> None:
    """Recompute the NC register's counters, charts and next due dates from the records."""
    with cli_unit("rebuild-nc-figures"):
        done = figures.check() if check else figures.rebuild()
    wrong = done.next_due_fixed + done.figure_rows_fixed
    verb = "differ" if check else "corrected"
    click.echo(f"{done.ncs} NCs counted: {done.figure_rows_fixed} figure rows and "
               f"{done.next_due_fixed} next due dates {verb}.")
    if check and wrong:
        raise SystemExit(1)
