"""From the browser's side: a pack generated off the request with its progress, shared
with a certifier for an audit window; the certifier reads only what is in scope, every
request of theirs is logged, and sharing, widening and revoking are audit events."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from qms.core.audit import AuditEvent
from qms.core.db import now_utc
from qms.core.time import today_local
from qms.evidence import jobs
from qms.evidence.models import CertifierView, EvidencePack, PackShare, PackStatus
from qms.extensions import db
from qms.nonconformities.models import Nonconformity
from tests.conftest import login, post_form, user
from tests.evidence.conftest import period


class Row:
    """A detached copy of a row's columns, read in an app context of its own (the test
    client's requests must not share one with the test)."""

    def __init__(self, obj) -> None:
        self.__dict__.update({c.key: getattr(obj, c.key)
                              for c in obj.__mapper__.column_attrs})


def load(app, model, ident=None, **where):
    with app.app_context():
        if ident is not None:
            obj = db.session.get(model, ident)
        else:
            obj = db.session.scalars(select(model).filter_by(**where)
                                     .order_by(model.id.desc())).first()
        return Row(obj) if obj is not None else None


def _uid(app, username):
    with app.app_context():
        return user(username).id


def _request_pack(app, client, **extra):
    start, end = period()
    data = {"start": start.isoformat(), "end": end.isoformat(), **extra}
    response = post_form(client, "/evidencias/nuevo", data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return load(app, EvidencePack)


def _nc(app, title: str):
    return load(app, Nonconformity, title=title)


def _share(app, client, pack, **extra):
    today = today_local()
    data = {"share-certifier_id": str(_uid(app, "certificador")),
            "share-starts_on": today.isoformat(),
            "share-ends_on": (today + timedelta(days=10)).isoformat(),
            "share-process_codes": ["PAG"], **extra}
    return post_form(client, f"/evidencias/{pack.id}/compartir", data,
                     token_from=f"/evidencias/{pack.id}")


def test_a_requested_pack_is_generated_and_downloadable(app, client):
    login(client, "calidad")
    pack = _request_pack(app, client, attach_files="y")
    assert pack.status == PackStatus.READY and pack.progress == 100 and pack.page_count
    status = client.get(f"/evidencias/{pack.id}/estado").get_json()
    assert status["status"] == "ready" and status["ready"] is True
    page = client.get(f"/evidencias/{pack.id}").get_data(as_text=True)
    assert "Listo." in page and pack.file_sha256 in page
    download = client.get(f"/evidencias/{pack.id}/descargar")
    assert download.status_code == 200 and download.data.startswith(b"%PDF-")
    assert download.mimetype == "application/pdf"
    import hashlib

    assert hashlib.sha256(download.data).hexdigest() == pack.file_sha256
    assert "Paquetes de evidencias" in client.get("/inicio").get_data(as_text=True)


def test_bad_scope_is_refused_on_the_form(app, client):
    login(client, "calidad")
    start, end = period()
    page = post_form(client, "/evidencias/nuevo", {"start": end.isoformat(),
                                                   "end": start.isoformat()})
    assert page.status_code == 200
    assert "La fecha final es anterior a la inicial." in page.get_data(as_text=True)
    assert load(app, EvidencePack) is None


def test_a_failed_generation_is_marked_failed_and_leaves_no_file(app, client, monkeypatch):
    from qms.evidence import pack as builder

    def broken(*_a, **_k):
        raise RuntimeError("render crashed")

    monkeypatch.setattr(builder, "render", broken)
    login(client, "calidad")
    pack = _request_pack(app, client)
    assert pack.status == PackStatus.FAILED and pack.file_name is None
    assert "Error interno" in pack.error
    with app.app_context():
        folder = jobs.packs_dir()
    assert not list(folder.glob(f"{pack.pack_uid}*")) and not list(folder.glob(".*.part"))
    assert client.get(f"/evidencias/{pack.id}/descargar").status_code == 404


def test_a_write_that_breaks_midway_leaves_nothing_in_place(tmp_path):
    import pytest

    from qms.evidence.pack import write_atomically

    target = tmp_path / "pack.pdf"

    def half(handle):
        handle.write(b"%PDF-1.7 half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        write_atomically(target, half)
    assert list(tmp_path.iterdir()) == []


def test_a_generation_whose_process_died_is_failed_and_a_lost_queue_entry_restarted(
        app, client):
    stale = now_utc() - timedelta(minutes=10)
    with app.app_context():
        who = user("calidad").id
        dead = EvidencePack(pack_uid="d" * 32, period_start=period()[0],
                            period_end=period()[1], status=PackStatus.RUNNING,
                            requested_by_id=who, requested_at=stale, started_at=stale,
                            heartbeat_at=stale, progress=40)
        lost = EvidencePack(pack_uid="e" * 32, period_start=period()[0],
                            period_end=period()[1], status=PackStatus.QUEUED,
                            requested_by_id=who, requested_at=stale)
        db.session.add_all([dead, lost])
        db.session.commit()
        ids = dead.id, lost.id
    login(client, "calidad")
    page = client.get("/evidencias/").get_data(as_text=True)
    dead, lost = load(app, EvidencePack, ids[0]), load(app, EvidencePack, ids[1])
    assert dead.status == PackStatus.FAILED and "interrumpió" in dead.error
    assert dead.file_name is None and client.get(f"/evidencias/{dead.id}/descargar").status_code == 404
    assert lost.status == PackStatus.READY  # resumed by the listing, not left queued
    assert "Falló" in page


def test_sharing_widening_and_revoking_are_audit_events(app, client):
    login(client, "calidad")
    pack = _request_pack(app, client)
    response = _share(app, client, pack)
    assert response.status_code == 302
    share = load(app, PackShare)
    assert share.process_codes == ["PAG"]
    again = _share(app, client, pack)  # the same person again: refused, said on the page
    assert again.status_code == 302
    assert "ya está compartido" in client.get(f"/evidencias/{pack.id}").get_data(as_text=True)
    post_form(client, f"/evidencias/compartidos/{share.id}/ampliar",
              {f"widen{share.id}-version": str(share.version),
               f"widen{share.id}-add_process_codes": ["QUE"]},
              token_from=f"/evidencias/{pack.id}")
    share = load(app, PackShare, share.id)
    assert share.process_codes == ["PAG", "QUE"]
    post_form(client, f"/evidencias/compartidos/{share.id}/revocar",
              {f"revoke{share.id}-version": str(share.version),
               f"revoke{share.id}-reason": "Auditoría terminada"},
              token_from=f"/evidencias/{pack.id}")
    assert load(app, PackShare, share.id).revoked_at is not None
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.entity_type == "evidence_pack_share").order_by(AuditEvent.id)).all()
    assert actions == ["share", "widen", "revoke"]
    page = client.get(f"/evidencias/{pack.id}").get_data(as_text=True)
    assert "Acceso revocado" in page and "Alcance ampliado" in page


def test_the_certifier_reads_only_in_scope_within_the_window_and_is_logged(app, client):
    login(client, "calidad")
    pack = _request_pack(app, client)
    _share(app, client, pack)
    in_scope, outside = _nc(app, "Pago acreditado a otra persona"), _nc(app, "Queja sin respuesta en plazo")
    post_form(client, "/logout", token_from="/inicio")
    login(client, "certificador")
    listing = client.get("/evidencias/").get_data(as_text=True)
    assert f"/evidencias/{pack.id}" in listing
    assert client.get(f"/evidencias/{pack.id}/descargar").status_code == 200
    assert client.get(f"/no-conformidades/{in_scope.id}").status_code == 200
    assert client.get(f"/no-conformidades/{outside.id}").status_code == 403
    assert client.get(f"/no-conformidades/{in_scope.id}/editar").status_code == 403
    assert post_form(client, f"/no-conformidades/{in_scope.id}/correccion",
                     {"correction": "x"}, token_from=f"/no-conformidades/{in_scope.id}"
                     ).status_code == 403
    assert client.get("/evidencias/accesos").status_code == 403
    with app.app_context():
        views = [Row(v) for v in db.session.scalars(select(CertifierView)
                                                    .order_by(CertifierView.id))]
    paths = [(v.path, v.status_code, v.record_type, v.record_id) for v in views]
    assert (f"/no-conformidades/{in_scope.id}", 200, "nc", str(in_scope.id)) in paths
    assert (f"/no-conformidades/{outside.id}", 403, "nc", str(outside.id)) in paths
    assert any(v.is_file and v.path.endswith("/descargar") for v in views)
    post_form(client, "/logout", token_from="/inicio")
    login(client, "calidad")
    log = client.get("/evidencias/accesos").get_data(as_text=True)
    assert today_local().isoformat() in log and f"/no-conformidades/{outside.id}" in log
    assert "Rechazado" in log and "archivo" in log


def test_outside_the_window_or_after_revoking_the_certifier_sees_nothing(app, client):
    login(client, "calidad")
    pack = _request_pack(app, client)
    today = today_local()
    _share(app, client, pack, **{"share-starts_on": (today + timedelta(days=3)).isoformat()})
    nc = _nc(app, "Pago acreditado a otra persona")
    post_form(client, "/logout", token_from="/inicio")
    login(client, "certificador")
    assert client.get(f"/no-conformidades/{nc.id}").status_code == 403
    assert client.get(f"/evidencias/{pack.id}/descargar").status_code == 403
    assert "No tiene paquetes compartidos" in client.get("/evidencias/").get_data(as_text=True)


def test_beneficiaries_answers_and_complainants_contacts_stay_hidden(app_ctx):
    from qms.core.permissions import can

    certifier = user("certificador")
    for action in ("survey.read_comments", "survey.export_responses", "complaint.contact"):
        assert not can(certifier, action)
    assert can(user("calidad"), "survey.read_comments")


def test_the_certifiers_registers_list_only_what_it_may_open(app, client):
    """A register never lists a record whose page answers 403: the certifier's NC and
    document registers, their counts, charts and exports hold only the shared processes
    (and documents bound to no process), and nothing at all without an active share."""
    with app.app_context():  # a document of the outside NC's process, and one of none
        from qms.core import audit
        from qms.documents import services as document_services
        from qms.documents.models import DocumentType
        from tests.documents.conftest import make_document

        process = db.session.get(Nonconformity, _nc(app, "Queja sin respuesta en plazo").id
                                 ).process
        make_document("PR-OTRO-01", process=process)
        with audit.acting_as(user("calidad")):
            document_services.create_document(
                code="MC-SGC", title="Manual de calidad", doc_type=DocumentType.MANUAL,
                process=None, review_interval_months=12)
        db.session.commit()
    login(client, "calidad")
    pack = _request_pack(app, client)
    in_scope, outside = _nc(app, "Pago acreditado a otra persona"), _nc(app, "Queja sin respuesta en plazo")
    everything = client.get("/no-conformidades/?sort=title").get_data(as_text=True)
    assert in_scope.code in everything and outside.code in everything
    post_form(client, "/logout", token_from="/inicio")

    login(client, "certificador")  # no share yet: no record to list
    assert outside.code not in client.get("/no-conformidades/").get_data(as_text=True)
    nothing = client.get("/documentos/").get_data(as_text=True)
    assert "PR-PAG-01" not in nothing and "MC-SGC" not in nothing
    post_form(client, "/logout", token_from="/inicio")

    login(client, "calidad")
    _share(app, client, pack)  # PAG only
    post_form(client, "/logout", token_from="/inicio")
    login(client, "certificador")
    register = client.get("/no-conformidades/?sort=title&per_page=100").get_data(as_text=True)
    assert in_scope.code in register and outside.code not in register
    with app.app_context():
        shared = db.session.scalar(select(db.func.count()).select_from(Nonconformity).join(
            Nonconformity.process).where(db.text("process.code = 'PAG'")))
    assert f'data-count="{shared}"' in register
    csv = client.get("/no-conformidades/exportar.csv").get_data(as_text=True)
    assert in_scope.code in csv and outside.code not in csv
    for href in _nc_links(register):
        assert client.get(href).status_code == 200, href
    processes = client.get("/procesos/").get_data(as_text=True)
    links = sorted(set(re.findall(r'href="(/procesos/\d+)"', processes)))
    assert links and all(client.get(href).status_code == 200 for href in links), links
    documents = client.get("/documentos/").get_data(as_text=True)
    master = client.get("/documentos/lista-maestra.csv").get_data(as_text=True)
    with app.app_context():
        from qms.documents.models import Document
        from qms.processes.models import Process

        rows = db.session.execute(select(Document.code, Process.code).outerjoin(
            Process, Document.process_id == Process.id)).all()
    assert rows, "the demo has documents"
    for code, process in rows:
        expected = process in (None, "PAG")
        assert (code in master) == expected, (code, process)
    assert any(process not in (None, "PAG") for _code, process in rows), rows
    assert all(code not in documents for code, process in rows if process not in (None, "PAG"))


def _nc_links(page: str) -> list[str]:
    return sorted(set(re.findall(r'href="(/no-conformidades/\d+)"', page)))
