"""The object-level rules as a matrix: for each policy, each kind of object and each role,
who can and who cannot — first the rule itself, then through the route that applies it.

- ``nc.settle`` (severity, origin, cancellation): an NC raised from outside the process
  (an internal audit) is settled by the SGC's editors only; the process owner answers it.
  An NC raised in the owner's own monitoring is settled by the owner too.
- ``document.reclassify`` (process, owner, type, confidentiality): document control only,
  even on a document the process owner edits (``document.edit``).
"""

from __future__ import annotations

import pytest

from qms.core import audit
from qms.core.permissions import can
from qms.extensions import db
from qms.nonconformities.models import Nonconformity
from tests.conftest import ROLE_USER, login, post_form, user
from tests.matrix import EDITORS, ROLES
from tests.nonconformities.conftest import api_token

OWNER_TOO = EDITORS | {"process_owner"}

#: (policy, object, roles allowed); the process owner (ROLE_USER) owns process "PAG".
POLICIES = [
    ("nc.settle", "audit_nc", EDITORS),
    ("nc.settle", "monitoring_nc", OWNER_TOO),
    ("nc.settle", "other_owner_nc", EDITORS),
    ("nc.manage", "audit_nc", OWNER_TOO),  # … while the owner still answers it
    ("document.reclassify", "own_document", EDITORS),
    ("document.reclassify", "other_owner_document", EDITORS),
    ("document.edit", "own_document", OWNER_TOO),  # … while the owner still edits it
]


def _objects() -> dict:
    from tests.documents.conftest import make_document
    from tests.nonconformities.conftest import make_nc, make_process

    owner = ROLE_USER["process_owner"]
    with audit.acting_as(user("calidad")):
        own = make_process("PAG", owner)
        other = make_process("OTR", "duenio2")
        found = {
            "audit_nc": make_nc(own, source="internal_audit"),
            "monitoring_nc": make_nc(own, source="process_monitoring"),
            "other_owner_nc": make_nc(other, source="process_monitoring"),
        }
    found["own_document"], _ = make_document("PR-PAG-01", process=own, author=owner)
    found["other_owner_document"], _ = make_document("PR-OTR-01", process=other,
                                                     author="duenio2")
    db.session.commit()
    return {name: obj.id for name, obj in found.items()} | {"other_process": other.id}


def _load(name: str, object_id: int):
    from qms.documents.models import Document

    return db.session.get(Nonconformity if name.endswith("_nc") else Document, object_id)


@pytest.mark.parametrize("policy, name, allowed", POLICIES,
                         ids=[f"{p}-{n}" for p, n, _ in POLICIES])
def test_policy_per_object_and_role(app, policy, name, allowed):
    with app.test_request_context():
        ids = _objects()
        obj = _load(name, ids[name])
        answers = {role: can(user(ROLE_USER[role]), policy, obj) for role in ROLES}
    assert answers == {role: role in allowed for role in ROLES}


@pytest.mark.parametrize("role", ROLES)
def test_settling_an_audit_nc_through_the_api(app, client, role):
    """PATCH changing the severity (with its reason): 200 for editors, 403 for the rest."""
    with app.test_request_context():
        nc = _load("audit_nc", _objects()["audit_nc"])
        body = {"version": nc.version, "title": nc.title, "description": nc.description,
                "source": nc.source.value, "process_id": nc.process_id, "severity": "minor",
                "severity_reason": "Un solo caso.", "detected_on": nc.detected_on.isoformat()}
        nc_id = nc.id
    response = client.patch(f"/api/v1/nonconformities/{nc_id}", json=body,
                            headers=api_token(app, ROLE_USER[role]))
    assert response.status_code == (200 if role in EDITORS else 403), response.get_json()


@pytest.mark.parametrize("role", ROLES)
def test_reclassifying_an_own_document_through_the_form(app, client, role):
    """Moving the process owner's document to another process: done for editors; refused
    on the form for its process owner (who may edit it); 403 for everybody else."""
    from qms.documents.models import Document

    with app.test_request_context():
        ids = _objects()
        document = db.session.get(Document, ids["own_document"])
        form = {"code": document.code, "title": document.title,
                "doc_type": document.doc_type.value, "process_id": ids["other_process"],
                "owner_id": document.owner_id or 0,
                "confidentiality": document.confidentiality.value,
                "review_interval_months": document.review_interval_months,
                "distribution_roles": ["process_owner"], "version": document.version}
    assert login(client, ROLE_USER[role]).status_code == 302
    response = post_form(client, f"/documentos/{ids['own_document']}/editar", form,
                         token_from=f"/documentos/{ids['own_document']}")
    with app.app_context():
        moved = db.session.get(Document, ids["own_document"]).process_id == ids["other_process"]
    if role in EDITORS:
        assert response.status_code == 302 and moved
    elif role == "process_owner":
        assert response.status_code == 200 and not moved
        assert "Solo control de documentos" in response.get_data(as_text=True)
    else:
        assert response.status_code == 403 and not moved
