"""The pack on PostgreSQL: gathered, sealed and verified; a dead run recovered."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from qms.core import audit
from qms.core.db import now_utc
from qms.evidence import jobs
from qms.evidence.models import EvidencePack, PackStatus
from qms.evidence.verify import verify
from qms.extensions import db
from qms.processes.models import Process
from tests.conftest import user
from tests.evidence.conftest import make_pack, period
from tests.nonconformities.conftest import make_nc, make_process

pytestmark = pytest.mark.postgres


def test_pack_and_recovery_on_postgresql(pg_app, tmp_path):
    with pg_app.test_request_context(), audit.acting_as(user("calidad")):
        process = db.session.scalar(select(Process).where(Process.code == "EVPG")) \
            or make_process("EVPG")
        make_nc(process, title="No conformidad en PostgreSQL")
        db.session.commit()
        path, data = make_pack(tmp_path, as_zip=True, processes=["EVPG"])
        assert verify(path).ok
        assert data.manifest["audit_trail"]["chain_intact"] is True
        assert any(r["type"] == "nonconformity" for r in data.manifest["records"])
        stale = now_utc() - timedelta(minutes=10)
        dead = EvidencePack(pack_uid=f"{now_utc().timestamp():032.0f}"[-32:],
                            period_start=period()[0], period_end=period()[1],
                            status=PackStatus.RUNNING, requested_by_id=user("calidad").id,
                            requested_at=stale, heartbeat_at=stale)
        db.session.add(dead)
        db.session.commit()
        assert jobs.recover() >= 1
        db.session.commit()
        db.session.refresh(dead)
        assert dead.status == PackStatus.FAILED
