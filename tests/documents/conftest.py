"""Factories for documents and revisions at any point of their lifecycle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from qms.auth.models import Role
from qms.core import audit
from qms.core.db import frozen_clock
from qms.documents import lifecycle, services
from qms.documents.models import DocumentType
from qms.extensions import db
from qms.processes.models import ProcessCategory
from qms.processes.services import create_process
from tests.conftest import PASSWORD, user

CONTENT = "# Procedimiento\n\n## 1. Objetivo\n\nPagar a tiempo.\n"


def make_process(code="PAG", owner="duenio"):
    return create_process(code=code, name=f"Proceso {code}", category=ProcessCategory.OPERATIONAL,
                          owner=user(owner))


def make_document(code="PR-PAG-01", *, doc_type=DocumentType.PROCEDURE, process=None,
                  author="duenio", content=CONTENT, roles=(Role.PROCESS_OWNER,), interval=12):
    process = process or make_process(code=code.split("-")[1] if code.count("-") == 2 else "PAG")
    with audit.acting_as(user("calidad")):
        document = services.create_document(code=code, title=f"Documento {code}",
                                            doc_type=doc_type, process=process,
                                            review_interval_months=interval)
        services.set_distribution(document, roles=roles)
    with audit.acting_as(user(author)):
        revision = lifecycle.new_revision(document, author=user(author), content_md=content,
                                         change_summary="Emisión inicial")
    db.session.flush()
    return document, revision


def submit(revision, who="duenio"):
    with audit.acting_as(user(who)):
        return lifecycle.submit_for_review(revision, user(who))


def approve(revision, who="calidad"):
    with audit.acting_as(user(who)):
        return lifecycle.approve(revision, user(who), PASSWORD)


def publish(revision, who="calidad", effective_from=None):
    with audit.acting_as(user(who)):
        return lifecycle.make_effective(revision, user(who), effective_from)


def bring_into_force(revision, *, days_ago=0):
    """Draft → effective, replayed ``days_ago`` days in the past."""
    moment = datetime.now(UTC) - timedelta(days=days_ago)
    with frozen_clock(moment):
        submit(revision)
        approve(revision)
        publish(revision)
    return revision


@pytest.fixture
def document(app_ctx):
    doc, _revision = make_document()
    db.session.commit()
    return doc
