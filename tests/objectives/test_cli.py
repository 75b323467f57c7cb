"""``qms compute-kpis``: fills the missing periods, then recomputes and lists changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from qms.core import audit
from qms.core.db import frozen_clock
from qms.core.time import today_local
from qms.extensions import db
from qms.nonconformities import services as nc_services
from qms.objectives.models import KPIValue
from tests.conftest import PASSWORD, user
from tests.nonconformities.conftest import make_nc, verified
from tests.objectives.conftest import make_objective, make_process


def _close_nc(detected_days_ago: int, closed_days_ago: int) -> None:
    moment = datetime.now(UTC) - timedelta(days=closed_days_ago)
    detected = today_local() - timedelta(days=detected_days_ago)
    with frozen_clock(moment):
        nc = verified(make_nc(make_process("PAG"), detected_on=detected))
        nc_services.close_nonconformity(nc, expected_version=nc.version, actor=user("calidad"),
                                        password=PASSWORD)


def test_compute_kpis_fills_missing_periods_then_reports_changes(app):
    runner = app.test_cli_runner()
    with app.app_context(), audit.acting_as(user("calidad")):
        _close_nc(150, 130)
        make_objective("OBJ-SGC-02", method="computed", frequency="monthly", direction="<=",
                       target=30, unit="días", computation="nc_median_days_to_close")
        db.session.commit()
    result = runner.invoke(args=["qms", "compute-kpis"])
    assert result.exit_code == 0, result.output
    assert "OBJ-SGC-02:" in result.output and "1 values computed" in result.output
    with app.app_context():
        stored = db.session.execute(select(KPIValue.period, KPIValue.value)).all()
    assert [v for _p, v in stored] == [20.0]
    again = runner.invoke(args=["qms", "compute-kpis"])
    assert "0 values computed" in again.output
    with app.app_context(), audit.acting_as(user("calidad")):
        _close_nc(170, 130)  # a second NC closed the same day, 40 days after detection
        db.session.commit()
    result = runner.invoke(args=["qms", "compute-kpis", "--recompute"])
    assert result.exit_code == 0, result.output
    assert "stored 20, recomputed 30 (+10)" in result.output
    assert "1 computed values differ on recomputation." in result.output
