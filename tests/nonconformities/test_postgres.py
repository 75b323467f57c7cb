"""The same rules on PostgreSQL: a whole NC life, the register's SQL and the charts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from qms.core import audit
from qms.core.db import frozen_clock
from qms.extensions import db
from qms.nonconformities import export, register, services
from qms.nonconformities.enums import NCStatus
from qms.nonconformities.models import Nonconformity
from qms.processes.models import Process
from tests.conftest import PASSWORD, user
from tests.nonconformities.conftest import make_nc, make_process, to_implementation, verified

pytestmark = pytest.mark.postgres


def test_nc_life_register_and_charts_on_postgresql(pg_app):
    with pg_app.test_request_context(), audit.acting_as(user("calidad")):
        process = db.session.scalar(select(Process).where(Process.code == "NCPGL")) \
            or make_process("NCPGL")
        closed = verified(make_nc(process))
        services.close_nonconformity(closed, expected_version=closed.version,
                                     actor=user("calidad"), password=PASSWORD)
        late = to_implementation(make_nc(process, title="Con acción vencida"))
        db.session.commit()
        assert closed.status == NCStatus.CLOSED and closed.closed_at.tzinfo is not None
        due = late.actions[0].due_on
        with frozen_clock(datetime.combine(due + timedelta(days=2), datetime.min.time(),
                                           tzinfo=UTC) + timedelta(hours=18)):
            ids = db.session.scalars(register.register_query(
                register.Filters(overdue=True, process_id=process.id))).all()
            assert [nc.id for nc in ids] == [late.id]
        for sort in register.SORTS:
            for key in (sort, f"-{sort}"):
                rows = db.session.scalars(register.register_query(
                    register.Filters(process_id=process.id, sort=key))).all()
                assert {nc.id for nc in rows} == {closed.id, late.id}
        figures = register.chart_figures()
        assert ("NCPGL", 1) in figures["by_process"]
        assert any(code == "NCPGL" for code, _ in figures["days_to_close"])
        stored = db.session.get(Nonconformity, closed.id)
        assert stored.analyses[0].whys == ["Se pagó a otro", "Cruce por nombre"]
        assert "NC-" in "".join(export.export_csv(register.Filters(process_id=process.id)))
        db.session.remove()
