"""``flask --app wsgi qms compute-kpis``: fill the computed KPIs' missing periods, or
recompute the stored ones and list what changed."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from qms.core import audit
from qms.core.cli import qms
from qms.core.time import today_local
from qms.core.uow import cli_unit
from qms.extensions import db
from qms.objectives import services
from qms.objectives.enums import MeasureMethod, ValueSource
from qms.objectives.models import KPIValue, Objective


@qms.command("compute-kpis")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="First day to fill from (default: 1 January of last year).")
@click.option("--recompute", is_flag=True,
              help="Recompute the stored computed values instead and list the differences.")
@with_appcontext
def compute_kpis_command(since, recompute: bool) -> None:
    """Compute every complete period without a value of each computed objective."""
    today = today_local()
    start = since.date() if since else date(today.year - 1, 1, 1)
    with audit.acting_as(audit.SYSTEM), cli_unit("compute-kpis"):
        if recompute:
            changed = 0
            for value in db.session.scalars(select(KPIValue).where(
                    KPIValue.source == ValueSource.COMPUTED).order_by(KPIValue.id)):
                difference = services.recompute_value(value)
                if difference is not None:
                    changed += 1
                    click.echo(f"{value.objective.code} {value.period}: stored {value.value:g}, "
                               f"recomputed {value.recomputed_value:g} ({difference:+g})")
            click.echo(f"{changed} computed values differ on recomputation.")
            return
        objectives = db.session.scalars(select(Objective).where(
            Objective.active.is_(True), Objective.method == MeasureMethod.COMPUTED)
            .order_by(Objective.code)).all()
        total = 0
        for objective in objectives:
            made = services.compute_missing(objective, since=start, today=today, actor=None)
            total += len(made)
            if made:
                click.echo(f"{objective.code}: {', '.join(v.period for v in made)}")
        click.echo(f"{total} values computed for {len(objectives)} computed objectives.")
