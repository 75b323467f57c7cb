"""Waves set up without the browser: create, list, open, close; and the period option."""

from __future__ import annotations

from sqlalchemy import select

from qms.core.audit import AuditEvent
from qms.extensions import db
from qms.surveys.models import Wave, WaveStatus
from tests.surveys.conftest import counts, csv_bytes, good_row


def _run(app, *args):
    return app.test_cli_runner().invoke(args=["qms", *args])


def test_a_wave_is_created_listed_opened_and_closed_from_the_command_line(app, survey):
    result = _run(app, "create-wave", "--survey", "sat-bvm", "--code", "2025-1", "--name",
                  "Primera ronda 2025", "--from", "2025-03-01", "--to", "2025-03-31",
                  "--population", "200000")
    assert result.exit_code == 0, result.output
    assert "SAT-BVM wave 2025-1 (draft): Primera ronda 2025, 2025-03-01 – 2025-03-31." \
        in result.output
    result = _run(app, "create-wave", "--survey", "SAT-BVM", "--code", "2025-2", "--name",
                  "Segunda", "--from", "2025-09-01", "--to", "2025-09-30", "--open")
    assert result.exit_code == 0 and "(open)" in result.output
    listing = _run(app, "list-waves", "--survey", "SAT-BVM").output
    assert "2025-1" in listing and "draft" in listing and "2025-2" in listing
    refused = _run(app, "open-wave", "--survey", "SAT-BVM", "--wave", "2025-1")
    assert refused.exit_code == 1 and "2025-2 ya está abierta" in refused.output
    assert _run(app, "close-wave", "--survey", "SAT-BVM", "--wave", "2025-2").exit_code == 0
    assert _run(app, "open-wave", "--survey", "SAT-BVM", "--wave", "2025-1").exit_code == 0
    db.session.expire_all()
    states = {w.code: w.status for w in db.session.scalars(select(Wave))}
    assert states == {"2025-1": WaveStatus.OPEN, "2025-2": WaveStatus.CLOSED}
    actions = set(db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.entity_type == "survey_wave")))
    assert {"insert", "transition:open", "transition:closed"} <= actions


def test_create_wave_refuses_bad_input_naming_the_option(app, survey):
    backwards = _run(app, "create-wave", "--survey", "SAT-BVM", "--code", "2025-1", "--name",
                     "X", "--from", "2025-03-31", "--to", "2025-03-01")
    assert backwards.exit_code == 1 and "ends_on:" in backwards.output
    bad_date = _run(app, "create-wave", "--survey", "SAT-BVM", "--code", "2025-1", "--name",
                    "X", "--from", "31/03/2025", "--to", "2025-04-01")
    assert bad_date.exit_code == 2 and "--from" in bad_date.output
    unknown = _run(app, "create-wave", "--survey", "NOPE", "--code", "2025-1", "--name", "X",
                   "--from", "2025-03-01", "--to", "2025-03-31")
    assert unknown.exit_code == 2 and "--survey" in unknown.output
    assert _run(app, "create-wave", "--survey", "SAT-BVM", "--code", "2025-1", "--name", "X",
                "--from", "2025-03-01", "--to", "2025-03-31").exit_code == 0
    again = _run(app, "create-wave", "--survey", "SAT-BVM", "--code", "2025-1", "--name", "X",
                 "--from", "2025-03-01", "--to", "2025-03-31")
    assert again.exit_code == 1 and "code:" in again.output
    assert db.session.scalar(select(Wave.code)) == "2025-1"


def test_import_command_refuses_dates_outside_the_period_until_allowed(app, wave, write):
    rows = [good_row(1), good_row(2, _submission_time="2024-06-01T10:00:00")]
    path = write("tarde.csv", csv_bytes(rows))
    args = ["import-survey", str(path), "--survey", "SAT-BVM", "--wave", "2024-1"]
    refused = _run(app, *args)
    assert refused.exit_code == 1
    assert "row 3, column '_submission_time'" in refused.output
    assert "--allow-outside-period" in refused.output and counts()["responses"] == 0
    allowed = _run(app, *args, "--allow-outside-period")
    assert allowed.exit_code == 0, allowed.output
    assert "outside the wave's period 1 (allowed)" in allowed.output
    assert counts()["responses"] == 2
