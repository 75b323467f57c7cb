"""Objects the matrix paths point at ({own_process}, {own_token}…).

A domain whose rows need objects adds a function here taking the seeded users (by
username) and the user acting in the case, and returning placeholder → value.
"""

from __future__ import annotations

from qms.auth.services import issue_token
from qms.processes.models import ProcessCategory
from qms.processes.services import create_process


def core_objects(users: dict, actor) -> dict:
    own_token = issue_token(actor, "matrix")[0].id if actor else 0
    return {
        "auditor_id": users["auditor"].id,
        "own_token": own_token,
        "admin_token": issue_token(users["duenio2"], "other")[0].id,
    }


def process_objects(users: dict, actor) -> dict:
    own = create_process(code="OWN", name="Proceso propio", category=ProcessCategory.OPERATIONAL,
                         owner=users["duenio"])
    other = create_process(code="OTHER", name="Proceso ajeno", category=ProcessCategory.SUPPORT,
                           owner=users["duenio2"])
    return {"own_process": own.id, "other_process": other.id}


#: Called in order; later builders see the placeholders of earlier ones in ``users``.
BUILDERS = [core_objects, process_objects]
