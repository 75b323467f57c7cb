"""Demo survey: the programme's questionnaire, three waves, a few thousand responses."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from qms.core.cli import seed_step
from qms.core.settings import get_setting
from qms.core.uow import commit
from qms.surveys import importer, services, synthetic
from qms.surveys.models import WaveStatus

QUESTIONNAIRE = Path(__file__).resolve().parent / "data" / "satisfaccion_bvm.yaml"
#: (code, name, start, end, responses, mood shift): satisfaction improves after payments
#: moved to e-wallets in the second half of 2024.
WAVES = [
    ("2024-1", "Primera ronda 2024", date(2024, 3, 1), date(2024, 3, 31), 1500, -0.25),
    ("2024-2", "Segunda ronda 2024", date(2024, 9, 1), date(2024, 9, 30), 1500, 0.0),
    ("2025-1", "Primera ronda 2025", date(2025, 3, 1), date(2025, 3, 31), 1800, 0.25),
]


@seed_step(50, "surveys")
def seed_surveys() -> str:
    version = services.load_yaml(QUESTIONNAIRE.read_text(encoding="utf-8"), publish=True)
    survey = version.survey
    total = 0
    with tempfile.TemporaryDirectory() as tmp:
        for number, (code, name, start, end, count, mood) in enumerate(WAVES, start=1):
            wave = services.create_wave(survey, code=code, name=name, starts_on=start,
                                        ends_on=end, population=200_000)
            weights = synthetic.DEPARTMENT_WEIGHTS
            targets = {d: (round(count * w / sum(weights.values())),
                           round(200_000 * w / sum(weights.values())))
                       for d, w in weights.items()}
            services.update_wave(wave, expected_version=wave.version, name=name, starts_on=start,
                                 ends_on=end, population=200_000, targets=targets)
            services.move_wave(wave, WaveStatus.OPEN)
            path = synthetic.write_csv(Path(tmp) / f"{code}.csv", count, seed=number,
                                       starts_on=start, mood=mood, start_id=number * 100_000)
            # The import publishes in its own short transactions: commit the waves (and the
            # earlier seed steps) first, as an officer's import would find them.
            commit()
            report = importer.run_import(wave, path, file_name=f"kobo-{code}.csv",
                                         skip_invalid=True)
            total += report.imported
            if number < len(WAVES):
                services.move_wave(wave, WaveStatus.CLOSED)
    services.save_mapping(survey, {"datos_generales/id_hogar": "_beneficiary_id"})
    raised = _raise_demo_finding(wave)
    return (f"Survey {survey.code}: {len(WAVES)} waves, {total} responses "
            f"(groups under {get_setting('surveys.min_group_size')} suppressed)"
            + (f"; {raised} raised from its lowest finding." if raised else "."))


def _raise_demo_finding(wave) -> str | None:
    """The quality officer raises an NC from the lowest-scoring finding of the latest wave,
    as the results page offers: the NC links back to a wave that exists."""
    from sqlalchemy import select

    from qms.auth.models import User
    from qms.extensions import db
    from qms.nonconformities.enums import NCSeverity
    from qms.processes.models import Process
    from qms.surveys import findings, results

    # a low score first (the lowest share satisfied), else the complaints finding
    found = sorted(findings.findings(results.wave_results(wave)),
                   key=lambda f: (not f.key.startswith("low_score:"), f.pct))
    officer = db.session.scalar(select(User).where(User.username == "calidad"))
    if not found or officer is None:
        return None
    process = db.session.scalar(select(Process).where(Process.code == "PAG"))
    nc = findings.raise_nonconformity(wave, found[0].key, department_code=None,
                                      process=process, severity=NCSeverity.MINOR,
                                      detected_by=officer)
    return nc.code
