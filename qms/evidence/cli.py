"""``flask --app wsgi qms evidence-pack`` and ``qms verify-pack``."""

from __future__ import annotations

import secrets
import sys
from datetime import date
from pathlib import Path

import click
from flask.cli import with_appcontext

from qms.core.cli import qms
from qms.core.uow import cli_unit, fail


def _date(_ctx, param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param=param) from None


@qms.command("evidence-pack")
@click.option("--from", "start", required=True, callback=_date, help="First day (YYYY-MM-DD).")
@click.option("--to", "end", required=True, callback=_date, help="Last day (YYYY-MM-DD).")
@click.option("--process", "processes", multiple=True, help="Process code in scope (repeat).")
@click.option("--clause", "clauses", multiple=True, help="Clause 4–10 to include (repeat).")
@click.option("--attach-files", is_flag=True, help="Embed the cited files (PDF/A-3).")
@click.option("--zip", "as_zip", is_flag=True, help="Write a ZIP: PDF, files, manifest.json.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (.pdf, or .zip with --zip).")
@with_appcontext
def evidence_pack_command(start, end, processes, clauses, attach_files, as_zip, out):
    """Generate the evidence pack of a period and scope (the same as the web page)."""
    from qms.core import audit
    from qms.evidence import pack as builder

    with cli_unit("scope"):
        scope = builder.scope_for(start, end, list(processes), list(clauses))
    with click.progressbar(length=100, label="Evidence pack", file=sys.stderr,
                           show_percent=True) as bar:
        done = {"n": 0}

        def progress(percent: int, _stage: str) -> None:
            if percent > done["n"]:
                bar.update(percent - done["n"])
                done["n"] = percent

        with audit.acting_as(audit.SYSTEM):
            data = builder.gather(scope, pack_id=secrets.token_hex(16),
                                  generated_by="flask qms evidence-pack",
                                  attach_files=attach_files, as_zip=as_zip,
                                  progress=progress)
            pdf = builder.render(data, progress)
            builder.write_pack(data, pdf, out)
        progress(100, "")
    t = data.timings
    click.echo(f"Evidence pack {data.pack_id} written to {out}: {t.get('pages')} pages, "
               f"{len(data.manifest['files'])} files, {len(data.manifest['records'])} records, "
               f"manifest seal {data.manifest['seal']}.")
    missing = [m.clause for m in data.mandatory if m.status == "missing"]
    if missing:
        click.echo(f"Mandatory documented information missing: {', '.join(missing)}")


@qms.command("verify-pack")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify_pack_command(file: Path) -> None:
    """Recompute every hash of an evidence pack (PDF or ZIP) without the database."""
    from qms.evidence.verify import PackUnreadable, render_report, verify

    try:
        report = verify(file)
    except PackUnreadable as exc:
        fail(str(exc), code=2)
    click.echo(render_report(report))
    if not report.ok:
        sys.exit(1)
