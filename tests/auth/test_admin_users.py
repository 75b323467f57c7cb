"""The admin's user page: create, edit, certifier expiry, bad input."""

from sqlalchemy import select

from qms.auth.models import Role, User
from qms.extensions import db
from tests.conftest import post_form


def _new_user(client, **overrides):
    data = {"username": "nuevo", "full_name": "Nueva Persona", "email": "nuevo@example.hn",
            "role": "auditor", "password": "una-clave-larga-1"}
    data.update(overrides)
    return post_form(client, "/admin/usuarios/nuevo", data)


def test_admin_creates_a_user_who_can_log_in(app, login_as):
    client = login_as("admin")
    response = _new_user(client)
    assert response.status_code == 302
    with app.app_context():
        created = db.session.scalar(select(User).where(User.username == "nuevo"))
        assert created.role == Role.AUDITOR
        assert created.password_hash.startswith("$argon2id$")


def test_duplicate_username_is_refused_on_the_field(login_as):
    response = _new_user(login_as("admin"), username="calidad")
    assert response.status_code == 200
    assert "Ya existe un usuario con ese nombre." in response.get_data(as_text=True)


def test_certifier_needs_an_expiry_date(login_as):
    response = _new_user(login_as("admin"), role="certifier")
    assert "necesitan una fecha de vencimiento" in response.get_data(as_text=True)


def test_short_password_is_refused(login_as):
    response = _new_user(login_as("admin"), password="corta")
    assert response.status_code == 200
    assert "10" in response.get_data(as_text=True)


def test_stale_edit_is_refused_not_overwritten(app, login_as):
    client = login_as("admin")
    with app.app_context():
        target = db.session.scalar(select(User).where(User.username == "auditor"))
        target_id, version = target.id, target.version
    common = {"username": "auditor", "email": "auditor@example.hn", "role": "auditor",
              "active": "y", "version": version}
    first = post_form(client, f"/admin/usuarios/{target_id}", {**common, "full_name": "Primera"})
    assert first.status_code == 302
    second = post_form(client, f"/admin/usuarios/{target_id}", {**common, "full_name": "Segunda"})
    assert "Otra persona modificó este registro" in second.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, target_id).full_name == "Primera"
