"""``qms import-survey`` and ``qms load-survey``, and a kill in the middle of an import."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from qms.extensions import db
from qms.surveys import synthetic
from qms.surveys.models import ColumnMapping, Response
from tests.surveys.conftest import SAMPLE, counts, csv_bytes, good_row

ROOT = Path(__file__).resolve().parents[2]


def test_import_command_imports_and_reports(app, wave):
    result = app.test_cli_runner().invoke(args=[
        "qms", "import-survey", str(SAMPLE), "--survey", "sat-bvm", "--wave", "2024-1"])
    assert result.exit_code == 0, result.output
    assert "imported. Rows read 20, imported 19" in result.output
    assert "Unknown columns (ignored" in result.output and "ubicacion" in result.output
    assert counts()["responses"] == 19


def test_import_command_rejects_and_lists_every_bad_row(app, wave, write):
    path = write("bad.csv", csv_bytes([good_row(1, **{"satisfaccion/p1_trato": "7"}), good_row(2),
                                       good_row(3, **{"datos_generales/municipio": "9999"})]))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["qms", "import-survey", str(path), "--survey", "SAT-BVM",
                                 "--wave", "2024-1"])
    assert result.exit_code == 1
    assert "row 2, column 'satisfaccion/p1_trato': valor 7 fuera de la escala" in result.output
    assert "row 4, column 'datos_generales/municipio'" in result.output
    assert "REJECTED, nothing imported" in result.output
    assert counts()["responses"] == 0
    result = runner.invoke(args=["qms", "import-survey", str(path), "--survey", "SAT-BVM",
                                 "--wave", "2024-1", "--skip-invalid"])
    assert result.exit_code == 0 and "imported 1," in result.output


def test_map_option_is_saved_for_the_survey(app, wave, write):
    header = ["Depto", "P1", "P2", "P3", "P4", "P5", "Queja", "_uuid"]
    row = dict(zip(header, ["08", "5", "5", "5", "5", "5", "no", "u-1"], strict=True))
    path = write("plain.csv", csv_bytes([row], header=header))
    args = ["qms", "import-survey", str(path), "--survey", "SAT-BVM", "--wave", "2024-1"]
    for flag in ("Depto=_department", "P1=p1_trato", "P2=p2_informacion",
                 "P3=p3_puntualidad_pago", "P4=p4_acceso_pago", "P5=p5_satisfaccion_general",
                 "Queja=presento_queja"):
        args += ["--map", flag]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    saved = db.session.scalar(select(ColumnMapping)).columns
    assert saved["P3"] == "p3_puntualidad_pago"
    assert db.session.scalar(select(Response.answers))["p1_trato"] == 5


def test_load_survey_command(app, app_ctx, tmp_path):
    path = tmp_path / "q.yaml"
    path.write_text("code: CLIMA\ntitle: Clima laboral\nquestions:\n"
                    "  - {code: p1, text: Ambiente, type: likert5, index: true}\n",
                    encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["qms", "load-survey", str(path), "--publish"])
    assert result.exit_code == 0, result.output
    assert "CLIMA version 1 (published): 1 questions." in result.output


def _kill_while(database: Path, export: Path, tmp_path: Path, ready) -> str:
    """Run a real `flask qms import-survey`, SIGKILL it once ``ready(connection)``; its output."""
    env = {**os.environ, "QMS_ENV": "testing", "QMS_DATABASE_URL": f"sqlite:///{database}",
           "QMS_INSTANCE_DIR": str(tmp_path / "inst"), "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "qms", "import-survey", str(export),
         "--survey", "SAT-BVM", "--wave", "2024-1"], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    with sqlite3.connect(database, timeout=30) as conn:
        while time.monotonic() < deadline and process.poll() is None and not ready(conn):
            time.sleep(0.01)
    assert process.poll() is None, process.stdout.read().decode()[-2000:]
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL
    with process.stdout:
        return process.stdout.read().decode()


def _state(database: Path) -> dict:
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {
            "responses": conn.execute("SELECT count(*) FROM survey_response").fetchone()[0],
            "aggregates": conn.execute("SELECT count(*) FROM survey_aggregate").fetchone()[0],
            "imported": conn.execute("SELECT count(*) FROM survey_import_batch "
                                     "WHERE status = 'imported'").fetchone()[0],
            "importing": conn.execute("SELECT count(*) FROM survey_import_batch "
                                      "WHERE status = 'importing'").fetchone()[0],
        }


def test_killing_the_import_leaves_nothing_visible_and_is_undone(app, wave, tmp_path):
    """SIGKILL a real import while it reads the file, then while it publishes rows: the
    first leaves nothing at all; the second leaves rows nobody sees, which the next import
    (any import, once the batch's heartbeat is stale) deletes."""
    from datetime import timedelta

    from tests.conftest import make_app

    wave_id, wave_type = wave.id, type(wave)
    db.session.commit()
    db.session.remove()
    db.engine.dispose()
    database = tmp_path / "kill.sqlite3"
    shutil.copy(app.config["TEST_DB_FILE"], database)
    export = synthetic.write_csv(tmp_path / "big.csv", 60_000, seed=3)
    staging = tmp_path / "inst" / "survey-imports"

    def reading(_conn) -> bool:  # the staging file is growing: rows are being checked
        return any(f.stat().st_size > 1_000_000 for f in staging.glob("staging-*"))

    _kill_while(database, export, tmp_path, reading)
    assert _state(database) == {"responses": 0, "aggregates": 0, "imported": 0,
                                "importing": 0}

    def rows_stored(conn) -> bool:
        return conn.execute("SELECT count(*) FROM survey_response").fetchone()[0] > 0

    _kill_while(database, export, tmp_path, rows_stored)
    state = _state(database)
    assert state["responses"] > 0 and state["importing"] == 1  # stored, not published:
    assert (state["aggregates"], state["imported"]) == (0, 0)  # results show nothing
    other = make_app(f"sqlite:///{database}", tmp_path / "other")
    with other.app_context():
        from qms.surveys import exports, publishing

        wave_again = db.session.get(wave_type, wave_id)
        assert list(exports.response_rows(wave_again)) == []
        assert publishing.recover_interrupted(stale_after=timedelta(0)) == 1
        db.session.remove()
        db.engine.dispose()
    assert _state(database) == {"responses": 0, "aggregates": 0, "imported": 0,
                                "importing": 0}
