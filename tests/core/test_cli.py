"""Operational commands through the CLI runner."""

import sqlite3

from sqlalchemy import func, select

from qms.auth.models import User
from qms.core.cli import qms
from qms.extensions import db
from qms.processes.models import Process


def run(app, *args, **kwargs):
    return app.test_cli_runner().invoke(qms, list(args), **kwargs)


def test_create_user_and_its_errors(app):
    result = run(app, "create-user", "--username", "lmartinez", "--full-name", "Luis Martínez",
                 "--email", "lm@example.hn", "--role", "auditor", "--password", "clave-segura-12")
    assert result.exit_code == 0, result.output
    result = run(app, "create-user", "--username", "lmartinez", "--full-name", "Otro",
                 "--email", "otro@example.hn", "--role", "auditor", "--password", "clave-segura-12")
    assert result.exit_code == 1 and "username: Ya existe un usuario con ese nombre." in result.output
    result = run(app, "create-user", "--username", "cert", "--full-name", "Cert",
                 "--email", "cert@example.hn", "--role", "certifier", "--password", "clave-segura-12")
    assert result.exit_code == 1 and "access_expires_on" in result.output
    result = run(app, "create-user", "--username", "x", "--full-name", "X", "--email", "x@example.hn",
                 "--role", "jefe", "--password", "clave-segura-12")
    assert result.exit_code == 2 and "jefe" in result.output


def test_init_is_idempotent(app):
    assert run(app, "init").exit_code == 0
    result = run(app, "init")
    assert result.exit_code == 0 and "up to date" in result.output


def test_seed_demo_skips_a_database_with_users_and_force_seeds(app):
    result = run(app, "seed-demo")
    assert result.exit_code == 0 and "already has users" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Process.id))) == 0


def test_seed_demo_on_an_empty_database(app):
    with app.app_context():
        # An empty database: no users yet (the audit trail keeps their creation events).
        db.session.execute(User.__table__.delete())
        db.session.commit()
    result = run(app, "seed-demo")
    assert result.exit_code == 0, result.output
    assert "7 demo accounts" in result.output
    table = run(app, "demo-logins")  # what `make run` prints on every start
    assert table.exit_code == 0 and "Cuentas de demostración" in table.output
    assert "calidad       Responsable de calidad" in table.output  # the role's Spanish name
    assert "Auditor externo (certificador)" in table.output and "quality_officer" not in table.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Process.id))) >= 8
        assert db.session.scalar(select(func.count(User.id))) == 7
    assert run(app, "verify-audit-log").exit_code == 0


def test_backup_is_a_consistent_restorable_copy(app, tmp_path):
    from qms.processes.models import ProcessCategory
    from qms.processes.services import create_process
    from tests.conftest import user

    with app.app_context():
        create_process(code="PAG", name="Entrega del bono", category=ProcessCategory.OPERATIONAL,
                       owner=user("duenio"))
        db.session.commit()
    target = tmp_path / "copia.sqlite3"
    result = run(app, "backup", "--output", str(target))
    assert result.exit_code == 0, result.output
    restored = sqlite3.connect(target)
    assert restored.execute("SELECT name FROM process WHERE code = 'PAG'").fetchone() == (
        "Entrega del bono",)
    assert restored.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    restored.close()
