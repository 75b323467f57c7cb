import io

from qms.core.storage import store
from qms.core.time import today_local
from qms.documents import lifecycle, services
from qms.documents.models import DocumentType
from qms.extensions import db
from qms.processes.models import Process
from tests.conftest import PASSWORD
from tests.matrix import ANY_USER, EDITORS, Row

ORDER = 30

OWNER_TOO = EDITORS | {"process_owner"}
APPROVERS = frozenset({"quality_officer", "manager"})
RETURNERS = EDITORS | {"manager"}
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

R = "/documentos/revisiones/<int:revision_id>"

ROUTES = [
    Row("GET", "/documentos/", ANY_USER),
    Row("GET", "/documentos/lista-maestra.csv", ANY_USER),
    Row("GET", "/documentos/lista-maestra.xlsx", ANY_USER),
    Row("GET", "/documentos/por-leer", ANY_USER),
    Row("GET", "/documentos/nuevo", EDITORS),
    Row("POST", "/documentos/nuevo", EDITORS),
    Row("GET", "/documentos/<int:document_id>", ANY_USER, "/documentos/{own_doc}"),
    Row("GET", "/documentos/<int:document_id>/editar", OWNER_TOO, "/documentos/{own_doc}/editar",
        note="the process owner's document"),
    Row("GET", "/documentos/<int:document_id>/editar", EDITORS, "/documentos/{other_doc}/editar",
        note="another owner's document"),
    Row("POST", "/documentos/<int:document_id>/editar", OWNER_TOO,
        "/documentos/{own_doc}/editar"),
    Row("POST", "/documentos/<int:document_id>/editar", EDITORS,
        "/documentos/{other_doc}/editar"),
    Row("GET", "/documentos/<int:document_id>/comparar", ANY_USER,
        "/documentos/{own_doc}/comparar?a=1&b=2"),
    Row("GET", "/documentos/<int:document_id>/revisiones/nueva", OWNER_TOO,
        "/documentos/{own_doc}/revisiones/nueva"),
    Row("GET", "/documentos/<int:document_id>/revisiones/nueva", EDITORS,
        "/documentos/{other_doc}/revisiones/nueva"),
    Row("POST", "/documentos/<int:document_id>/revisiones/nueva", OWNER_TOO,
        "/documentos/{own_doc}/revisiones/nueva"),
    Row("POST", "/documentos/<int:document_id>/revisiones/nueva", EDITORS,
        "/documentos/{other_doc}/revisiones/nueva"),
    Row("POST", "/documentos/<int:document_id>/revision-periodica", OWNER_TOO,
        "/documentos/{own_doc}/revision-periodica", data={"review-note": "Sigue vigente"},
        note="the process owner's document"),
    Row("POST", "/documentos/<int:document_id>/revision-periodica", EDITORS,
        "/documentos/{other_doc}/revision-periodica", data={"review-note": "Sigue vigente"},
        note="another owner's document"),
    Row("GET", R, ANY_USER, "/documentos/revisiones/{own_draft}"),
    Row("GET", f"{R}/editar", OWNER_TOO, "/documentos/revisiones/{own_draft}/editar"),
    Row("GET", f"{R}/editar", EDITORS, "/documentos/revisiones/{other_draft}/editar"),
    Row("POST", f"{R}/editar", OWNER_TOO, "/documentos/revisiones/{own_draft}/editar"),
    Row("POST", f"{R}/editar", EDITORS, "/documentos/revisiones/{other_draft}/editar"),
    Row("POST", f"{R}/enviar", OWNER_TOO, "/documentos/revisiones/{own_draft}/enviar"),
    Row("POST", f"{R}/enviar", EDITORS, "/documentos/revisiones/{other_draft}/enviar"),
    Row("POST", f"{R}/devolver", RETURNERS, "/documentos/revisiones/{in_review}/devolver",
        data={"return-reason": "Corregir"}),
    Row("POST", f"{R}/aprobar", APPROVERS, "/documentos/revisiones/{in_review}/aprobar",
        data={"approve-password": PASSWORD}, note="written and submitted by the process owner"),
    Row("POST", f"{R}/publicar", EDITORS, "/documentos/revisiones/{approved}/publicar"),
    Row("POST", f"{R}/obsoleta", EDITORS, "/documentos/revisiones/{effective}/obsoleta",
        data={"obsolete-reason": "Retiro"}, note="withdraw the revision in force"),
    Row("POST", f"{R}/obsoleta", OWNER_TOO, "/documentos/revisiones/{own_draft}/obsoleta",
        data={"obsolete-reason": "Descartar"}, note="discard a draft of one's own document"),
    Row("GET", f"{R}/archivo", ANY_USER, "/documentos/revisiones/{effective}/archivo"),
    Row("POST", f"{R}/confirmar-lectura", ANY_USER,
        "/documentos/revisiones/{effective}/confirmar-lectura"),
    # API (read-only)
    Row("GET", "/api/v1/documents/", ANY_USER),
    Row("GET", "/api/v1/documents/<int:document_id>", ANY_USER, "/api/v1/documents/{own_doc}"),
    Row("GET", "/api/v1/documents/<int:document_id>/revisions/", ANY_USER,
        "/api/v1/documents/{own_doc}/revisions/"),
    Row("GET", "/api/v1/documents/<int:document_id>/revisions/<int:number>", ANY_USER,
        "/api/v1/documents/{own_doc}/revisions/1"),
    Row("GET", "/api/v1/documents/<int:document_id>/in-force", ANY_USER,
        "/api/v1/documents/{own_doc}/in-force?date={today}"),
]


def _doc(code, process, author, content="# Texto"):
    document = services.create_document(code=code, title=f"Documento {code}",
                                        doc_type=DocumentType.PROCEDURE, process=process)
    services.set_distribution(document, roles=["process_owner", "quality_officer"])
    revision = lifecycle.new_revision(document, author=author, content_md=content)
    return document, revision


def objects(users: dict) -> dict:
    own = db.session.get(Process, users["own_process"])
    other = db.session.get(Process, users["other_process"])
    owner, officer = users["duenio"], users["calidad"]
    own_doc, effective = _doc("PR-OWN-01", own, owner)
    effective.file = store(io.BytesIO(PDF), "procedimiento.pdf")
    lifecycle.submit_for_review(effective, owner)
    lifecycle.approve(effective, officer, PASSWORD)
    lifecycle.make_effective(effective, officer)
    own_draft = lifecycle.new_revision(own_doc, author=owner, content_md="# Texto nuevo")
    other_doc, other_draft = _doc("PR-OTH-01", other, users["duenio2"])
    _review_doc, in_review = _doc("PR-OWN-02", own, owner)
    lifecycle.submit_for_review(in_review, owner)
    _approved_doc, approved = _doc("PR-OWN-03", own, owner)
    lifecycle.submit_for_review(approved, owner)
    lifecycle.approve(approved, officer, PASSWORD)
    db.session.flush()
    return {"own_doc": own_doc.id, "other_doc": other_doc.id, "own_draft": own_draft.id,
            "other_draft": other_draft.id, "in_review": in_review.id, "approved": approved.id,
            "effective": effective.id, "today": today_local().isoformat()}
