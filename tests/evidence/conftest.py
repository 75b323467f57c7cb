"""A database with something to evidence, built once per session: two processes, a
procedure in force, NCs (one with a file and a verified action), an audit; and helpers
to make packs."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest

from qms.core import audit
from qms.core.time import today_local
from qms.extensions import db
from tests.conftest import user
from tests.nonconformities.conftest import PNG, make_nc, verified

PDF_FILE = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]"
            b"/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


@pytest.fixture(scope="session")
def evidence_template(app, tmp_path_factory) -> Path:
    from qms.core.storage import store
    from qms.nonconformities import services as nc_services
    from tests.audits.conftest import make_audit
    from tests.conftest import reset_database
    from tests.documents.conftest import bring_into_force, make_document
    from tests.nonconformities.conftest import make_process

    reset_database(app)  # built on the empty template, whatever test ran before on this worker
    with app.test_request_context(), audit.acting_as(audit.SYSTEM):
        pag = make_process("PAG")
        que = make_process("QUE", owner="duenio2")
        _doc, revision = make_document("PR-PAG-01", process=pag)
        revision.file = store(io.BytesIO(PDF_FILE), "procedimiento-pagos.pdf")
        bring_into_force(revision, days_ago=40)
        nc = make_nc(pag, title="Pago acreditado a otra persona")
        nc_services.attach_file(nc, io.BytesIO(PNG), "foto-planilla.png", uploader=user("calidad"))
        verified(nc)
        make_nc(que, title="Queja sin respuesta en plazo", severity="minor")
        make_audit([pag], start=today_local() - timedelta(days=5))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    path = tmp_path_factory.mktemp("evidence") / "evidence.sqlite3"
    shutil.copy(app.config["TEST_DB_FILE"], path)
    reset_database(app)
    return path


@pytest.fixture
def database_template(evidence_template) -> Path:
    return evidence_template


@pytest.fixture(scope="session")
def pdf_pack(app, evidence_template, tmp_path_factory):
    """``(path, data)`` of one PDF pack of the evidence database with its files attached,
    rendered once per session (the slow part) for the tests that only read it."""
    from tests.conftest import reset_database

    reset_database(app, evidence_template)  # (session fixtures run before the test's reset)
    with app.test_request_context():
        return make_pack(tmp_path_factory.mktemp("pdf-pack"), attach_files=True)


def period() -> tuple[date, date]:
    today = today_local()
    return today - timedelta(days=365), today


def make_pack(tmp_path: Path, *, attach_files=False, as_zip=False, processes=(), clauses=(),
              name="pack", pack_id="0" * 32):
    """Gather, render and write a pack; returns (path, data)."""
    from qms.evidence import pack as builder

    start, end = period()
    scope = builder.scope_for(start, end, list(processes), list(clauses))
    data = builder.gather(scope, pack_id=pack_id, generated_by="pytest",
                          attach_files=attach_files, as_zip=as_zip)
    pdf = builder.render(data)
    target = tmp_path / f"{name}.{'zip' if as_zip else 'pdf'}"
    builder.write_pack(data, pdf, target)
    return target, data


def pdf_text(path: Path, *, layout: bool = False) -> str:
    args = ["pdftotext", *(["-layout"] if layout else []), str(path), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout
