"""Management-review routes × roles. Quality officers compile, enter inputs, hold and
decide; managers approve the minutes; an action's owner (the seeded process owner)
records its progress; everybody on staff reads, certifiers included."""

import io
from datetime import timedelta

from qms.core.db import now_utc
from qms.core.storage import store
from qms.core.time import today_local
from qms.extensions import db
from qms.reviews.compile import snapshot_hash
from qms.reviews.enums import DecisionKind, ReviewActionStatus, ReviewStatus
from qms.reviews.models import ManagementReview, ReviewAttendee, ReviewDecision
from tests.matrix import ANY_USER, EDITORS, Row

ORDER = 70

MANAGER = frozenset({"manager"})
OWNER_TOO = EDITORS | {"process_owner"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

P = "/revision-direccion"
A = "/api/v1/reviews"
PLANNED = f"{P}/{{planned_review}}"
HELD = f"{P}/{{held_review}}"

ROUTES = [
    Row("GET", f"{P}/", ANY_USER),
    Row("GET", f"{P}/nueva", EDITORS),
    Row("POST", f"{P}/nueva", EDITORS),
    Row("GET", f"{P}/<int:review_id>", ANY_USER, PLANNED),
    Row("GET", f"{P}/<int:review_id>/editar", EDITORS, f"{PLANNED}/editar"),
    Row("POST", f"{P}/<int:review_id>/editar", EDITORS, f"{PLANNED}/editar"),
    Row("POST", f"{P}/<int:review_id>/compilar", EDITORS, f"{PLANNED}/compilar"),
    Row("POST", f"{P}/<int:review_id>/realizar", EDITORS, f"{PLANNED}/realizar"),
    Row("POST", f"{P}/<int:review_id>/anular", EDITORS, f"{PLANNED}/anular"),
    Row("POST", f"{P}/<int:review_id>/conclusiones", EDITORS, f"{HELD}/conclusiones"),
    Row("POST", f"{P}/<int:review_id>/decisiones", EDITORS, f"{HELD}/decisiones"),
    Row("POST", f"{P}/decisiones/<int:decision_id>/accion", OWNER_TOO,
        f"{P}/decisiones/{{review_action}}/accion", note="action owned by the process owner"),
    Row("GET", f"{P}/decisiones/<int:decision_id>/evidencia", ANY_USER,
        f"{P}/decisiones/{{review_action}}/evidencia"),
    Row("GET", f"{P}/<int:review_id>/acta", ANY_USER, f"{HELD}/acta"),
    Row("GET", f"{P}/<int:review_id>/acta.pdf", ANY_USER, f"{HELD}/acta.pdf"),
    Row("POST", f"{P}/<int:review_id>/aprobar", MANAGER, f"{HELD}/aprobar",
        {"a-password": "no-es-la-clave"}),
    # API
    Row("GET", f"{A}/", ANY_USER),
    Row("GET", f"{A}/<int:review_id>", ANY_USER, f"{A}/{{held_review}}"),
    Row("POST", f"{A}/<int:review_id>/compile", EDITORS, f"{A}/{{planned_review}}/compile"),
    Row("POST", f"{A}/<int:review_id>/transitions", EDITORS, f"{A}/{{planned_review}}/transitions",
        data={"target": "held", "version": 999}, note="hold"),
    Row("POST", f"{A}/<int:review_id>/transitions", MANAGER, f"{A}/{{held_review}}/transitions",
        data={"target": "minutes_approved", "version": 999, "password": "x"},
        note="approve the minutes"),
    Row("GET", f"{A}/<int:review_id>/decisions", ANY_USER, f"{A}/{{held_review}}/decisions"),
    Row("POST", f"{A}/<int:review_id>/decisions", EDITORS, f"{A}/{{held_review}}/decisions",
        data={}),
]


def objects(users: dict) -> dict:
    """Rows built directly (one flush); the rules are tested in tests/reviews."""
    today = today_local()
    common = dict(title="Revisión", period_start=today - timedelta(days=90), period_end=today,
                  year=today.year)
    planned = ManagementReview(code=f"RD-{today.year}-91", number=91, planned_on=today,
                               **common)
    snapshot = {"format": 1, "period": [str(common["period_start"]), str(today)],
                "compiled_at": now_utc().isoformat(), "sections": {}, "attendees": [],
                "external_attendees": []}
    held = ManagementReview(code=f"RD-{today.year}-92", number=92, planned_on=today,
                            held_on=today, status=ReviewStatus.HELD, snapshot=snapshot,
                            snapshot_sha256=snapshot_hash(snapshot), held_at=now_utc(),
                            **common)
    for review in (planned, held):
        review.attendees.append(ReviewAttendee(user=users["direccion"]))
    db.session.add_all([planned, held])
    db.session.flush()
    stored = store(io.BytesIO(PNG), "evidencia.png")
    action = ReviewDecision(review=held, number=1, kind=DecisionKind.RESOURCES, text="Técnicos",
                            action_owner=users["duenio"], action_due_on=today,
                            action_status=ReviewActionStatus.PLANNED,
                            action_evidence_file=stored)
    db.session.add(action)
    db.session.flush()
    return {"planned_review": planned.id, "held_review": held.id, "review_action": action.id}
