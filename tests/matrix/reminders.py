from datetime import date

from qms.extensions import db
from qms.reminders.models import (
    Delivery,
    MessageKind,
    Notification,
    OutboxMessage,
    OutboxStatus,
    Stage,
)
from tests.matrix import ANY_USER, EDITORS, Row

ORDER = 90
ADMIN = frozenset({"admin"})

ROUTES = [
    Row("GET", "/avisos/", ANY_USER),
    Row("POST", "/avisos/leidos", ANY_USER),
    Row("POST", "/avisos/<int:notification_id>/leido", ADMIN, "/avisos/{admin_notification}/leido",
        note="the administrator's own notification (another user's inbox is refused)"),
    Row("GET", "/avisos/preferencias", ANY_USER),
    Row("POST", "/avisos/preferencias", ANY_USER, data={"delivery": "digest"}),
    Row("GET", "/avisos/configuracion", EDITORS),
    Row("POST", "/avisos/configuracion", EDITORS),
    Row("GET", "/avisos/bandeja-de-salida", ADMIN),
    Row("POST", "/avisos/bandeja-de-salida/<int:message_id>/reintentar", ADMIN,
        "/avisos/bandeja-de-salida/{failed_message}/reintentar"),
    Row("GET", "/avisos/jefes", ADMIN),
    Row("POST", "/avisos/jefes", ADMIN),
]


def objects(users: dict) -> dict:
    admin = users["admin"]
    key = f"corrective_action:corrective_action:1:2026-01-10:{admin.id}:overdue"
    notification = Notification(
        key=key, user_id=admin.id, rule="corrective_action", stage=Stage.OVERDUE,
        record_type="corrective_action", record_id="1", due_on=date(2026, 1, 10),
        params={"code": "NC-2026-001", "number": 1, "title": "Prueba"},
        link_endpoint="core.dashboard", link_values={}, delivery=Delivery.IMMEDIATE)
    message = OutboxMessage(key=key, message_id=f"<matrix.{admin.id}@example.hn>",
                            kind=MessageKind.SINGLE, user_id=admin.id,
                            status=OutboxStatus.FAILED, attempts=8, last_error="550 no")
    db.session.add_all([notification, message])
    db.session.flush()
    return {"admin_notification": notification.id, "failed_message": message.id}
