"""The signed report: rendered by WeasyPrint as PDF/A-3b, stored, hashed, and holding the
findings with their NCs when read back with pdftotext; the renderer fetches nothing."""

from __future__ import annotations

import hashlib
import subprocess

import pytest

from qms.audits import report, services
from qms.audits.enums import AuditStatus, FindingType
from qms.core.errors import TransitionError, ValidationError
from qms.core.pdf import html_to_pdf
from qms.core.storage import blob_path
from qms.extensions import db
from qms.nonconformities.models import Nonconformity
from tests.audits.conftest import PASSWORD, answer_all, make_audit, started


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "r.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def test_signed_report_is_stored_hashed_and_holds_the_findings(lead, process, tmp_path):
    audit = started(make_audit([process]))
    services.record_finding(
        audit, finding_type=FindingType.MINOR_NC, clause="8.6", process=process,
        description="Planilla de marzo pagada sin aprobación.", evidence="Planilla PAG-03.",
        actor=lead)
    answer_all(audit)
    report.sign_report(audit, expected_version=audit.version, actor=lead, password=PASSWORD,
                       conclusion="El proceso cumple salvo la aprobación de planillas.")
    assert audit.status == AuditStatus.REPORTED
    stored = blob_path(audit.report_file.sha256).read_bytes()
    assert hashlib.sha256(stored).hexdigest() == audit.report_sha256 == audit.report_file.sha256
    text = " ".join(pdf_text(stored, tmp_path).split())
    nc = db.session.get(Nonconformity, audit.findings[0].nc_id)
    for expected in (f"Informe de auditoría {audit.code}", "H-1", "No conformidad menor",
                     "Planilla de marzo pagada sin aprobación.", nc.code,
                     "El proceso cumple salvo la aprobación de planillas.",
                     "Firmo este informe como auditor(a) líder", "Página 1 de",
                     "Bono Vida Mejor"):
        assert expected in text, expected
    info = subprocess.run(["pdfinfo", str(tmp_path / "r.pdf")], capture_output=True,
                          text=True, check=True).stdout
    assert f"Informe de auditoría {audit.code}" in info


def test_signing_needs_the_password_every_answer_and_a_conclusion(lead, process):
    audit = started(make_audit([process]))
    with pytest.raises(TransitionError, match="Faltan respuestas"):
        report.sign_report(audit, expected_version=audit.version, actor=lead,
                           password=PASSWORD, conclusion="Bien.")
    answer_all(audit)
    with pytest.raises(ValidationError) as error:
        report.sign_report(audit, expected_version=audit.version, actor=lead,
                           password="otra", conclusion="Bien.")
    assert error.value.field == "password"
    with pytest.raises(ValidationError) as error:
        report.sign_report(audit, expected_version=audit.version, actor=lead,
                           password=PASSWORD, conclusion=" ")
    assert error.value.field == "conclusion"
    assert audit.status == AuditStatus.IN_PROGRESS and audit.report_file_id is None


def test_the_renderer_reads_no_file_and_no_outside_host(app_ctx, tmp_path):
    import base64
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    image = tmp_path / "x.png"
    image.write_bytes(buffer.getvalue())
    inline = base64.b64encode(buffer.getvalue()).decode()
    refused = html_to_pdf(f'<html><body><img src="file://{image}">'
                          f'<img src="http://192.0.2.1/x.png"><p>hola</p></body></html>')
    allowed = html_to_pdf(f'<html><body><img src="data:image/png;base64,{inline}"></body></html>')
    assert b"/Subtype /Image" not in refused.content
    assert b"/Subtype /Image" in allowed.content  # the same image inline is embedded


def test_the_report_is_identified_as_pdf_a_3b_with_intent_and_embedded_fonts(lead, process):
    """What pikepdf can check of PDF/A-3b (no full validator installs here): the XMP
    identification, an sRGB output intent, every font embedded, document metadata."""
    import io

    import pikepdf

    audit = started(make_audit([process]))
    answer_all(audit)
    report.sign_report(audit, expected_version=audit.version, actor=lead, password=PASSWORD,
                       conclusion="Conforme con la norma.")
    stored = blob_path(audit.report_file.sha256).read_bytes()
    with pikepdf.open(io.BytesIO(stored)) as pdf:
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "3"
        assert meta["pdfaid:conformance"] == "B"
        assert audit.code in meta.get("dc:title", "")
        [intent] = pdf.Root.OutputIntents
        assert intent.S == "/GTS_PDFA1"
        profile = intent.DestOutputProfile
        assert int(profile.N) == 3, "an RGB ICC profile"
        assert "sRGB" in str(intent.get("/OutputConditionIdentifier", "")) \
            or "sRGB" in str(intent.get("/Info", ""))
        fonts = {}
        for page in pdf.pages:
            for name, font in (page.Resources.get("/Font") or {}).items():
                fonts[name] = font
        assert fonts, "the report has text"
        for name, font in fonts.items():
            descendants = font.get("/DescendantFonts")
            descriptor = (descendants[0] if descendants else font).get("/FontDescriptor")
            assert descriptor is not None, f"font {name} has no descriptor"
            assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")), \
                f"font {name} ({font.get('/BaseFont')}) is not embedded"
        assert pdf.trailer.get("/ID") is not None
