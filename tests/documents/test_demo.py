"""The demo data tells a consistent story a quality officer can show."""

from sqlalchemy import func, select

from qms.core.cli import qms
from qms.documents import services
from qms.documents.models import Acknowledgement, Document, RevisionStatus
from qms.extensions import db


def test_seed_demo_brings_the_procedures_into_force_with_two_person_approval(demo):
    app = demo
    runner = app.test_cli_runner()
    with app.test_request_context():
        documents = {d.code: d for d in db.session.scalars(select(Document))}
        procedures = [d for d in documents.values() if d.source_path]
        assert len(procedures) >= 7
        for document in procedures:
            current = services.current_revision(document)
            assert current is not None, document.code
            assert current.approved_by_id not in (current.author_id, current.submitted_by_id)
            assert document.process is not None
        assert services.review_state(documents["DE-DIR-01"]) == "overdue"
        assert documents["DE-DIR-01"].revisions[0].file.mime_type == "application/pdf"
        assert [r.status for r in documents["PR-SGC-02"].revisions] == [
            RevisionStatus.SUPERSEDED, RevisionStatus.EFFECTIVE]
        assert services.open_revision(documents["FO-PAG-01"]).status == RevisionStatus.IN_REVIEW
        assert db.session.scalar(select(func.count(Acknowledgement.id))) >= 4
    again = runner.invoke(qms, ["sync-procedures"])
    assert again.exit_code == 0 and "0 created, 0 with a new draft revision" in again.output
    assert runner.invoke(qms, ["verify-audit-log"]).exit_code == 0
