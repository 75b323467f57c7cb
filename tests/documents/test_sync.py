"""procedures/ as code: the sync command and its guarantees."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from qms.core.cli import qms
from qms.documents import services
from qms.documents.models import Document, Revision, RevisionStatus
from qms.extensions import db
from tests.documents.conftest import approve, publish, submit

FRONT = """---
code: {code}
title: {title}
type: procedure
process: SGC
owner_role: quality_officer
review_interval_months: 12
distribution: [process_owner]
---
"""
REPO_PROCEDURES = Path(__file__).resolve().parents[2] / "procedures"


def write(folder: Path, name: str, body: str = "# Texto\n\nContenido.\n", **meta) -> Path:
    meta = {"code": "PR-SGC-01", "title": "Control de la información documentada", **meta}
    path = folder / name
    path.write_text(FRONT.format(**meta) + body, encoding="utf-8")
    return path


def run(app, *args):
    return app.test_cli_runner().invoke(qms, ["sync-procedures", *args])


def _revisions(app, code="PR-SGC-01"):
    with app.app_context():
        document = db.session.scalar(select(Document).where(Document.code == code))
        return [(r.number, r.status, r.content_md) for r in document.revisions]


def test_creates_documents_and_running_twice_changes_nothing(app, tmp_path):
    write(tmp_path, "a.md")
    write(tmp_path, "b.md", code="PR-SGC-02", title="No conformidad")
    first = run(app, "--path", str(tmp_path))
    assert first.exit_code == 0, first.output
    assert "2 created" in first.output
    second = run(app, "--path", str(tmp_path))
    assert second.exit_code == 0 and "0 created, 0 with a new draft revision, 2 unchanged" in \
        second.output
    assert _revisions(app) == [(1, RevisionStatus.DRAFT, "# Texto\n\nContenido.\n")]
    with app.app_context():
        document = db.session.scalar(select(Document).where(Document.code == "PR-SGC-01"))
        assert document.source_path == "a.md" and document.revisions[0].author is None
        assert [e.role.value for e in document.distribution] == ["process_owner"]


def test_a_changed_file_becomes_a_new_draft_never_a_change_to_the_effective_one(app, tmp_path):
    path = write(tmp_path, "a.md", body="# Versión 1\n")
    run(app, "--path", str(tmp_path))
    with app.test_request_context():
        revision = db.session.scalar(select(Revision))
        submit(revision, "duenio")
        approve(revision, "calidad")
        publish(revision, "calidad")
        db.session.commit()
    write(tmp_path, "a.md", body="# Versión 2\n")
    result = run(app, "--path", str(tmp_path))
    assert result.exit_code == 0 and "1 with a new draft revision" in result.output
    assert _revisions(app) == [(1, RevisionStatus.EFFECTIVE, "# Versión 1\n"),
                               (2, RevisionStatus.DRAFT, "# Versión 2\n")]
    # Changed again before anyone sent it for review: the same draft is refreshed.
    path.write_text(path.read_text().replace("Versión 2", "Versión 3"))
    run(app, "--path", str(tmp_path))
    assert _revisions(app)[-1] == (2, RevisionStatus.DRAFT, "# Versión 3\n")
    assert run(app, "--path", str(tmp_path)).output.count("unchanged") == 1


def test_a_changed_file_while_a_revision_is_in_review_is_held_back(app, tmp_path):
    write(tmp_path, "a.md", body="# Uno\n")
    run(app, "--path", str(tmp_path))
    with app.test_request_context():
        submit(db.session.scalar(select(Revision)), "duenio")
        db.session.commit()
    write(tmp_path, "a.md", body="# Dos\n")
    result = run(app, "--path", str(tmp_path))
    assert result.exit_code == 0 and "is in_review" in result.output
    assert _revisions(app) == [(1, RevisionStatus.IN_REVIEW, "# Uno\n")]


@pytest.mark.parametrize(("text", "field"), [
    ("# sin front matter\n", "front matter"),
    ("---\ncode: [PR\n---\n# x\n", "front matter"),
    (FRONT.format(code="PR-SGC-05", title="T").replace("type: procedure", "type: receta")
     + "# x\n", "type"),
    (FRONT.format(code="PR-SGC-05", title="T").replace("review_interval_months: 12",
                                                       "review_interval_months: doce")
     + "# x\n", "review_interval_months"),
    (FRONT.format(code="PR-SGC-05", title="T").replace("owner_role: quality_officer\n", "")
     + "# x\n", "owner_role"),
    (FRONT.format(code="PR SGC 05", title="T") + "# x\n", "code"),
    (FRONT.format(code="PR-SGC-05", title="T").replace("process: SGC", "proceso: SGC")
     + "# x\n", "process"),
    (FRONT.format(code="PR-SGC-05", title="T"), "content"),
])
def test_malformed_front_matter_names_file_and_field_and_imports_nothing_from_it(
        app, tmp_path, text, field):
    (tmp_path / "malo.md").write_text(text, encoding="utf-8")
    write(tmp_path, "bueno.md")
    result = run(app, "--path", str(tmp_path))
    assert result.exit_code == 1
    assert f"malo.md: field '{field}'" in result.output
    with app.app_context():
        codes = list(db.session.scalars(select(Document.code)))
    assert codes == ["PR-SGC-01"]  # the good file is imported, nothing of the bad one


def test_two_files_with_the_same_code_reject_the_second(app, tmp_path):
    write(tmp_path, "a.md")
    write(tmp_path, "b.md", title="Otro título")
    result = run(app, "--path", str(tmp_path))
    assert result.exit_code == 1 and "b.md: field 'code': PR-SGC-01 is also used by a.md" in \
        result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Document.id))) == 1


def test_a_code_already_registered_in_the_app_is_not_taken_over(app, tmp_path):
    with app.test_request_context():
        services.create_document(code="PR-SGC-01", title="Hecho a mano",
                                 doc_type="procedure", process=None)
        db.session.commit()
    write(tmp_path, "a.md")
    result = run(app, "--path", str(tmp_path))
    assert result.exit_code == 0  # adopted: the register entry gets its first revision
    with app.app_context():
        document = db.session.scalar(select(Document))
        assert document.source_path == "a.md" and len(document.revisions) == 1


def test_the_repository_procedures_are_valid_and_loaded_by_init(app):
    files = sorted(p.name for p in REPO_PROCEDURES.glob("*.md") if p.name != "README.md")
    assert len(files) >= 7
    result = app.test_cli_runner().invoke(qms, ["init"])
    assert result.exit_code == 0, result.output
    assert f"procedures: {len(files)} created" in result.output
    with app.app_context():
        codes = set(db.session.scalars(select(Document.code)))
    assert {"PR-SGC-01", "PR-SGC-02", "PR-SGC-03", "PR-DIR-01", "PR-SGC-04", "PR-QUE-01",
            "PR-PAG-01"} <= codes
    again = app.test_cli_runner().invoke(qms, ["init"])
    assert f"0 created, 0 with a new draft revision, {len(files)} unchanged" in again.output


def test_a_removed_file_is_reported_and_its_document_kept(app, tmp_path):
    path = write(tmp_path, "a.md")
    run(app, "--path", str(tmp_path))
    path.unlink()
    result = run(app, "--path", str(tmp_path))
    assert result.exit_code == 0 and "a.md: no longer in" in result.output
    assert _revisions(app)[0][0] == 1


def test_init_fails_naming_a_malformed_procedure_but_loads_the_others(app, tmp_path):
    write(tmp_path, "bueno.md")
    (tmp_path / "malo.md").write_text(FRONT.format(code="PR-SGC-07", title="T").replace(
        "type: procedure", "type: [") + "# x\n", encoding="utf-8")
    app.config["PROCEDURES_DIR"] = str(tmp_path)
    try:
        result = app.test_cli_runner().invoke(qms, ["init"])
    finally:
        app.config.pop("PROCEDURES_DIR")
    assert result.exit_code == 1 and "malo.md: field 'front matter'" in result.output
    with app.app_context():
        assert list(db.session.scalars(select(Document.code))) == ["PR-SGC-01"]
