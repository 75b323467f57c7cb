"""The pack's PDF: every clause 4–10, the mandatory items, the manifest; PDF/A-3b as far
as poppler, qpdf and pikepdf can tell; the same page text and manifest twice."""

from __future__ import annotations

import json
import re
import subprocess

import pikepdf

from qms.evidence import manifest as mf
from tests.evidence.conftest import make_pack, pdf_text

HEADINGS = ("4 Contexto de la organización", "5 Liderazgo", "6 Planificación", "7 Apoyo",
            "8 Operación", "9 Evaluación del desempeño", "10 Mejora")


def test_the_pdf_holds_every_clause_the_records_and_the_manifest(pdf_pack):
    path, data = pdf_pack
    text = pdf_text(path, layout=True)
    flat = " ".join(pdf_text(path).split())
    for heading in HEADINGS:
        assert re.search(rf"^\s*{re.escape(heading)}\s*$", text, re.M), heading
    for expected in ("Paquete de evidencias ISO 9001:2015", "Contenido", "PR-PAG-01",
                     "Pago acreditado a otra persona", "Queja sin respuesta en plazo",
                     "El cruce usa el nombre como llave.", "Eficaz", "Información documentada obligatoria",
                     "Anexo: manifiesto de integridad", "Íntegra", data.manifest["seal"],
                     "procedimiento-pagos.pdf", "foto-planilla.png", "Página 1 de"):
        assert expected in flat, expected
    # the 30 catalogue items are all listed; those with no source in the SGC say FALTA
    assert len(data.mandatory) == 30
    assert flat.count("FALTA") >= sum(1 for m in data.mandatory if m.status == "missing")
    statuses = {m.clause: m.status for m in data.mandatory}
    assert statuses["10.2.2 a)"] == "present" and statuses["7.2 d)"] == "missing"
    # TOC page numbers point at the clause pages
    toc = re.search(r"4 Contexto de la organización\.+\s*(\d+)", text)
    assert toc and int(toc.group(1)) >= 3


def test_poppler_and_qpdf_accept_it_and_list_the_embedded_files(pdf_pack):
    path, data = pdf_pack
    meta = subprocess.run(["pdfinfo", "-meta", str(path)], capture_output=True, text=True,
                          check=True).stdout
    assert 'pdfaid:part="3"' in meta and 'pdfaid:conformance="B"' in meta
    check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    listed = subprocess.run(["pdfdetach", "-list", str(path)], capture_output=True, text=True,
                            check=True).stdout
    assert "manifest.json" in listed
    for entry in data.manifest["files"]:
        assert entry["name"] in listed
    assert len(data.manifest["files"]) == 2


def test_pdfa3_rules_pikepdf_can_check(pdf_pack):
    path, data = pdf_pack
    with pikepdf.open(path) as pdf:
        root = pdf.Root
        intents = root.OutputIntents
        assert len(intents) >= 1
        assert intents[0].S == "/GTS_PDFA1" and "/DestOutputProfile" in intents[0]
        with pdf.open_metadata() as xmp:
            assert xmp["pdfaid:part"] == "3" and xmp["pdfaid:conformance"] == "B"
        fonts = 0
        for page in pdf.pages:
            for font in (page.Resources.get("/Font") or {}).values():
                fonts += 1
                descendants = font.get("/DescendantFonts")
                descriptor = (descendants[0] if descendants else font).FontDescriptor
                assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), \
                    f"font {font.get('/BaseFont')} is not embedded"
        assert fonts
        relationships = {str(spec.F): str(spec.AFRelationship) for spec in root.AF}
        assert relationships.pop("manifest.json") == "/Data"
        assert relationships and set(relationships.values()) == {"/Source"}
        assert set(relationships) == {e["name"] for e in data.manifest["files"]}
        for spec in root.AF:
            embedded = spec.EF.F
            assert "/Subtype" in embedded and "/ModDate" in embedded.Params
        manifest = json.loads(pdf.attachments["manifest.json"].get_file().read_bytes())
    assert manifest == data.manifest
    assert "/Encrypt" not in pdf.trailer


def _normalised(text: str, data) -> str:
    return text.replace(data.pack_id, "ID").replace(data.pack_id[:8], "ID").replace(
        data.generated_at, "WHEN").replace(data.manifest["seal"], "SEAL")


def test_same_data_and_scope_give_the_same_manifest_and_page_text(pdf_pack, app_ctx, tmp_path):
    first, a = pdf_pack
    second, b = make_pack(tmp_path, name="b", attach_files=True, pack_id="b" * 32)
    assert a.manifest["pack_id"] != b.manifest["pack_id"]
    assert mf.stable_part(a.manifest) == mf.stable_part(b.manifest)
    assert _normalised(pdf_text(first), a) == _normalised(pdf_text(second), b)


def test_scope_by_process_and_clause(app_ctx, tmp_path):
    path, data = make_pack(tmp_path, processes=["QUE"], clauses=["10"])
    text = " ".join(pdf_text(path).split())
    assert "Queja sin respuesta en plazo" in text
    assert "Pago acreditado a otra persona" not in text
    assert "4 Contexto de la organización" not in text and "10 Mejora" in text
    statuses = {m.clause: m.status for m in data.mandatory}
    assert statuses["9.2.2 f)"] == "not_in_pack"
    assert "Fuera del alcance del paquete" in text
