"""The document register page: paginated, sorted, filters and revision queue kept, and a
query count that does not grow with the register."""

from __future__ import annotations

import re

from sqlalchemy import event

from qms.documents import register
from qms.documents.models import DocumentType
from qms.extensions import db
from tests.documents.conftest import bring_into_force, make_document, make_process, submit


def _codes(html: str) -> list[str]:
    """The document codes of the register's table, top to bottom."""
    body = html.split('id="master-list"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'href="/documentos/\d+">(?:<[^>]+>)?([A-Z]{2}-[A-Z]+-\d+)', body)


def _build(app, count: int, start: int = 0) -> None:
    with app.test_request_context():
        process = make_process("SGC", "calidad") if start == 0 else None
        from qms.processes.models import Process
        process = process or db.session.query(Process).filter_by(code="SGC").one()
        for i in range(start, start + count):
            kind = DocumentType.FORM if i % 2 else DocumentType.PROCEDURE
            prefix = "FO" if i % 2 else "PR"
            _doc, revision = make_document(f"{prefix}-SGC-{i:02d}", process=process,
                                           doc_type=kind)
            if i % 3 == 0:
                bring_into_force(revision, days_ago=10 * i)  # in force, review dates spread
            elif i % 3 == 1:
                submit(revision)  # in the revision queue
        db.session.commit()


def test_the_register_is_paginated_keeping_filters_and_sort(app, login_as, monkeypatch):
    monkeypatch.setattr(register, "PER_PAGE", 2)
    _build(app, 5)
    client = login_as("calidad")
    first = client.get("/documentos/").get_data(as_text=True)
    assert _codes(first) == ["FO-SGC-01", "FO-SGC-03"]
    assert 'data-count="5"' in first and "Página 1 de 3" in first
    last = client.get("/documentos/?page=3").get_data(as_text=True)
    assert _codes(last) == ["PR-SGC-04"] and "Página 3 de 3" in last
    # past the end: the last page, not an empty one
    assert _codes(client.get("/documentos/?page=99").get_data(as_text=True)) == ["PR-SGC-04"]
    # a filter and a sort survive the move to the next page
    procedures = client.get("/documentos/?tipo=procedure&orden=-codigo").get_data(as_text=True)
    assert _codes(procedures) == ["PR-SGC-04", "PR-SGC-02"] and 'data-count="3"' in procedures
    following = re.search(r'href="(/documentos/\?[^"]*page=2[^"]*)"', procedures).group(1)
    assert "tipo=procedure" in following and "orden=-codigo" in following
    assert _codes(client.get(following.replace("&amp;", "&")).get_data(as_text=True)) \
        == ["PR-SGC-00"]


def test_sorts_by_derived_columns_with_the_undated_last(app, login_as, monkeypatch):
    monkeypatch.setattr(register, "PER_PAGE", 50)
    _build(app, 7)
    client = login_as("calidad")
    # in force 00 (today), 03 (30 days ago), 06 (60 days ago): the next review follows
    by_review = _codes(client.get("/documentos/?orden=proxima_revision").get_data(as_text=True))
    assert by_review[:3] == ["PR-SGC-06", "FO-SGC-03", "PR-SGC-00"]
    newest = _codes(client.get("/documentos/?orden=-proxima_revision").get_data(as_text=True))
    assert newest[:3] == ["PR-SGC-00", "FO-SGC-03", "PR-SGC-06"]
    assert set(newest[3:]) == set(by_review[3:]) and len(newest) == 7  # undated last
    # the revision queue: 01 and 04 were submitted for review
    queue = client.get("/documentos/?cola=en_revision&orden=-codigo").get_data(as_text=True)
    assert _codes(queue) == ["PR-SGC-04", "FO-SGC-01"] and 'data-count="2"' in queue
    # an unknown sort is the default (by code), not an error
    assert _codes(client.get("/documentos/?orden=nada").get_data(as_text=True)) \
        == sorted(by_review)


def _queries(app, client, url: str) -> int:
    seen = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: seen.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(seen)


URLS = ["/documentos/", "/documentos/?page=2", "/documentos/?estado=effective",
        "/documentos/?revision=due&orden=-vigente_desde", "/documentos/?cola=en_revision",
        "/documentos/?q=sgc&orden=titulo"]


def test_the_register_costs_the_same_queries_at_any_size(app, login_as, monkeypatch):
    monkeypatch.setattr(register, "PER_PAGE", 3)
    client = login_as("calidad")
    _build(app, 4)
    small = {url: _queries(app, client, url) for url in URLS}
    _build(app, 12, start=4)
    large = {url: _queries(app, client, url) for url in URLS}
    assert large == small
