"""The same code and migrations on a real PostgreSQL server (started by the fixture)."""

from __future__ import annotations

import itertools
import subprocess
import threading

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from qms.core import audit
from qms.core.cli import qms
from qms.core.errors import ConflictError
from qms.extensions import db
from qms.processes.models import Process, ProcessCategory
from qms.processes.services import create_process, update_process
from tests.conftest import make_app, user
from tests.fixtures_postgres import disposed

pytestmark = pytest.mark.postgres
_counter = itertools.count(1)


def _new_process(code: str) -> Process:
    return create_process(code=code, name=f"Proceso {code}", category=ProcessCategory.SUPPORT,
                          owner=user("duenio"))


def test_migrations_go_down_and_up_again(fresh_pg_app):
    with fresh_pg_app.app_context():
        downgrade(revision="base")
        tables = db.session.execute(text(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_name <> 'alembic_version'")).scalar()
        assert tables == 0
        db.session.commit()
        upgrade()
        assert db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()


def test_audit_trail_and_optimistic_locking_on_postgres(fresh_pg_app):
    with fresh_pg_app.app_context(), audit.acting_as(user("calidad")):
        process = _new_process("PAG")
        db.session.commit()
        update_process(process, expected_version=1, name="Pago", category=ProcessCategory.SUPPORT,
                       description="")
        db.session.commit()
        with pytest.raises(ConflictError):
            update_process(process, expected_version=1, name="Otro",
                           category=ProcessCategory.SUPPORT, description="")
        db.session.rollback()
        events = audit.history(db.session, process)
        assert [e.action for e in events] == ["insert", "update"]
        assert events[0].occurred_at.tzinfo is not None
        assert audit.verify_chain(db.session)[1] is None


def test_database_refuses_to_change_events_and_chain_detects_tampering(fresh_pg_app):
    with fresh_pg_app.app_context():
        for code in ("AAA", "BBB", "CCC"):
            _new_process(code)
            db.session.commit()
        with pytest.raises(Exception, match="append-only"):
            db.session.execute(text("UPDATE audit_event SET note = 'x'"))
        db.session.rollback()
        target = db.session.execute(text("SELECT max(id) - 1 FROM audit_event")).scalar()
        db.session.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
        db.session.execute(text(f"UPDATE audit_event SET actor_label = 'otro' WHERE id = {target}"))
        db.session.commit()
    result = fresh_pg_app.test_cli_runner().invoke(qms, ["verify-audit-log"])
    assert result.exit_code == 1 and f"event #{target}" in result.output


def test_concurrent_writers_keep_one_unbroken_chain(fresh_pg_app):
    errors: list[Exception] = []

    def writer(prefix: str) -> None:
        with fresh_pg_app.app_context():
            try:
                for i in range(15):
                    _new_process(f"{prefix}{i:02d}")
                    db.session.commit()
            except Exception as exc:  # reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=writer, args=(p,)) for p in ("A", "B", "C", "D")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with fresh_pg_app.app_context():
        count, problem = audit.verify_chain(db.session)
        assert problem is None and count >= 60 + 7


def test_backup_with_pg_dump_restores(fresh_pg_app, tmp_path):
    with fresh_pg_app.app_context():
        _new_process("PAG")
        db.session.commit()
    dump = tmp_path / "copia.dump"
    result = fresh_pg_app.test_cli_runner().invoke(qms, ["backup", "--output", str(dump)])
    assert result.exit_code == 0, result.output
    server = fresh_pg_app.config["PG_SERVER"]
    url = server.createdb(f"restored_{next(_counter)}")
    database = url.rsplit("/", 1)[1]
    subprocess.run([str(server.bin / "pg_restore"), "-h", "127.0.0.1", "-p", str(server.port),
                    "-U", "postgres", "-d", database, "--no-owner", str(dump)], check=True,
                   capture_output=True)
    with disposed(make_app(url, tmp_path)) as restored, restored.app_context():
        assert db.session.scalar(select(Process.name).where(Process.code == "PAG")) == "Proceso PAG"
        assert audit.verify_chain(db.session)[1] is None
