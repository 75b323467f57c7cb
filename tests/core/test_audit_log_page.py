"""The audit-log page a certifier works with: filters, links to records, exports, pages read
by id down to the first event, and the chain's status as the background verification left
it (qms.core.chain): the page itself verifies nothing, yet shows an alteration."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, func, select, text

from qms.core import audit, audit_log, chain
from qms.core.audit import AuditEvent
from qms.core.chain import ChainCheckpoint
from qms.core.cli import qms
from qms.core.time import today_local
from qms.extensions import db
from qms.processes.models import Process, ProcessCategory
from qms.processes.services import create_process, update_process
from qms.reminders import jobs
from tests.conftest import user
from tests.core.test_query_plans import _sqlite_full_scans


def _processes(app, *codes: str, actor: str = "calidad") -> list[int]:
    with app.app_context(), audit.acting_as(user(actor)):
        ids = [create_process(code=code, name=f"Proceso {code}",
                              category=ProcessCategory.OPERATIONAL, owner=user("duenio")).id
               for code in codes]
        db.session.commit()
        return ids


def _tamper(sql: str, **params) -> None:
    """What someone with write access to the database file could do (the triggers that
    keep the trail append-only are dropped first, as in tests/core/test_audit.py)."""
    db.session.execute(text("DROP TRIGGER audit_event_no_update"))
    db.session.execute(text(sql), params)
    db.session.commit()


def test_internal_auditors_read_the_trail(app, login_as):
    assert login_as("auditor").get("/auditoria").status_code == 200


def test_filters_by_user_type_record_code_and_dates(app, login_as):
    (pag,) = _processes(app, "PAG")
    _processes(app, "TIC", actor="admin")
    client = login_as("certificador")
    with app.app_context():
        admin_id = user("admin").id
    everything = client.get("/auditoria?tipo=process").get_data(as_text=True)
    assert "Proceso PAG" in everything and "Proceso TIC" in everything
    by_admin = client.get(f"/auditoria?tipo=process&usuario={admin_id}").get_data(as_text=True)
    assert "Proceso TIC" in by_admin and "Proceso PAG" not in by_admin
    by_code = client.get("/auditoria?tipo=process&registro=pag").get_data(as_text=True)
    assert "Proceso PAG" in by_code and "Proceso TIC" not in by_code
    assert f'href="/procesos/{pag}"' in by_code  # each event links to its record
    today = today_local()
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert "Proceso PAG" in client.get(
        f"/auditoria?tipo=process&desde={today}&hasta={today}").get_data(as_text=True)
    future = client.get(f"/auditoria?tipo=process&desde={tomorrow}").get_data(as_text=True)
    assert "Ningún evento con estos filtros." in future
    system = client.get("/auditoria?usuario=sistema").get_data(as_text=True)
    assert "Proceso PAG" not in system and "Usuario Calidad" in system  # the seeded accounts


def test_a_bad_filter_says_what_is_wrong(app, login_as):
    client = login_as("calidad")
    response = client.get("/auditoria?desde=2026-13-01")
    assert response.status_code == 400
    assert "Escriba la fecha como AAAA-MM-DD." in response.get_data(as_text=True)
    backwards = client.get("/auditoria?desde=2026-05-02&hasta=2026-05-01")
    assert "anterior a la fecha «desde»" in backwards.get_data(as_text=True)
    assert "Elija el tipo de registro" in client.get(
        "/auditoria?registro=NC-2026-001").get_data(as_text=True)
    assert client.get("/auditoria/exportar.csv?usuario=x").status_code == 400


def test_exports_follow_the_filters(app, login_as):
    _processes(app, "PAG", "TIC")
    client = login_as("certificador")
    response = client.get("/auditoria/exportar.csv?tipo=process&registro=TIC")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["#", "Fecha y hora", "Quién"]
    assert len(rows) == 2 and rows[1][4] == "Proceso" and rows[1][5] == "TIC"
    assert "Código: TIC" in rows[1][6] and len(rows[1][8]) == 64  # changes, SHA-256
    book = load_workbook(io.BytesIO(client.get("/auditoria/exportar.xlsx?tipo=process").data))
    sheet = book.worksheets[0]
    assert sheet["A1"].value.startswith("Pista de auditoría")
    assert sheet.max_row == 4  # title, header, two events


def _verify_new(app) -> None:
    """One run of the scheduler's minute job."""
    with app.app_context():
        jobs.verify_new_audit_events()


def _head(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.max(AuditEvent.id)))


def _checkpoint(app) -> tuple | None:
    with app.app_context():
        row = db.session.get(ChainCheckpoint, chain.ROW_ID)
        return (row.version, row.event_id, row.verified_at) if row else None


def _chain_box(page: str) -> str:
    return re.search(r'<div class="alert[^"]*chain-status".*?</div>', page, re.S).group(0)


def _rename(app, code: str, times: int) -> None:
    with app.app_context(), audit.acting_as(user("calidad")):
        process = db.session.scalar(select(Process).where(Process.code == code))
        for n in range(times):
            update_process(process, expected_version=process.version, name=f"{code} {n}",
                           category=ProcessCategory.OPERATIONAL, description="")
            db.session.commit()


class _Queries:
    def __init__(self, app) -> None:
        self.statements: list[str] = []
        with app.app_context():
            self.engine = db.engine
        event.listen(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn, _cursor, statement, *_args) -> None:
        self.statements.append(statement)

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


def _page_queries(app, client, path: str) -> list[str]:
    counter = _Queries(app)
    try:
        assert client.get(path).status_code == 200
    finally:
        counter.close()
    return counter.statements


def test_the_page_shows_what_the_job_verified_and_verifies_nothing_itself(app, login_as):
    _processes(app, "PAG")
    client = login_as("certificador")
    page = client.get("/auditoria").get_data(as_text=True)
    assert 'data-chain="unverified"' in page and "aún no se ha verificado" in page
    assert _checkpoint(app) is None  # viewing did not verify (nor write) anything
    _verify_new(app)
    head = _head(app)
    box = _chain_box(client.get("/auditoria").get_data(as_text=True))
    assert 'data-chain="intact"' in box
    assert f"Cadena íntegra hasta el evento más reciente (#{head})" in box
    assert "La verificación completa desde el primer evento aún no se ha hecho" in box

    _rename(app, "PAG", 3)  # three events the job has not seen yet
    before = _checkpoint(app)
    box = _chain_box(client.get("/auditoria").get_data(as_text=True))
    assert 'data-chain="partial"' in box
    assert f"Cadena íntegra hasta el evento #{head}" in box
    assert f"3 eventos registrados después (hasta el #{head + 3}) aún no se han verificado" in box
    assert "La verificación automática los revisa cada minuto." in box
    assert _checkpoint(app) == before  # still nothing verified by the page
    with app.app_context():  # the whole trail's count, from the verification's numbers
        total = db.session.scalar(select(func.count(AuditEvent.id)))
    page = client.get("/auditoria").get_data(as_text=True)
    assert f"{total} eventos · se muestran del #{_head(app)}" in page
    _verify_new(app)
    box = _chain_box(client.get("/auditoria").get_data(as_text=True))
    assert 'data-chain="intact"' in box and f"(#{head + 3})" in box


def test_a_stopped_job_is_shown(app, login_as):
    _processes(app, "PAG")
    _verify_new(app)
    _rename(app, "PAG", 1)
    with app.app_context():
        row = db.session.get(ChainCheckpoint, chain.ROW_ID)
        db.session.execute(ChainCheckpoint.__table__.update().values(
            verified_at=row.verified_at - timedelta(hours=1)))
        db.session.commit()
    box = _chain_box(login_as("certificador").get("/auditoria").get_data(as_text=True))
    assert 'class="alert alert-warning chain-status"' in box
    assert "no ha avanzado en más de 10 minutos" in box and "flask qms scheduler" in box


def test_the_page_does_constant_work_however_many_events_wait(app, login_as):
    (pag,) = _processes(app, "PAG")
    _verify_new(app)
    client = login_as("certificador")
    few = _page_queries(app, client, "/auditoria")
    _rename(app, "PAG", 60)  # more than a page of unverified events
    many = _page_queries(app, client, "/auditoria")
    # Of the trail: the page, its count, the checkpoint, the head, the re-hashed last
    # verified event (unless it is on the page already) and the bounded pending count.
    for statements in (few, many):
        assert len([q for q in statements if "audit_event" in q or "audit_chain" in q]) <= 6
    assert len(many) <= 16 and len(few) <= 16  # the rest: the page's records' links
    assert not any("DISTINCT" in q.upper() for q in many)  # the type list is no scan
    deep = _page_queries(app, client, f"/auditoria?antes={_head(app) - 55}")
    dated = _page_queries(app, client, f"/auditoria?desde={today_local()}&hasta="
                                       f"{today_local()}&usuario=sistema")
    assert len(deep) <= len(few) + 1 and len(dated) <= len(few) + 2  # one probe a bound


def test_the_pages_read_by_index(app_ctx):
    """The statements behind every page and filter: no full scan of the trail."""
    today = today_local()
    cases = [audit_log.LogFilters(), audit_log.LogFilters(actor="2"),
             audit_log.LogFilters(actor=audit_log.SYSTEM_ACTOR),
             audit_log.LogFilters(entity_type="process"),
             audit_log.LogFilters(entity_type="process", record="7"),
             audit_log.LogFilters(date_from=today, date_to=today),
             audit_log.LogFilters(date_from=today, actor="2", entity_type="process")]
    statements = {"date probe": select(AuditEvent.id).where(
        AuditEvent.occurred_at >= func.current_timestamp())
        .order_by(AuditEvent.occurred_at, AuditEvent.id).limit(1)}
    for n, filters in enumerate(cases):
        stmt = audit_log.query(filters)
        if n:  # unfiltered, SQLite says "SCAN audit_event": the rowid, newest first, LIMIT 51
            statements[f"{n} newest"] = stmt.limit(51)
        statements[f"{n} older"] = stmt.where(AuditEvent.id < 10).limit(51)
        statements[f"{n} newer"] = stmt.where(AuditEvent.id > 10).order_by(None) \
            .order_by(AuditEvent.id).limit(51)
        statements[f"{n} count"] = select(func.count()).select_from(
            audit_log._ids(stmt).limit(audit_log.COUNT_CAP + 1).subquery())
    scans = {name: found for name, statement in statements.items()
             if (found := _sqlite_full_scans(statement))}
    assert scans == {}


def _links(page: str) -> dict[str, str]:
    """The page's navigation links by their text."""
    nav = re.search(r'<ul class="pagination[^"]*audit-pages">(.*?)</ul>', page, re.S)
    if not nav:
        return {}
    return {html.unescape(text_).strip(): html.unescape(href) for href, text_ in
            re.findall(r'<a class="page-link"[^>]*href="([^"]+)">([^<]+)</a>', nav.group(1))}


def _shown_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r"<tr>\s*<td>(\d+)</td>", page)]


def test_keyset_pages_reach_every_event_both_ways(app, login_as, monkeypatch):
    monkeypatch.setattr(audit_log, "PAGE_SIZE", 4)
    _processes(app, "PAG", "TIC", "RRHH")
    _rename(app, "TIC", 3)
    client = login_as("certificador")  # logging in leaves an event too
    with app.app_context():
        everything = db.session.scalars(select(AuditEvent.id).order_by(
            AuditEvent.id.desc())).all()
        processes = db.session.scalars(select(AuditEvent.id).where(
            AuditEvent.entity_type == "process").order_by(AuditEvent.id.desc())).all()
    assert len(everything) > 3 * 4

    for start, wanted in (("/auditoria", everything), ("/auditoria?tipo=process", processes)):
        # Older and older from the newest page, down to the very first event.
        seen, path, pages = [], start, []
        while path:
            page = client.get(path).get_data(as_text=True)
            seen += _shown_ids(page)
            pages.append(path)
            path = _links(page).get("Más antiguos ›")
        assert seen == list(wanted)
        assert set(_links(page)) == {"« Los más recientes", "‹ Más recientes"}  # the oldest
        # And back up from the oldest page, newer and newer, to the newest.
        oldest = _links(client.get(pages[0]).get_data(as_text=True))["Los más antiguos »"]
        seen, path = [], oldest
        while path:
            page = client.get(path).get_data(as_text=True)
            seen = _shown_ids(page) + seen
            path = _links(page).get("‹ Más recientes")
        assert seen == list(wanted)
        assert set(_links(page)) == {"Más antiguos ›", "Los más antiguos »"}  # the newest
    # What the page says about the position and the count.
    page = client.get(f"/auditoria?antes={everything[3]}").get_data(as_text=True)
    shown = everything[4:8]
    assert f"{len(everything)} eventos · se muestran del #{shown[0]} al #{shown[-1]}" in page


def test_old_numbered_links_and_bad_positions(app, login_as, monkeypatch):
    monkeypatch.setattr(audit_log, "PAGE_SIZE", 4)
    _processes(app, "PAG", "TIC", "RRHH", "UPE")
    client = login_as("certificador")
    with app.app_context():
        everything = db.session.scalars(select(AuditEvent.id).order_by(
            AuditEvent.id.desc())).all()
    _rename(app, "TIC", 9)
    with app.app_context():
        processes = db.session.scalars(select(AuditEvent.id).where(
            AuditEvent.entity_type == "process").order_by(AuditEvent.id.desc())).all()
    assert len(processes) > 12
    third = client.get("/auditoria?page=3&tipo=process")
    assert third.status_code == 302
    assert third.headers["Location"] == f"/auditoria?tipo=process&antes={processes[7]}"
    assert _shown_ids(client.get(third.headers["Location"]).get_data(as_text=True)) == \
        processes[8:12]
    with app.app_context():
        everything = db.session.scalars(select(AuditEvent.id).order_by(
            AuditEvent.id.desc())).all()
    second = client.get("/auditoria?page=2")
    assert second.headers["Location"] == f"/auditoria?antes={everything[3]}"
    assert _shown_ids(client.get(second.headers["Location"]).get_data(as_text=True)) == \
        everything[4:8]
    assert client.get("/auditoria?page=1").headers["Location"] == "/auditoria"
    assert client.get("/auditoria?page=999").headers["Location"] == "/auditoria?despues=0"
    bad = client.get("/auditoria?antes=abc")
    assert bad.status_code == 400
    assert "El número de evento debe ser un entero positivo." in bad.get_data(as_text=True)


def test_counts_stop_at_the_cap(app, login_as, monkeypatch):
    monkeypatch.setattr(audit_log, "COUNT_CAP", 5)
    _processes(app, "PAG", "TIC", "RRHH")
    page = login_as("certificador").get("/auditoria").get_data(as_text=True)
    assert "Más de 5 eventos" in page


def test_tampering_behind_the_checkpoint_is_found_by_the_full_walk_and_shown(app, login_as):
    _processes(app, "PAG")
    client = login_as("certificador")
    _verify_new(app)
    assert 'data-chain="intact"' in client.get("/auditoria").get_data(as_text=True)
    with app.app_context():
        target = db.session.scalar(select(func.min(AuditEvent.id))
                                   .where(AuditEvent.entity_type == "process"))
        _tamper("UPDATE audit_event SET note = 'retocado' WHERE id = :id", id=target)
    # Behind the checkpoint: neither the page nor the minute job can see it...
    _verify_new(app)
    assert 'data-chain="intact"' in client.get("/auditoria").get_data(as_text=True)
    # ...the full walk (the nightly job, the command) does, and the page says where.
    result = app.test_cli_runner().invoke(qms, ["verify-audit-log"])
    assert result.exit_code == 1 and f"broken at event #{target}" in result.output
    box = _chain_box(client.get("/auditoria").get_data(as_text=True))
    assert 'data-chain="broken"' in box and f"Cadena rota en el evento #{target}." in box
    assert "Detectado el" in box
    jump = re.search(r'href="([^"]+)">Ver el evento', box).group(1)
    assert _shown_ids(client.get(html.unescape(jump)).get_data(as_text=True))[0] == target
    _verify_new(app)  # the minute job does not clear it
    assert 'data-chain="broken"' in client.get("/auditoria").get_data(as_text=True)
    # Restored (e.g. from a backup): the next full walk says intact again.
    with app.app_context():
        db.session.execute(text("UPDATE audit_event SET note = NULL WHERE id = :id"),
                           {"id": target})
        db.session.commit()
    assert app.test_cli_runner().invoke(qms, ["verify-audit-log"]).exit_code == 0
    box = _chain_box(client.get("/auditoria").get_data(as_text=True))
    assert 'data-chain="intact"' in box and "Última verificación completa" in box


def test_an_altered_head_is_shown_at_once_and_new_events_are_checked_by_the_job(
        app, login_as):
    _processes(app, "PAG")
    client = login_as("certificador")
    _verify_new(app)
    head = _head(app)
    with app.app_context():
        _tamper("UPDATE audit_event SET note = 'x' WHERE id = :id", id=head)
    # The page re-hashes the last verified event: no job needed to see this.
    box = _chain_box(client.get("/auditoria").get_data(as_text=True))
    assert 'data-chain="broken"' in box and f"Cadena rota en el evento #{head}." in box
    assert "Detectado al abrir esta página" in box


def test_the_job_verifies_in_runs_and_records_a_problem_among_new_events(app, app_ctx):
    with audit.acting_as(user("calidad")):
        process = create_process(code="PAG", name="Pago", category=ProcessCategory.OPERATIONAL,
                                 owner=user("duenio"))
        db.session.commit()
    first = chain.verify_new(db.session)
    assert first.up_to_date and first.checked_up_to == first.head_id
    with audit.acting_as(user("calidad")):
        for n in range(5):
            update_process(process, expected_version=process.version, name=f"Pago {n}",
                           category=ProcessCategory.OPERATIONAL, description="")
            db.session.commit()
    partial = chain.verify_new(db.session, budget=2)  # two of the five new events
    db.session.commit()
    assert partial.intact and partial.checked_up_to == first.checked_up_to + 2
    assert partial.pending == 3 and partial.events == first.events + 2
    third = partial.checked_up_to + 2
    _tamper("UPDATE audit_event SET note = 'x' WHERE id = :id", id=third)
    broken = chain.verify_new(db.session)
    db.session.commit()
    assert not broken.intact and broken.problem.event_id == third
    assert broken.checked_up_to == third - 1 and broken.problem_found_at is not None
    assert chain.status(db.session).problem.event_id == third  # recorded, not recomputed


def test_two_passes_never_move_the_checkpoint_back(app, app_ctx):
    """A pass that read the checkpoint before another one wrote loses: its write is
    conditional on the version it read."""
    _processes(app, "PAG")
    chain.verify_new(db.session)
    db.session.commit()
    stale = db.session.get(ChainCheckpoint, chain.ROW_ID).version
    db.session.rollback()  # end the read before another session writes
    _rename(app, "PAG", 2)
    chain.verify_new(db.session)
    ahead = chain.status(db.session).checked_up_to
    assert ahead > 0
    chain._store(lambda: chain._write(db.session, stale, {"event_id": 1}))
    assert chain.status(db.session).checked_up_to == ahead
    db.session.rollback()


def test_a_long_walk_still_records_its_result_when_others_wrote_meanwhile(app, app_ctx):
    """SQLite cannot turn a read snapshot into a write once another connection has
    committed: the walk's result is written in a transaction of its own."""
    _processes(app, "PAG")
    db.session.scalar(select(func.count(AuditEvent.id)))  # this session's read begins
    _rename(app, "PAG", 1)  # another connection commits (a web request, say)
    count, problem = chain.verify_all(db.session)
    assert problem is None and chain.status(db.session).full_events == count


@pytest.mark.postgres
def test_verification_and_keyset_pages_on_postgres(pg_app):
    """The checkpoint's upsert and conditional write, and the pages, on PostgreSQL."""
    with pg_app.test_request_context():
        with audit.acting_as(user("calidad")):
            for code in ("ALA", "ALB", "ALC"):
                create_process(code=code, name=f"Proceso {code}",
                               category=ProcessCategory.OPERATIONAL, owner=user("duenio"))
            db.session.commit()
        try:
            done = chain.verify_new(db.session)
            db.session.commit()
            again = chain.verify_new(db.session)  # the row exists now: the update path
            db.session.commit()
            assert done.up_to_date and again.up_to_date and again.events == done.events
            newest = audit_log.window(audit_log.LogFilters(), audit_log.Position(), size=2)
            older = audit_log.window(audit_log.LogFilters(),
                                     audit_log.Position(before=newest.older), size=2)
            ids = db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id.desc())
                                     .limit(4)).all()
            assert [e.id for e in newest.events + older.events] == ids
            assert older.newer == older.events[0].id
            count, problem = chain.verify_all(db.session)
            db.session.commit()
            assert problem is None and chain.status(db.session).full_events == count
        finally:
            db.session.rollback()
