"""Shared set-up for the benchmarks: a fresh SQLite database built by the migrations."""

from __future__ import annotations

import resource
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 1024 / 1024


def make_app(workdir: Path | None = None):
    from flask_migrate import upgrade

    from config import TestingConfig
    from qms import create_app

    workdir = workdir or Path(tempfile.mkdtemp(prefix="qms-bench-"))
    app = create_app(TestingConfig(), SQLALCHEMY_DATABASE_URI=f"sqlite:///{workdir}/bench.sqlite3",
                     INSTANCE_DIR=workdir, STORAGE_DIR=workdir / "files", TESTING=False)
    with app.app_context():
        upgrade()
    return app, workdir


def make_wave(code: str = "BENCH", population: int = 200_000):
    """The programme's questionnaire and one open wave (call inside an app context)."""
    from qms.core import audit
    from qms.extensions import db
    from qms.surveys import services
    from qms.surveys.demo import QUESTIONNAIRE
    from qms.surveys.models import WaveStatus

    with audit.acting_as(audit.SYSTEM):
        version = services.load_yaml(QUESTIONNAIRE.read_text(encoding="utf-8"), publish=True)
        wave = services.create_wave(version.survey, code=code, name="Benchmark",
                                    starts_on=date(2024, 3, 1), ends_on=date(2024, 3, 31),
                                    population=population)
        services.move_wave(wave, WaveStatus.OPEN)
        db.session.commit()
    return wave
