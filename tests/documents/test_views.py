"""The register in the browser-facing views: forms, bad input, conflicts, files, reading."""

from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from qms.core.storage import StoredFile
from qms.documents.models import Document, Revision, RevisionStatus
from qms.extensions import db
from tests.conftest import PASSWORD, post_form, user
from tests.documents.conftest import bring_into_force, make_document, make_process, submit

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")


def _setup(app, **kwargs):
    with app.test_request_context():
        document, revision = make_document(**kwargs)
        db.session.commit()
        return document.id, revision.id


def _new_form(app, **overrides):
    with app.test_request_context():
        process = make_process("SGC", "calidad")
        db.session.commit()
        data = {"code": "PR-SGC-09", "title": "Control de registros", "doc_type": "procedure",
                "process_id": process.id, "owner_id": 0, "confidentiality": "internal",
                "review_interval_months": 12, "distribution_roles": ["process_owner"],
                "change_summary": "Emisión inicial", "content_md": "# Control de registros"}
    data.update(overrides)
    return data


def test_officer_registers_a_document_with_a_pdf(app, login_as):
    client = login_as("calidad")
    data = _new_form(app, file=(io.BytesIO(PDF), "registro.pdf"))
    response = post_form(client, "/documentos/nuevo", data, token_from="/documentos/nuevo",
                         content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "PR-SGC-09 · Control de registros" in page and "Revisión 1 en preparación" in page
    with app.app_context():
        revision = db.session.scalar(select(Revision))
        assert revision.file.mime_type == "application/pdf" and revision.author == user("calidad")
        rid = revision.id
    download = client.get(f"/documentos/revisiones/{rid}/archivo")
    assert download.status_code == 200 and download.data == PDF
    assert "attachment" in download.headers["Content-Disposition"]


def test_forbidden_file_type_is_refused_by_content_not_name(app, login_as):
    client = login_as("calidad")
    data = _new_form(app, file=(io.BytesIO(b"MZ\x90\x00 not a pdf at all" * 20), "manual.pdf"))
    response = post_form(client, "/documentos/nuevo", data, token_from="/documentos/nuevo",
                         content_type="multipart/form-data")
    assert response.status_code == 200
    assert "Tipo de archivo no permitido" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Document.id))) == 0
        assert db.session.scalar(select(func.count(StoredFile.id))) == 0


def test_too_large_file_is_refused(app, login_as):
    client = login_as("calidad")
    app.config["MAX_UPLOAD_BYTES"] = 1024 * 1024
    try:
        big = PDF + b"0" * (1024 * 1024 + 10)
        data = _new_form(app, file=(io.BytesIO(big), "grande.pdf"))
        response = post_form(client, "/documentos/nuevo", data, token_from="/documentos/nuevo",
                             content_type="multipart/form-data")
    finally:
        app.config.pop("MAX_UPLOAD_BYTES")
    assert response.status_code == 200
    assert "supera el tamaño máximo de 1 MB" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Document.id))) == 0


def test_duplicate_code_is_shown_on_the_code_field(app, login_as):
    _setup(app, code="PR-PAG-01")
    client = login_as("calidad")
    data = _new_form(app, code="pr-pag-01")
    response = post_form(client, "/documentos/nuevo", data, token_from="/documentos/nuevo")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'id="code-error"[^>]*>Ya existe un documento con el código PR-PAG-01', html)


def test_two_people_editing_the_same_draft_second_gets_a_conflict_and_keeps_their_text(
        app, client, login_as):
    _doc_id, rid = _setup(app)
    first = app.test_client()
    post_form(first, "/login", {"username": "calidad", "password": PASSWORD})
    login_as("duenio")
    path = f"/documentos/revisiones/{rid}/editar"
    html_first = first.get(path).get_data(as_text=True)
    html_second = client.get(path).get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', html_first).group(1)
    assert f'value="{version}"' in html_second

    ok = post_form(first, path, {"version": version, "change_summary": "Calidad",
                                 "content_md": "# Texto de calidad"})
    assert ok.status_code == 302
    late = post_form(client, path, {"version": version, "change_summary": "Dueño",
                                    "content_md": "# Texto del dueño"})
    html = late.get_data(as_text=True)
    assert late.status_code == 200
    assert "Otra persona modificó este registro" in html
    assert "# Texto del dueño" in html  # nothing typed is lost…
    assert "Texto de calidad" in html   # …and the other person's text is shown beside it
    with app.app_context():
        assert db.session.get(Revision, rid).content_md == "# Texto de calidad"  # not overwritten
    new_version = re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)
    merged = post_form(client, path, {"version": new_version, "change_summary": "Ambos",
                                      "content_md": "# Texto de calidad\n\nY del dueño"})
    assert merged.status_code == 302
    with app.app_context():
        assert db.session.get(Revision, rid).content_md.endswith("Y del dueño")


def test_full_flow_through_the_web_with_signature(app, client, login_as):
    doc_id, rid = _setup(app)
    login_as("duenio")
    page = client.get(f"/documentos/revisiones/{rid}")
    version = re.search(r'name="version" value="(\d+)"', page.get_data(as_text=True)).group(1)
    assert post_form(client, f"/documentos/revisiones/{rid}/enviar", {"version": version},
                     token_from=f"/documentos/revisiones/{rid}").status_code == 302
    html = client.get(f"/documentos/revisiones/{rid}").get_data(as_text=True)
    assert "otra persona debe aprobarla" in html and "Firmar: aprobado" not in html
    assert client.post(f"/documentos/revisiones/{rid}/aprobar").status_code in (400, 403)
    client.post("/logout", data={})

    officer = app.test_client()
    post_form(officer, "/login", {"username": "calidad", "password": PASSWORD})
    revision_page = f"/documentos/revisiones/{rid}"
    wrong = post_form(officer, f"{revision_page}/aprobar", {"approve-password": "mala"},
                      token_from=revision_page)
    assert wrong.status_code == 422
    assert "La contraseña no es correcta; no se firmó." in wrong.get_data(as_text=True)
    signed = post_form(officer, f"{revision_page}/aprobar", {"approve-password": PASSWORD},
                       token_from=revision_page)
    assert signed.status_code == 302
    again = post_form(officer, f"{revision_page}/aprobar", {"approve-password": PASSWORD},
                      token_from=revision_page, follow_redirects=True)
    assert "ya fue aprobada por Usuario Calidad" in again.get_data(as_text=True)
    from qms.core.time import today_local

    published = post_form(officer, f"{revision_page}/publicar",
                          {"effective-effective_from": today_local().isoformat()},
                          token_from=revision_page, follow_redirects=True)
    assert "vigente desde el" in published.get_data(as_text=True)
    with app.app_context():
        revision = db.session.get(Revision, rid)
        assert revision.status == RevisionStatus.EFFECTIVE
        assert revision.approved_by.username == "calidad"
    detail = officer.get(f"/documentos/{doc_id}?fecha={today_local().isoformat()}")
    assert "estaba vigente la revisión 1" in detail.get_data(as_text=True)


def test_markdown_is_sanitised_on_the_page(app, login_as):
    doc_id, rid = _setup(app, content=(
        "# Título\n\n<script>alert(1)</script>\n\n[clic](javascript:alert(2))\n\n"
        "<img src=x onerror=alert(3)>\n\n**negrita**"))
    client = login_as("calidad")
    html = client.get(f"/documentos/revisiones/{rid}").get_data(as_text=True)
    assert "<strong>negrita</strong>" in html and "<h1>Título</h1>" in html
    assert "<script>alert(1)" not in html and 'href="javascript' not in html
    assert "<img" not in html
    assert "&lt;script&gt;" in html  # raw HTML is shown as text, never run


def test_compare_shows_a_side_by_side_escaped_diff(app, login_as):
    with app.test_request_context():
        from qms.core import audit
        from qms.documents import lifecycle

        document, first = make_document(content="línea uno\nlínea dos\n")
        bring_into_force(first, days_ago=1)
        with audit.acting_as(user("duenio")):
            lifecycle.new_revision(document, author=user("duenio"),
                                  content_md="línea uno\nlínea <b>tres</b>\n")
        db.session.commit()
        doc_id = document.id
    client = login_as("auditor")
    html = client.get(f"/documentos/{doc_id}/comparar?a=1&b=2").get_data(as_text=True)
    assert 'class="diff-replace"' in html
    assert "línea dos" in html and "línea &lt;b&gt;tres&lt;/b&gt;" in html


def test_bad_date_in_the_in_force_form_is_explained(app, login_as):
    doc_id, _rid = _setup(app)
    client = login_as("direccion")
    html = client.get(f"/documentos/{doc_id}?fecha=ayer").get_data(as_text=True)
    assert "Fecha no válida" in html
    html = client.get(f"/documentos/{doc_id}?fecha=2001-01-01").get_data(as_text=True)
    assert "no había ninguna revisión vigente" in html


def test_reading_list_and_acknowledgement(app, login_as):
    with app.test_request_context():
        document, revision = make_document()
        bring_into_force(revision, days_ago=1)
        db.session.commit()
        doc_id, rid = document.id, revision.id
    client = login_as("duenio2")
    assert "Documento PR-PAG-01" in client.get("/documentos/por-leer").get_data(as_text=True)
    dashboard = client.get("/inicio").get_data(as_text=True)
    assert re.search(r"Pendientes de leer</dt><dd class=\"card-figure\"><a href=\"[^\"]+\">1<",
                     dashboard)
    detail = client.get(f"/documentos/{doc_id}").get_data(as_text=True)
    assert "Confirmo que leí" in detail
    response = post_form(client, f"/documentos/revisiones/{rid}/confirmar-lectura", {},
                         token_from=f"/documentos/{doc_id}", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Lectura de PR-PAG-01 rev. 1 confirmada." in html
    confirmed = html.split('id="ack-confirmed"')[1].split("</ul>")[0]
    pending = html.split('id="ack-pending"')[1].split("</ul>")[0]
    assert "Usuario Duenio2" in confirmed and "Usuario Duenio" in pending
    twice = post_form(client, f"/documentos/revisiones/{rid}/confirmar-lectura", {},
                      token_from=f"/documentos/{doc_id}", follow_redirects=True)
    assert "ya confirmó la lectura" in twice.get_data(as_text=True)
    assert "No tiene documentos pendientes" in client.get("/documentos/por-leer").get_data(
        as_text=True)


def test_user_outside_the_distribution_cannot_acknowledge(app, login_as):
    with app.test_request_context():
        document, revision = make_document()
        bring_into_force(revision, days_ago=1)
        db.session.commit()
        doc_id, rid = document.id, revision.id
    client = login_as("auditor")
    response = post_form(client, f"/documentos/revisiones/{rid}/confirmar-lectura", {},
                         token_from=f"/documentos/{doc_id}", follow_redirects=True)
    assert "no está en la lista de distribución" in response.get_data(as_text=True)


def test_process_owner_edits_own_document_but_not_anothers(app, login_as):
    doc_id, _ = _setup(app)
    client = login_as("duenio2")
    assert client.get(f"/documentos/{doc_id}/editar").status_code == 403
    owner = app.test_client()
    post_form(owner, "/login", {"username": "duenio", "password": PASSWORD})
    assert owner.get(f"/documentos/{doc_id}/editar").status_code == 200


def test_status_is_never_bound_from_the_form(app, login_as):
    _doc_id, rid = _setup(app)
    client = login_as("duenio")
    path = f"/documentos/revisiones/{rid}/editar"
    with app.app_context():
        version = db.session.get(Revision, rid).version
    post_form(client, path, {"version": version, "change_summary": "x", "content_md": "# x",
                             "status": "effective", "approved_by_id": 1})
    with app.app_context():
        revision = db.session.get(Revision, rid)
        assert revision.status == RevisionStatus.DRAFT and revision.approved_by_id is None


def test_new_revision_starts_from_the_text_in_force(app, login_as):
    with app.test_request_context():
        document, revision = make_document(content="# Vigente")
        bring_into_force(revision, days_ago=1)
        db.session.commit()
        doc_id = document.id
    client = login_as("duenio")
    form = client.get(f"/documentos/{doc_id}/revisiones/nueva").get_data(as_text=True)
    assert "# Vigente" in form and "si cancela, no queda nada" in form
    with app.app_context():  # opening the form created nothing
        assert db.session.scalar(select(func.count(Revision.id))
                                 .where(Revision.document_id == doc_id)) == 1
    path = f"/documentos/{doc_id}/revisiones/nueva"
    refused = post_form(client, path, {"change_summary": "", "content_md": "# Mi texto nuevo"},
                        token_from=path)
    assert refused.status_code == 200 and "# Mi texto nuevo" in refused.get_data(as_text=True)
    response = post_form(client, path, {"change_summary": "Aclara el paso 2",
                                        "content_md": "# Vigente\nPaso 2 aclarado"},
                         token_from=path)
    assert response.status_code == 302 and "/revisiones/" in response.headers["Location"]
    with app.app_context():
        draft = db.session.scalar(select(Revision).where(Revision.document_id == doc_id,
                                                         Revision.number == 2))
        assert draft.status == RevisionStatus.DRAFT and "Paso 2 aclarado" in draft.content_md
        assert draft.change_summary == "Aclara el paso 2"
    again = client.get(path, follow_redirects=True)
    assert "aún está en preparación" in again.get_data(as_text=True)


def test_submitting_from_a_stale_page_is_a_conflict(app, login_as):
    _doc_id, rid = _setup(app)
    client = login_as("duenio")
    with app.app_context():
        version = db.session.get(Revision, rid).version
    path = f"/documentos/revisiones/{rid}/editar"
    post_form(client, path, {"version": version, "change_summary": "x", "content_md": "# y"})
    response = post_form(client, f"/documentos/revisiones/{rid}/enviar", {"version": version},
                         token_from=f"/documentos/revisiones/{rid}", follow_redirects=True)
    assert "Otra persona modificó este registro" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Revision, rid).status == RevisionStatus.DRAFT


def test_withdraw_and_discard_need_a_reason(app, login_as):
    with app.test_request_context():
        _document, revision = make_document()
        submit(revision)
        db.session.commit()
        rid = revision.id
    client = login_as("duenio")
    page = f"/documentos/revisiones/{rid}"
    response = post_form(client, f"{page}/obsoleta", {"obsolete-reason": ""}, token_from=page)
    assert response.status_code == 422
    response = post_form(client, f"{page}/obsoleta", {"obsolete-reason": "Duplicado"},
                         token_from=page, follow_redirects=True)
    assert "Revisión descartada." in response.get_data(as_text=True)


def test_officer_edits_the_register_entry_and_a_stale_form_is_refused(app, login_as):
    doc_id, _ = _setup(app)
    client = login_as("calidad")
    path = f"/documentos/{doc_id}/editar"
    with app.app_context():
        document = db.session.get(Document, doc_id)
        data = {"code": "IGNORADO", "title": "Entrega del bono (v2)", "doc_type": "procedure",
                "process_id": document.process_id, "owner_id": user("duenio2").id,
                "confidentiality": "public", "review_interval_months": 24,
                "distribution_roles": ["auditor"], "distribution_users": [user("direccion").id],
                "version": document.version}
    assert post_form(client, path, data).status_code == 302
    with app.app_context():
        document = db.session.get(Document, doc_id)
        assert (document.code, document.title, document.review_interval_months) == (
            "PR-PAG-01", "Entrega del bono (v2)", 24)
        assert document.owner.username == "duenio2"
        assert sorted(str(e.role or e.user.username) for e in document.distribution) == [
            "auditor", "direccion"]
    stale = post_form(client, path, {**data, "title": "Otro título"})
    assert "Otra persona modificó este registro" in stale.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Document, doc_id).title == "Entrega del bono (v2)"


def test_guessing_the_signature_password_is_rate_limited(app, login_as):
    _doc_id, rid = _setup(app)
    with app.test_request_context():
        submit(db.session.get(Revision, rid))
        db.session.commit()
    client = login_as("calidad")
    page = f"/documentos/revisiones/{rid}"
    for _ in range(5):
        wrong = post_form(client, f"{page}/aprobar", {"approve-password": "adivina"},
                          token_from=page)
        assert wrong.status_code == 422
    blocked = post_form(client, f"{page}/aprobar", {"approve-password": PASSWORD},
                        token_from=page)
    assert blocked.status_code == 429
    with app.app_context():
        assert db.session.get(Revision, rid).status == RevisionStatus.IN_REVIEW


def test_a_draft_gets_an_image_attached_then_removed(app, login_as):
    _doc_id, rid = _setup(app)
    client = login_as("duenio")
    path = f"/documentos/revisiones/{rid}/editar"
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
    with app.app_context():
        version = db.session.get(Revision, rid).version
    response = post_form(client, path, {"version": version, "change_summary": "Diagrama",
                                        "content_md": "# Con diagrama",
                                        "file": (io.BytesIO(png), "flujo.png")},
                         content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        revision = db.session.get(Revision, rid)
        assert revision.file.mime_type == "image/png" and revision.file.original_name == "flujo.png"
        version = revision.version
    assert client.get(f"/documentos/revisiones/{rid}/archivo").data == png
    post_form(client, path, {"version": version, "change_summary": "Sin diagrama",
                             "content_md": "# Sin diagrama", "remove_file": "y"})
    with app.app_context():
        assert db.session.get(Revision, rid).file is None
    assert client.get(f"/documentos/revisiones/{rid}/archivo").status_code == 404
