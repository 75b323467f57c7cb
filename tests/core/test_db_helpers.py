"""qms.core.db helpers: portable bulk insert and upsert (SQLite and PostgreSQL), and the
frozen clock, which belongs to the thread or context that froze it."""

from __future__ import annotations

import contextvars
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, UniqueConstraint, select

from qms.core.db import BULK_CHUNK, UTCDateTime, bulk_insert, frozen_clock, now_utc, upsert
from qms.extensions import db


def _table(name: str) -> Table:
    return Table(
        name, MetaData(),
        Column("id", Integer, primary_key=True),
        Column("wave", Integer, nullable=False),
        Column("code", String(20), nullable=False),
        Column("n", Integer, nullable=False),
        Column("label", String(40)),
        Column("seen_at", UTCDateTime()),
        Column("extra", JSON),
        UniqueConstraint("wave", "code"),
    )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def scratch(request):
    """A throw-away table on SQLite or on PostgreSQL, inside an app context."""
    application = request.getfixturevalue("app" if request.param == "sqlite" else "pg_app")
    with application.test_request_context():
        table = _table(f"scratch_upsert_{request.param}")
        table.drop(db.engine, checkfirst=True)
        table.create(db.engine)
        try:
            yield table
        finally:
            db.session.rollback()
            table.drop(db.engine)


def _rows(table: Table) -> dict[tuple[int, str], tuple]:
    return {(r.wave, r.code): (r.n, r.label) for r in db.session.execute(select(table))}


def test_upsert_adds_replaces_or_keeps_on_conflict(scratch):
    first = [{"wave": 1, "code": "P1", "n": 2, "label": "a"},
             {"wave": 1, "code": "P2", "n": 5, "label": "b"}]
    assert upsert(scratch, first, ["wave", "code"], add=["n"]) == 2
    upsert(scratch, [{"wave": 1, "code": "P1", "n": 3, "label": "ignored"},
                     {"wave": 2, "code": "P1", "n": 1, "label": "c"}], ["wave", "code"], add=["n"])
    assert _rows(scratch) == {(1, "P1"): (5, "a"), (1, "P2"): (5, "b"), (2, "P1"): (1, "c")}

    upsert(scratch, [{"wave": 1, "code": "P2", "n": 9, "label": "new"}], ["wave", "code"],
           replace=["label"])
    assert _rows(scratch)[(1, "P2")] == (5, "new")  # label replaced, n untouched

    upsert(scratch, [{"wave": 1, "code": "P1", "n": 100, "label": "x"},
                     {"wave": 3, "code": "P9", "n": 7, "label": "d"}], ["wave", "code"])
    rows = _rows(scratch)
    assert rows[(1, "P1")] == (5, "a") and rows[(3, "P9")] == (7, "d")  # DO NOTHING


def test_upsert_returning_gives_the_stored_value(scratch):
    from qms.core.db import upsert_statement

    statement = upsert_statement(scratch, ["wave", "code"], add=["n"])
    taken = [db.session.execute(statement.values(wave=9, code="C", n=1)
                                .returning(scratch.c.n)).scalar_one() for _ in range(3)]
    assert taken == [1, 2, 3]  # the yearly NC counter works this way


def test_bulk_insert_converts_values_like_the_orm_and_chunks(scratch):
    moment = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    rows = [{"wave": 5, "code": f"R{i}", "n": i, "label": None, "seen_at": moment,
             "extra": {"k": [i, "ñ"]}} for i in range(BULK_CHUNK + 7)]
    assert bulk_insert(scratch, rows) == BULK_CHUNK + 7
    assert bulk_insert(scratch, []) == 0
    stored = db.session.execute(select(scratch).where(scratch.c.code == "R3")).one()
    assert stored.seen_at == moment and stored.seen_at.tzinfo is not None
    assert stored.extra == {"k": [3, "ñ"]}
    count = db.session.scalar(select(db.func.count()).select_from(scratch))
    assert count == BULK_CHUNK + 7


def test_bulk_insert_is_part_of_the_transaction(scratch):
    bulk_insert(scratch, [{"wave": 1, "code": "A", "n": 1}])
    db.session.rollback()
    assert _rows(scratch) == {}


# --------------------------------------------------------------------- frozen clock


def test_frozen_clock_nests_and_restores():
    outer = datetime(2025, 1, 1, tzinfo=UTC)
    inner = outer + timedelta(days=3)
    with frozen_clock(outer):
        assert now_utc() == outer
        with frozen_clock(inner):
            assert now_utc() == inner
        assert now_utc() == outer
    assert abs(now_utc() - datetime.now(UTC)) < timedelta(seconds=5)
    with pytest.raises(ValueError), frozen_clock(datetime(2025, 1, 1)):  # naive: refused
        pass


def test_a_frozen_clock_does_not_leak_into_another_thread():
    """A test freezing time must not change what a live server thread or a job thread
    sees (the old module-level list did); a thread started with the test's context sees
    the test's time."""
    moment = datetime(2020, 6, 1, 8, 0, tzinfo=UTC)
    seen: dict[str, datetime] = {}
    frozen = threading.Event()
    done = threading.Event()

    def other_thread():
        frozen.wait(5)
        seen["other"] = now_utc()
        done.set()

    worker = threading.Thread(target=other_thread)
    worker.start()
    with frozen_clock(moment):
        frozen.set()
        done.wait(5)
        context = contextvars.copy_context()
        shared = threading.Thread(target=lambda: context.run(
            lambda: seen.__setitem__("shared", now_utc())))
        shared.start()
        shared.join(5)
        assert now_utc() == moment
    worker.join(5)
    assert abs(seen["other"] - datetime.now(UTC)) < timedelta(minutes=1)  # the real clock
    assert seen["shared"] == moment
