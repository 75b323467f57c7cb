"""The bell, the inbox, preferences, the rules' settings, the outbox and managers."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from qms.core import audit
from qms.core.settings import get_setting
from qms.extensions import db
from qms.reminders import jobs, services
from qms.reminders.models import (
    Delivery,
    Notification,
    OutboxMessage,
    OutboxStatus,
    ReminderPreference,
)
from tests.conftest import login, post_form, user
from tests.reminders.conftest import moment, overdue_action_world

BADGE = re.compile(r'data-unread="(\d+)"')


def _world(app):
    with app.app_context():
        nc, action = overdue_action_world()
        day = action.due_on + timedelta(days=1)
        jobs.sweep(moment(day), day, send=False)
        nc_id, code = nc.id, nc.code
        db.session.remove()
    return nc_id, code


def test_bell_inbox_open_and_mark_read(app, client):
    nc_id, code = _world(app)
    login(client, "duenio")
    page = client.get("/inicio").get_data(as_text=True)
    assert BADGE.search(page).group(1) == "1"
    inbox = client.get("/avisos/").get_data(as_text=True)
    assert f"La acción correctiva AC-1 de {code} venció el" in inbox
    assert "Acciones correctivas · Vencido" in inbox
    with app.app_context():
        notification_id = db.session.scalar(select(Notification.id).where(
            Notification.user_id == user("duenio").id))
    opened = post_form(client, f"/avisos/{notification_id}/leido", {"abrir": "1"},
                       token_from="/avisos/")
    assert opened.status_code == 302 and opened.headers["Location"] == f"/no-conformidades/{nc_id}"
    assert BADGE.search(client.get("/inicio").get_data(as_text=True)) is None
    assert "No tiene avisos sin leer." in client.get("/avisos/?no_leidos=1").get_data(as_text=True)


def test_mark_all_read_and_another_users_notification_is_refused(app, client):
    _world(app)
    with app.app_context():
        mine = db.session.scalar(select(Notification.id).where(
            Notification.user_id == user("duenio").id))
    login(client, "auditor")
    assert post_form(client, f"/avisos/{mine}/leido", token_from="/avisos/").status_code == 403
    client.post("/logout", data={"csrf_token": ""})
    client = app.test_client()
    login(client, "duenio")
    response = post_form(client, "/avisos/leidos", token_from="/avisos/", follow_redirects=True)
    assert "1 avisos marcados como leídos." in response.get_data(as_text=True)
    with app.app_context():
        assert services.unread_count(user("duenio").id) == 0


def test_preferences_choose_digest_and_rules(app, client):
    login(client, "duenio")
    page = client.get("/avisos/preferencias").get_data(as_text=True)
    assert "Un resumen diario" in page and "Revisión periódica de documentos" in page
    response = post_form(client, "/avisos/preferencias",
                         {"delivery": "digest", "rules": ["corrective_action", "nc_stuck"]},
                         follow_redirects=True)
    assert "Preferencias de avisos guardadas." in response.get_data(as_text=True)
    with app.app_context():
        pref = db.session.get(ReminderPreference, user("duenio").id)
        assert pref.delivery == Delivery.DIGEST
        assert "document_review" in pref.muted_rules and "corrective_action" not in pref.muted_rules
    bad = post_form(client, "/avisos/preferencias", {"delivery": "pigeon"})
    assert bad.status_code == 200 and "Opción inválida." in bad.get_data(as_text=True)


def test_settings_page_saves_days_and_refuses_nonsense(app, client):
    login(client, "calidad")
    page = client.get("/avisos/configuracion").get_data(as_text=True)
    assert "Acciones correctivas: avisar con (días de anticipación)" in page
    form = {"reminders__corrective_action__days_before": "10"}
    for key in re.findall(r'name="(reminders__[a-z_]+)"', page):
        form.setdefault(key, re.search(rf'name="{key}"[^>]*value="(\d+)"', page).group(1))
    response = post_form(client, "/avisos/configuracion", form, follow_redirects=True)
    assert "Configuración de avisos guardada." in response.get_data(as_text=True)
    with app.app_context():
        assert get_setting("reminders.corrective_action.days_before") == 10
    form["reminders__escalation_days"] = "0"
    refused = post_form(client, "/avisos/configuracion", form)
    assert refused.status_code == 200
    assert "reminders__escalation_days-error" in refused.get_data(as_text=True)
    with app.app_context():
        assert get_setting("reminders.escalation_days") == 14


def test_outbox_page_shows_failures_and_retries(app, client):
    _world(app)
    with app.app_context():
        message = db.session.scalar(select(OutboxMessage).where(
            OutboxMessage.user_id == user("duenio").id))
        message.status, message.attempts = OutboxStatus.FAILED, 8
        message.last_error = "SMTPRecipientsRefused: 550 no such user"
        db.session.commit()
        message_id = message.id
    login(client, "admin")
    page = client.get("/avisos/bandeja-de-salida?estado=failed").get_data(as_text=True)
    assert "550 no such user" in page and "Reintentar ahora" in page
    post_form(client, f"/avisos/bandeja-de-salida/{message_id}/reintentar",
              token_from="/avisos/bandeja-de-salida")
    with app.app_context():
        again = db.session.get(OutboxMessage, message_id)
        assert again.status == OutboxStatus.PENDING and again.attempts == 0
    assert client.get("/avisos/bandeja-de-salida?estado=nada").status_code == 400


def test_managers_page_records_who_hears_of_escalations(app, client):
    login(client, "admin")
    with app.app_context():
        duenio, direccion = user("duenio").id, user("direccion").id
    response = post_form(client, "/avisos/jefes", {"user_id": duenio, "manager_id": direccion},
                         follow_redirects=True)
    assert "Jefe inmediato de Usuario Duenio guardado." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(ReminderPreference, duenio).manager_id == direccion
    refused = post_form(client, "/avisos/jefes", {"user_id": duenio, "manager_id": duenio})
    assert "no puede ser su propio jefe inmediato" in refused.get_data(as_text=True)
    with app.app_context(), audit.acting_as(audit.SYSTEM):
        assert db.session.get(ReminderPreference, duenio).manager_id == direccion
