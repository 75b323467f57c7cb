"""Objectives on PostgreSQL: every computation's SQL, the unique period, the import,
the facts readers use and the dashboard's grouped queries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from qms.core import audit
from qms.core.db import frozen_clock
from qms.core.time import today_local
from qms.extensions import db
from qms.nonconformities import services as nc_services
from qms.objectives import computations, facts, importer, services
from qms.objectives.enums import ValueSource
from qms.objectives.models import KPIValue
from qms.objectives.periods import parse_period
from tests.conftest import PASSWORD, user
from tests.nonconformities.conftest import make_nc, verified
from tests.objectives.conftest import make_objective, make_process

pytestmark = pytest.mark.postgres


def test_objectives_values_and_computations_on_postgresql(pg_app):
    with pg_app.test_request_context(), audit.acting_as(user("calidad")):
        process = make_process("OBJPG")
        with frozen_clock(datetime(2026, 2, 10, 16, tzinfo=UTC)):
            for days in (10, 90):
                nc = verified(make_nc(process, detected_on=date(2026, 2, 10) - timedelta(days)))
                nc_services.close_nonconformity(nc, expected_version=nc.version,
                                                actor=user("calidad"), password=PASSWORD)
        manual = make_objective("OBJ-PG-01", process="OBJPG")
        computed = make_objective("OBJ-PG-02", process="OBJPG", method="computed",
                                  computation="nc_closed_on_time",
                                  computation_params={"target_days": 60,
                                                      "process_code": "OBJPG"})
        services.record_value(manual, period="2026-T1", value="96,5", actor=user("duenio"))
        value = services.compute_value(computed, period="2026-T1", actor=None)
        assert (value.value, value.parameters) == (50.0, {"target_days": 60,
                                                          "process_code": "OBJPG"})
        assert services.recompute_value(value) is None and value.recomputed_value == 50.0
        period = parse_period("2026-T1", services.Frequency.QUARTERLY)
        for computation in computations.REGISTRY.values():
            result = computation.func(period, computation.clean_params({}))
            assert result is None or isinstance(result, float), computation.key
        median = computations.get("nc_median_days_to_close")
        assert median.func(period, {"process_code": "OBJPG"}) == 50.0
        result = importer.import_values(b"objetivo,periodo,valor\nOBJ-PG-01,2026-T2,97\n",
                                        actor=user("calidad"), may_record=lambda o: True)
        assert [v.period for v in result.values] == ["2026-T2"]
        db.session.commit()

        results = {r.code: r for r in facts.objective_results(date(2026, 1, 1),
                                                               date(2026, 6, 30), ["OBJPG"])}
        assert (results["OBJ-PG-01"].latest_value, results["OBJ-PG-01"].met) == (97.0, True)
        assert (results["OBJ-PG-02"].latest_period, results["OBJ-PG-02"].met) == ("2026-T1",
                                                                                  False)
        assert "qms-chart-target" in facts.objective_chart_svg(manual.id, date(2026, 1, 1),
                                                               date(2026, 12, 31))
        # The database itself refuses a second value for a period.
        with pytest.raises(IntegrityError), db.session.begin_nested():
            db.session.add(KPIValue(objective_id=manual.id, period="2026-T1",
                                    period_start=date(2026, 1, 1), period_end=date(2026, 3, 31),
                                    value=1, source=ValueSource.MANUAL))
        db.session.rollback()
        assert len(db.session.scalars(select(KPIValue.id).where(
            KPIValue.objective_id == manual.id)).all()) == 2

        from sqlalchemy import func

        from qms.dashboard.panel import gather
        from qms.nonconformities.enums import OPEN_STATUSES
        from qms.nonconformities.models import Nonconformity

        data = gather(today_local())
        still_open = db.session.scalar(select(func.count(Nonconformity.id)).where(
            Nonconformity.status.in_([s.value for s in OPEN_STATUSES])))
        assert data.open_total.value == still_open  # the same figure the register counts
        assert any(r.code == "OBJ-PG-01" for r in data.objectives)
        db.session.remove()
