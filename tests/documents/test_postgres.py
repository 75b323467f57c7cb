"""Documents on PostgreSQL: migration, partial unique indexes, sync and lifecycle."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from qms.core import audit
from qms.core.cli import qms
from qms.core.time import today_local
from qms.documents import lifecycle, reading, services
from qms.documents.models import Document, DocumentType, RevisionStatus
from qms.extensions import db
from tests.conftest import user
from tests.documents.conftest import approve, bring_into_force, make_document, publish, submit
from tests.fixtures_postgres import pg_app_copy

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_docs_app(pg_server, pg_template, tmp_path):
    with pg_app_copy(pg_server, pg_template, tmp_path, "qms_docs") as application:
        yield application


def test_lifecycle_reading_and_constraints_on_postgres(pg_docs_app):
    with pg_docs_app.test_request_context():
        document, first = make_document()
        bring_into_force(first, days_ago=30)
        with audit.acting_as(user("duenio")):
            second = lifecycle.new_revision(document, author=user("duenio"), content_md="# B")
        submit(second)
        approve(second)
        publish(second, effective_from=today_local() + timedelta(days=3))
        reading.acknowledge(first, user("duenio"))
        db.session.commit()
        assert first.status == RevisionStatus.SUPERSEDED
        assert services.in_force_on(document, today_local()) is first
        assert [d.code for d, _ in reading.documents_to_read(user("duenio2"))] == ["PR-PAG-01"]
        first.status = RevisionStatus.EFFECTIVE  # two effective revisions? the index refuses
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
        with pytest.raises(IntegrityError):
            db.session.add(type(document.distribution[0])(document_id=document.id))
            db.session.flush()  # neither a user nor a role
        db.session.rollback()


def test_sync_on_postgres(pg_docs_app):
    result = pg_docs_app.test_cli_runner().invoke(qms, ["sync-procedures"])
    assert result.exit_code == 0, result.output
    with pg_docs_app.app_context():
        types = set(db.session.scalars(select(Document.doc_type)))
    assert {DocumentType.PROCEDURE, DocumentType.POLICY} <= types
