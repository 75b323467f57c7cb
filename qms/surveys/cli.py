"""``flask --app wsgi qms import-survey``, ``load-survey`` and the wave commands
(``create-wave``, ``list-waves``, ``open-wave``, ``close-wave``)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from qms.core import audit
from qms.core.cli import qms
from qms.core.uow import cli_unit
from qms.extensions import db
from qms.surveys import importer, services
from qms.surveys.models import Channel, Wave, WaveStatus


def _actor(username: str | None):
    if not username:
        return audit.SYSTEM
    from qms.auth.services import find_user

    user = find_user(username)
    if user is None:
        raise click.BadParameter(f"unknown user {username!r}", param_hint="--user")
    return user


def _wave(survey_code: str, wave_code: str) -> Wave:
    survey = services.survey_by_code(survey_code)
    if survey is None:
        raise click.BadParameter(f"no survey {survey_code!r}", param_hint="--survey")
    wave = db.session.scalar(select(Wave).where(Wave.survey_id == survey.id,
                                                Wave.code == wave_code.upper()))
    if wave is None:
        raise click.BadParameter(f"no wave {wave_code!r} in {survey.code}", param_hint="--wave")
    return wave


@qms.command("import-survey")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--survey", "survey_code", required=True, help="Survey code, e.g. SAT-BVM.")
@click.option("--wave", "wave_code", required=True, help="Wave code, e.g. 2024-1.")
@click.option("--skip-invalid", is_flag=True,
              help="Import the good rows and skip the bad ones (default: all or nothing).")
@click.option("--allow-outside-period", is_flag=True,
              help="Accept submissions dated outside the wave's period (the audit trail "
                   "records it); by default they are refused.")
@click.option("--map", "mappings", multiple=True, metavar="COLUMN=CODE",
              help="Map an export column to a question code (saved for the survey).")
@click.option("--channel", type=click.Choice([c.value for c in Channel]), default="kobo")
@click.option("--user", "username", default=None, help="Who the audit trail names.")
@with_appcontext
def import_survey_command(path, survey_code, wave_code, skip_invalid, allow_outside_period,
                          mappings, channel, username) -> None:
    """Import a KoboToolbox / ODK Central export (CSV or XLSX) into a wave."""
    wave = _wave(survey_code, wave_code)
    extra = {}
    for item in mappings:
        column, sep, code = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r} is not COLUMN=CODE", param_hint="--map")
        extra[column.strip()] = code.strip()
    with audit.acting_as(_actor(username)):
        if extra:
            with cli_unit("--map"):
                services.save_mapping(wave.survey, extra)
        with cli_unit("import-survey"), click.progressbar(
                length=path.stat().st_size, label=f"Importing {path.name}", show_percent=True,
                show_eta=True, file=sys.stderr) as bar:
            state = {"done": 0}

            def progress(done: int, total: int, rows: int) -> None:
                bar.update(max(0, done - state["done"]))
                state["done"] = done

            report = importer.run_import(
                wave, path, file_name=path.name, skip_invalid=skip_invalid,
                allow_outside_period=allow_outside_period, mapping=extra,
                channel=Channel(channel), progress=progress)
    _print_report(report)
    if not report.accepted:
        sys.exit(1)


def _print_report(report: importer.ImportReport) -> None:
    for problem in report.problems:
        where = f"row {problem.row}" if problem.row else "file"
        column = f", column {problem.column!r}" if problem.column else ""
        click.echo(f"{where}{column}: {problem.reason}", err=True)
    if report.problem_count > len(report.problems):
        click.echo(f"… and {report.problem_count - len(report.problems)} more problems", err=True)
    if report.unknown_columns:
        click.echo("Unknown columns (ignored; map them with --map COLUMN=CODE): "
                   + ", ".join(report.unknown_columns), err=True)
    if report.outside_period_refused:
        click.echo(f"{report.outside_period_refused} rows are dated outside the wave's period; "
                   "if that is right, import again with --allow-outside-period.", err=True)
    verdict = "imported" if report.accepted else "REJECTED, nothing imported"
    click.echo(f"{report.file_name} ({report.file_format or '?'}, sha256 {report.file_sha256}): "
               f"{verdict}. Rows read {report.rows_read}, imported {report.imported}, "
               f"duplicates {report.duplicates}, identical repeats folded {report.folded}, "
               f"invalid {report.invalid}, not approved in source {report.rejected_in_source}"
               + (f", outside the wave's period {report.outside_period} (allowed)"
                  if report.outside_period else "") + ".")


@qms.command("load-survey")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--publish", is_flag=True, help="Publish the loaded version at once.")
@with_appcontext
def load_survey_command(path: Path, publish: bool) -> None:
    """Load a questionnaire from YAML (a new survey, or a new draft version of one)."""
    with audit.acting_as(audit.SYSTEM), cli_unit():
        version = services.load_yaml(path.read_text(encoding="utf-8"), publish=publish)
    click.echo(f"{version.survey.code} version {version.number} ({version.status.value}): "
               f"{len(version.questions)} questions.")


# ---------------------------------------------------------------- waves


def _survey(code: str):
    survey = services.survey_by_code(code)
    if survey is None:
        raise click.BadParameter(f"no survey {code!r}", param_hint="--survey")
    return survey


@qms.command("create-wave")
@click.option("--survey", "survey_code", required=True, help="Survey code, e.g. SAT-BVM.")
@click.option("--code", required=True, help="Wave code, e.g. 2025-1.")
@click.option("--name", required=True, help="Wave name, e.g. 'Primera ronda 2025'.")
@click.option("--from", "starts_on", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="First day of fieldwork (YYYY-MM-DD).")
@click.option("--to", "ends_on", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="Last day of fieldwork (YYYY-MM-DD).")
@click.option("--population", type=click.IntRange(min=1), default=None,
              help="Households in the sampling frame (N), for the finite-population "
                   "correction.")
@click.option("--open", "open_now", is_flag=True, help="Open the wave at once.")
@with_appcontext
def create_wave_command(survey_code, code, name, starts_on, ends_on, population,
                        open_now) -> None:
    """Create a wave of a survey (the published questionnaire), optionally open it."""
    with audit.acting_as(audit.SYSTEM), cli_unit("create-wave"):
        wave = services.create_wave(_survey(survey_code), code=code, name=name,
                                    starts_on=starts_on.date(), ends_on=ends_on.date(),
                                    population=population)
        if open_now:
            services.move_wave(wave, WaveStatus.OPEN)
    click.echo(f"{wave.survey.code} wave {wave.code} ({wave.status.value}): {wave.name}, "
               f"{wave.starts_on} – {wave.ends_on}.")


@qms.command("list-waves")
@click.option("--survey", "survey_code", required=True, help="Survey code, e.g. SAT-BVM.")
@with_appcontext
def list_waves_command(survey_code) -> None:
    """List the waves of a survey with their status, period and responses."""
    from qms.surveys import aggregates

    survey = _survey(survey_code)
    totals = aggregates.response_totals([w.id for w in survey.waves] or [0])
    click.echo(f"{'code':<12} {'status':<8} {'from':<10}   {'to':<10} {'responses':>9}  name")
    for wave in survey.waves:
        click.echo(f"{wave.code:<12} {wave.status.value:<8} {wave.starts_on!s:<10} – "
                   f"{wave.ends_on!s:<10} {totals.get(wave.id, 0):>9}  {wave.name}")


def _move(survey_code: str, wave_code: str, target: WaveStatus) -> None:
    wave = _wave(survey_code, wave_code)
    with audit.acting_as(audit.SYSTEM), cli_unit(f"{target.value} wave"):
        services.move_wave(wave, target)
    click.echo(f"{wave.survey.code} wave {wave.code}: {wave.status.value}.")


@qms.command("open-wave")
@click.option("--survey", "survey_code", required=True, help="Survey code, e.g. SAT-BVM.")
@click.option("--wave", "wave_code", required=True, help="Wave code, e.g. 2025-1.")
@with_appcontext
def open_wave_command(survey_code, wave_code) -> None:
    """Open a wave: imports and the Kobo webhook deliver to it (one open wave per survey)."""
    _move(survey_code, wave_code, WaveStatus.OPEN)


@qms.command("close-wave")
@click.option("--survey", "survey_code", required=True, help="Survey code, e.g. SAT-BVM.")
@click.option("--wave", "wave_code", required=True, help="Wave code, e.g. 2025-1.")
@with_appcontext
def close_wave_command(survey_code, wave_code) -> None:
    """Close a wave: it accepts no more responses."""
    _move(survey_code, wave_code, WaveStatus.CLOSED)
