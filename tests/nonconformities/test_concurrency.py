"""Concurrent creations keep NC codes unique and gapless, on SQLite and PostgreSQL,
even when some creating transactions roll back after taking their number."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from qms.core import audit
from qms.core.errors import ValidationError
from qms.core.time import today_local
from qms.core.uow import write_first
from qms.extensions import db
from qms.nonconformities.models import NCYearCounter, Nonconformity
from qms.processes.models import Process
from tests.nonconformities.conftest import make_nc, make_process

THREADS = 8


def _hammer(app, process_code: str, per_thread: int) -> tuple[list[str], int]:
    """Each thread creates ``per_thread`` NCs; every 7th creation fails after taking its
    number (its transaction rolls back). Returns the codes kept and the failures."""
    barrier = threading.Barrier(THREADS)
    failures = []

    def worker(index: int) -> list[str]:
        codes = []
        with app.test_request_context():
            from tests.conftest import user

            with audit.acting_as(user("calidad")):
                barrier.wait()
                for n in range(per_thread):
                    doomed = (index * per_thread + n) % 7 == 0

                    def work(doomed=doomed):
                        process = db.session.scalar(select(Process).where(
                            Process.code == process_code))
                        nc = make_nc(process)
                        if doomed:
                            raise ValidationError("simulated failure after numbering")
                        return nc.code

                    try:
                        codes.append(write_first(work))
                    except ValidationError:
                        failures.append(index)
            db.session.remove()
        return codes

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(worker, range(THREADS)))
    return [code for chunk in results for code in chunk], len(failures)


def _numbers(codes: list[str]) -> list[int]:
    year = today_local().year
    assert all(code.startswith(f"NC-{year}-") for code in codes)
    return sorted(int(code.rsplit("-", 1)[1]) for code in codes)


def test_concurrent_service_creations_on_sqlite(app):
    with app.app_context(), audit.acting_as(audit.SYSTEM):
        make_process("PAG")
        db.session.commit()
    codes, failed = _hammer(app, "PAG", 40)
    assert failed > 0
    assert _numbers(codes) == list(range(1, len(codes) + 1))
    with app.app_context():
        assert db.session.get(NCYearCounter, today_local().year).last_number == len(codes)


@pytest.mark.postgres
def test_concurrent_service_creations_on_postgresql(pg_app):
    with pg_app.app_context(), audit.acting_as(audit.SYSTEM):
        if db.session.scalar(select(Process.id).where(Process.code == "NCPG")) is None:
            make_process("NCPG")
            db.session.commit()
        counter = db.session.get(NCYearCounter, today_local().year)
        before = counter.last_number if counter else 0
        db.session.remove()
    codes, failed = _hammer(pg_app, "NCPG", 40)
    assert failed > 0
    assert _numbers(codes) == list(range(before + 1, before + len(codes) + 1))
    with pg_app.app_context():
        stored = db.session.scalars(select(Nonconformity.number).where(
            Nonconformity.year == today_local().year, Nonconformity.number > before)).all()
        assert sorted(stored) == list(range(before + 1, before + len(codes) + 1))
        count, problem = audit.verify_chain(db.session)
        assert problem is None
        db.session.remove()
