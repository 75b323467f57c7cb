import io

from qms.core.db import now_utc
from qms.core.time import today_local
from qms.extensions import db
from qms.nonconformities import services
from qms.nonconformities.enums import (
    ActionStatus,
    NCSeverity,
    NCSource,
    NCStatus,
)
from qms.nonconformities.models import (
    CorrectiveAction,
    EffectivenessVerification,
    NCAnalysis,
    Nonconformity,
)
from qms.processes.models import Process
from tests.matrix import ANY_USER, EDITORS, Row

ORDER = 40

OWNER_TOO = EDITORS | {"process_owner"}
REPORTERS = ANY_USER - {"certifier"}
#: Only the assigned verifier (the auditor on ``verif_nc``) records the result.
VERIFIER = {"auditor"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

P = "/no-conformidades"
A = "/api/v1/nonconformities"


def _both(method, rule, suffix="", own=OWNER_TOO, other=EDITORS, data=None):
    """The same route on an NC of the owner's process and on another owner's one."""
    base = A if rule.startswith(A) else P
    tail = rule.split("<int:nc_id>", 1)[1]
    return [
        Row(method, rule, own, f"{base}/{{own_nc}}{tail}{suffix}", data or {},
            note="NC of the process owner's process"),
        Row(method, rule, other, f"{base}/{{other_nc}}{tail}{suffix}", data or {},
            note="NC of another owner's process"),
    ]


ROUTES = [
    Row("GET", f"{P}/", ANY_USER),
    Row("GET", f"{P}/exportar.csv", ANY_USER),
    Row("GET", f"{P}/exportar.xlsx", ANY_USER),
    Row("GET", f"{P}/nueva", REPORTERS),
    Row("POST", f"{P}/nueva", REPORTERS),
    Row("GET", f"{P}/<int:nc_id>", ANY_USER, f"{P}/{{other_nc}}"),
    *_both("GET", f"{P}/<int:nc_id>/editar"),
    *_both("POST", f"{P}/<int:nc_id>/editar"),
    *_both("POST", f"{P}/<int:nc_id>/correccion"),
    *_both("POST", f"{P}/<int:nc_id>/analisis"),
    *_both("POST", f"{P}/<int:nc_id>/estado"),
    *_both("POST", f"{P}/<int:nc_id>/acciones"),
    *_both("POST", f"{P}/<int:nc_id>/verificacion"),
    *_both("POST", f"{P}/<int:nc_id>/anular"),
    # Files: the owner of an action on another owner's NC may attach its evidence.
    *_both("POST", f"{P}/<int:nc_id>/adjuntos", other=OWNER_TOO),
    Row("GET", f"{P}/<int:nc_id>/adjuntos/<int:attachment_id>", ANY_USER,
        f"{P}/{{own_nc}}/adjuntos/{{attachment}}"),
    Row("POST", f"{P}/<int:nc_id>/acciones/<int:action_id>", OWNER_TOO,
        f"{P}/{{own_nc}}/acciones/{{own_action}}", note="action on the owner's process"),
    Row("POST", f"{P}/<int:nc_id>/acciones/<int:action_id>", OWNER_TOO,
        f"{P}/{{other_nc}}/acciones/{{assigned_action}}", note="action assigned to the owner"),
    Row("POST", f"{P}/<int:nc_id>/acciones/<int:action_id>", EDITORS,
        f"{P}/{{other_nc}}/acciones/{{other_action}}", note="someone else's action"),
    Row("POST", f"{P}/<int:nc_id>/acciones/<int:action_id>/replanificar", OWNER_TOO,
        f"{P}/{{own_nc}}/acciones/{{own_action}}/replanificar", note="NC of the owner's process"),
    Row("POST", f"{P}/<int:nc_id>/acciones/<int:action_id>/replanificar", EDITORS,
        f"{P}/{{other_nc}}/acciones/{{assigned_action}}/replanificar",
        note="another owner's NC, even for the action's owner"),
    Row("POST", f"{P}/<int:nc_id>/verificacion/resultado", VERIFIER,
        f"{P}/{{verif_nc}}/verificacion/resultado", note="the auditor is the verifier"),
    Row("POST", f"{P}/<int:nc_id>/verificacion/resultado", set(),
        f"{P}/{{own_nc}}/verificacion/resultado", note="nobody assigned: nobody records"),
    Row("POST", f"{P}/<int:nc_id>/verificacion/reasignar", EDITORS,
        f"{P}/{{verif_nc}}/verificacion/reasignar"),
    Row("POST", f"{P}/<int:nc_id>/cerrar", EDITORS, f"{P}/{{verif_nc}}/cerrar"),
    # API
    Row("GET", f"{A}/", ANY_USER),
    Row("POST", f"{A}/", REPORTERS, data={}),
    Row("GET", f"{A}/<int:nc_id>", ANY_USER, f"{A}/{{own_nc}}"),
    Row("GET", f"{A}/<int:nc_id>/actions", ANY_USER, f"{A}/{{own_nc}}/actions"),
    *_both("PATCH", f"{A}/<int:nc_id>"),
    *_both("POST", f"{A}/<int:nc_id>/correction"),
    *_both("PUT", f"{A}/<int:nc_id>/analysis"),
    *_both("POST", f"{A}/<int:nc_id>/transitions"),
    *_both("POST", f"{A}/<int:nc_id>/actions"),
    Row("PATCH", f"{A}/<int:nc_id>/actions/<int:action_id>", OWNER_TOO,
        f"{A}/{{own_nc}}/actions/{{own_action}}", note="action on the owner's process"),
    Row("PATCH", f"{A}/<int:nc_id>/actions/<int:action_id>", OWNER_TOO,
        f"{A}/{{other_nc}}/actions/{{assigned_action}}", note="action assigned to the owner"),
    Row("PATCH", f"{A}/<int:nc_id>/actions/<int:action_id>", EDITORS,
        f"{A}/{{other_nc}}/actions/{{other_action}}", note="someone else's action"),
    Row("GET", f"{A}/<int:nc_id>/attachments", ANY_USER, f"{A}/{{own_nc}}/attachments"),
    *_both("POST", f"{A}/<int:nc_id>/attachments", other=OWNER_TOO),
    Row("GET", f"{A}/<int:nc_id>/attachments/<int:attachment_id>", ANY_USER,
        f"{A}/{{own_nc}}/attachments/{{attachment}}"),
    Row("POST", f"{A}/<int:nc_id>/verification-result", VERIFIER,
        f"{A}/{{verif_nc}}/verification-result", note="the auditor is the verifier"),
]


def _nc(users, process, number, status, **fields):
    """Rows built directly in the states the rows need (the workflow's services, which
    would have to walk each NC there step by step, are tested in tests/nonconformities)."""
    year = today_local().year
    nc = Nonconformity(
        code=f"NC-{year}-{900 + number}", year=year, number=900 + number, title=f"NC {number}",
        description="Descripción", source=NCSource.PROCESS_MONITORING, process=process,
        severity=NCSeverity.MINOR, status=status, detected_on=today_local(),
        detected_by=users["calidad"], correction="Contención", analysis_round=1, **fields)
    nc.analyses.append(NCAnalysis(round=1, whys=["Porque"], ishikawa={}, root_cause="Causa"))
    return nc


def _action(nc, owner, status=ActionStatus.PLANNED):
    action = CorrectiveAction(number=len(nc.actions) + 1, round=1, description="Acción",
                              owner=owner, due_on=today_local(), status=status,
                              evidence="Hecho" if status == ActionStatus.DONE else None,
                              completed_at=now_utc() if status == ActionStatus.DONE else None)
    nc.actions.append(action)
    return action


def objects(users: dict) -> dict:
    own = db.session.get(Process, users["own_process"])
    other = db.session.get(Process, users["other_process"])
    own_nc = _nc(users, own, 1, NCStatus.ACTION_PLAN)
    own_action = _action(own_nc, users["calidad"])
    other_nc = _nc(users, other, 2, NCStatus.ACTION_PLAN)
    assigned = _action(other_nc, users["duenio"])
    other_action = _action(other_nc, users["calidad"])
    verif_nc = _nc(users, other, 3, NCStatus.VERIFICATION)
    _action(verif_nc, users["calidad"], ActionStatus.DONE)
    verif_nc.verifications.append(EffectivenessVerification(
        round=1, planned_on=today_local(), verifier=users["auditor"]))
    db.session.add_all([own_nc, other_nc, verif_nc])
    attachment = services.attach_file(own_nc, io.BytesIO(PNG), "foto.png",
                                      uploader=users["calidad"])
    return {"own_nc": own_nc.id, "other_nc": other_nc.id, "verif_nc": verif_nc.id,
            "own_action": own_action.id, "assigned_action": assigned.id,
            "other_action": other_action.id, "attachment": attachment.id}
