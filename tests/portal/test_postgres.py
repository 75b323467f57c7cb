"""Payments import, complaints and the portal's snapshot on a real PostgreSQL server."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from qms.complaints import services as complaints
from qms.core import audit
from qms.core.uow import write_first
from qms.extensions import db
from qms.nonconformities.enums import NCSource
from qms.nonconformities.models import Nonconformity
from qms.payments import importer
from qms.payments.models import PaymentAggregate
from qms.processes.models import ProcessCategory
from qms.processes.services import create_process
from tests.conftest import user
from tests.fixtures_postgres import pg_app_copy
from tests.payments.conftest import payments_csv
from tests.portal.conftest import ROWS, SMALL_TOWN

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg(pg_server, pg_template, tmp_path):
    with pg_app_copy(pg_server, pg_template, tmp_path, "qms_portal") as application, \
            application.app_context():
        yield application


def test_import_complaint_nc_and_snapshot_on_postgres(pg):
    from qms.portal import cache

    with audit.acting_as(audit.SYSTEM):
        importer.import_payments(payments_csv(ROWS), "pagos.csv")
        db.session.commit()
        again = importer.import_payments(payments_csv(ROWS), "pagos.csv")
        db.session.commit()
    assert again.periods == {"2025-01": "unchanged"}
    assert db.session.scalar(select(func.count(PaymentAggregate.id))) == len(ROWS)
    with pytest.raises(importer.ImportRejected):
        importer.import_payments(payments_csv([{**ROWS[0], "hogares_pagados": "999"}]), "x.csv")
    db.session.rollback()

    with pg.test_request_context():
        complaint = complaints.file_complaint(
            category="money_request", description="Me pidieron dinero por el bono.",
            department_code="08", contact_phone="9999-1111")
        process = create_process(code="QUE", name="Quejas", category=ProcessCategory.SUPPORT,
                                 owner=user("duenio"))
        db.session.commit()
        officer = user("calidad")
        with audit.acting_as(officer):
            _c, nc = write_first(lambda: complaints.raise_nonconformity(
                complaint.id, officer, process=process, severity="minor", title=None))
        assert db.session.get(Nonconformity, nc.id).source == NCSource.CITIZEN_COMPLAINT

        cache.clear()
        snap = cache.snapshot()
        munis = {r["municipio_codigo"]: r for r in snap.datasets["pagos-municipio"].rows}
        assert munis[SMALL_TOWN]["hogares_programados"] is None
        assert snap.datasets["no-conformidades-trimestre"].rows[0]["abiertas"] == 1
