"""A database at a national programme's scale, for the register benchmarks.

    build(app, ncs=20_000, documents=300, events=400_000)

Starts from ``qms init`` and the demo data (users, processes, documents, audits, NCs in
every state), then adds, through bulk loads consistent with the models:

- ``ncs`` nonconformities over three years with gapless codes per year (and the year
  counters moved on), about two thirds closed with a signed closing, the rest spread over
  the open states and a few cancelled; an analysis per NC past ``reported``, one to three
  corrective actions per NC with an action plan (a quarter of the open ones overdue), an
  effectiveness verification for those in verification or closed;
- documents up to ``documents``, created and brought into force through the services
  (audited like any other);
- audit events up to ``events``: one ``insert`` per bulk-loaded row and the workflow
  transitions of each NC, then updates spread over the trail, chained by SHA-256 after
  the current head exactly as :mod:`qms.core.audit` writes them, so
  ``flask qms verify-audit-log`` passes.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

#: Share of NCs in each state, as a real register after three years looks.
STATUS_WEIGHTS = {"reported": 4, "analysis": 5, "action_plan": 5, "implementation": 12,
                  "verification": 4, "closed": 68, "cancelled": 2}
TITLES = ["Pago entregado fuera del calendario en {m}", "Listado de titulares desactualizado en {m}",
          "Corresponsabilidad sin verificar en {m}", "Queja sin respuesta en plazo en {m}",
          "Acta de evento de pago incompleta en {m}", "Error de digitación en el padrón de {m}",
          "Capacitación del personal de campo pendiente en {m}",
          "Encuesta aplicada con formulario obsoleto en {m}"]


def _say(message: str, started: float) -> None:
    print(f"  {message} ({time.perf_counter() - started:.1f} s)", flush=True)


def build(app, ncs: int = 20_000, documents: int = 300, events: int = 400_000,
          seed: int = 15) -> dict:
    """Fill the app's (migrated, empty) database; return a few ids the pages need."""
    runner = app.test_cli_runner()
    started = time.perf_counter()
    for args in (["qms", "init"], ["qms", "seed-demo"]):
        result = runner.invoke(args=args)
        if result.exit_code != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {result.output}") from result.exception
    _say("init + demo data", started)
    rng = random.Random(seed)
    with app.app_context():
        _documents(documents, started)
        _ncs(ncs, rng, started)
        _events(events, rng, started)
        return _ids()


def _documents(target: int, started: float) -> None:
    from qms.core import audit
    from qms.core.roles import Role
    from qms.documents import lifecycle, services
    from qms.documents.demo import _bring_into_force, _users
    from qms.documents.models import Confidentiality, Document, DocumentType
    from qms.extensions import db
    from qms.processes.models import Process

    users = _users()
    processes = list(db.session.scalars(select(Process).order_by(Process.id)))
    have = db.session.scalar(select(func.count(Document.id)))
    kinds = [DocumentType.PROCEDURE, DocumentType.INSTRUCTION, DocumentType.FORM]
    for i in range(have, target):
        process = processes[i % len(processes)]
        with audit.acting_as(users["calidad"]):
            document = services.create_document(
                code=f"IT-{process.code}-{i:03d}", title=f"Instructivo {i} del proceso {process.name}",
                doc_type=kinds[i % 3], process=process, owner=users["duenio"],
                confidentiality=Confidentiality.INTERNAL, review_interval_months=12)
            services.set_distribution(document, roles=[Role.PROCESS_OWNER])
            revision = lifecycle.new_revision(
                document, author=users["calidad"], change_summary="Emisión inicial",
                content_md=f"# Instructivo {i}\n\n1. Paso uno.\n2. Paso dos.\n")
        _bring_into_force(revision, users["calidad"], users["direccion"], 30 + i % 300)
        if i % 50 == 0:
            db.session.commit()
    db.session.commit()
    _say(f"documents: {target}", started)


def _ncs(count: int, rng: random.Random, started: float) -> None:
    from qms.auth.models import User
    from qms.core import geo
    from qms.core.db import bulk_insert
    from qms.core.time import today_local
    from qms.extensions import db
    from qms.nonconformities import figures
    from qms.nonconformities.enums import NCSeverity, NCSource
    from qms.nonconformities.models import (
        CorrectiveAction,
        EffectivenessVerification,
        NCAnalysis,
        NCYearCounter,
        Nonconformity,
    )
    from qms.nonconformities.services.workflow import format_code
    from qms.processes.models import Process

    users = list(db.session.scalars(select(User).order_by(User.id)))
    people = [u.id for u in users]
    processes = list(db.session.scalars(select(Process.id)))
    munis = list(geo.municipalities().values())
    counters = {c.year: c.last_number for c in db.session.scalars(select(NCYearCounter))}
    today = today_local()
    years = [today.year - 2, today.year - 1, today.year]
    statuses = list(STATUS_WEIGHTS)
    weights = list(STATUS_WEIGHTS.values())
    nc_rows, plan = [], []
    for _ in range(count):
        year = rng.choice(years)
        number = counters.get(year, 0) + 1
        counters[year] = number
        start = date(year, 1, 1)
        span = max(1, min((today - start).days, 364))
        detected = start + timedelta(days=rng.randrange(span))
        status = rng.choices(statuses, weights)[0]
        muni = rng.choice(munis)
        created = datetime(detected.year, detected.month, detected.day, 16, tzinfo=UTC)
        closed_at = None
        if status == "closed":
            closed_at = created + timedelta(days=rng.randint(10, 160), hours=rng.randint(0, 8))
            closed_at = min(closed_at, datetime.now(UTC) - timedelta(hours=1))
        row = {
            "code": format_code(year, number), "year": year, "number": number,
            "title": rng.choice(TITLES).format(m=muni.name), "version": 1,
            "description": "Se detectó durante el seguimiento del proceso. " * 3,
            "source": rng.choice(list(NCSource)), "process_id": rng.choice(processes),
            "severity": rng.choice(list(NCSeverity)), "status": status,
            "department_code": muni.department_code, "municipality_code": muni.code,
            "detected_on": detected, "detected_by_id": rng.choice(people),
            "reported_by_id": rng.choice(people), "origin_type": None, "origin_id": None,
            "origin_label": None, "correction": None if status == "reported" else
            "Se corrigió el caso puntual y se informó al titular.",
            "correction_on": None if status == "reported" else detected + timedelta(days=2),
            "analysis_round": 1,
            "cancel_reason": "Registrada por duplicado." if status == "cancelled" else None,
            "closed_at": closed_at, "closed_by_id": people[0] if closed_at else None,
            "close_meaning": "Cierre: acciones eficaces." if closed_at else None,
            "created_at": created, "updated_at": closed_at or created,
        }
        nc_rows.append(row)
        plan.append(status)
    bulk_insert(Nonconformity.__table__, nc_rows)
    for year, last in counters.items():
        db.session.execute(bulk_upsert_counter(NCYearCounter, year, last))
    ids = dict(db.session.execute(select(Nonconformity.code, Nonconformity.id)).all())
    analyses, actions, verifications = [], [], []
    for row, status in zip(nc_rows, plan, strict=True):
        nc_id = ids[row["code"]]
        created = row["created_at"]
        if status in ("reported", "cancelled"):
            continue
        analyses.append({"nc_id": nc_id, "round": 1, "version": 1,
                         "whys": ["Falta de control", "Procedimiento no aplicado",
                                  "Personal sin capacitación"],
                         "ishikawa": {"method": ["Paso omitido"]},
                         "root_cause": "El personal de campo no aplica el procedimiento.",
                         "updated_at": created + timedelta(days=5)})
        if status == "analysis":
            continue
        for n in range(1, rng.randint(1, 3) + 1):
            done = status in ("verification", "closed") or (status == "implementation"
                                                             and rng.random() < 0.3)
            due = row["detected_on"] + timedelta(days=rng.randint(20, 90))
            if status in ("action_plan", "implementation") and rng.random() < 0.25:
                due = today - timedelta(days=rng.randint(1, 30))  # overdue
            elif status in ("action_plan", "implementation"):
                due = max(due, today + timedelta(days=rng.randint(1, 60)))
            actions.append({
                "nc_id": nc_id, "number": n, "round": 1, "version": 1,
                "description": "Capacitar al personal y ajustar el control.",
                "owner_id": rng.choice(people), "due_on": due,
                "status": "done" if done else ("in_progress" if status == "implementation"
                                               else "planned"),
                "evidence": "Acta de capacitación firmada." if done else None,
                "started_on": row["detected_on"] + timedelta(days=7) if done else None,
                "completed_at": created + timedelta(days=9) if done else None,
                "created_at": created + timedelta(days=6)})
        if status in ("verification", "closed"):
            closed = status == "closed"
            verifications.append({
                "nc_id": nc_id, "round": 1, "version": 1,
                "planned_on": row["detected_on"] + timedelta(days=40),
                "verifier_id": rng.choice(people), "result": "effective" if closed else None,
                "evidence": "Revisión de 30 casos sin repetición." if closed else None,
                "verified_at": row["closed_at"] if closed else None,
                "recorded_by_id": people[0] if closed else None})
    bulk_insert(NCAnalysis.__table__, analyses)
    bulk_insert(CorrectiveAction.__table__, actions)
    bulk_insert(EffectivenessVerification.__table__, verifications)
    # Rows written without the ORM: fill what the flush would have kept (next due dates,
    # the register's figures); the text search is kept by the database itself.
    figures.rebuild()
    db.session.commit()
    _say(f"NCs: {count:,} ({plan.count('closed'):,} closed), {len(analyses):,} analyses, "
         f"{len(actions):,} actions, {len(verifications):,} verifications", started)


def bulk_upsert_counter(model, year: int, last: int):
    from qms.core.db import upsert_statement

    statement = upsert_statement(model.__table__, ["year"], replace=["last_number"])
    return statement.values(year=year, last_number=last)


def _events(target: int, rng: random.Random, started: float) -> None:
    """Chain events after the current head: inserts of the bulk rows first (what the
    trail would hold had they been created one by one), then updates up to ``target``."""
    from qms.core.audit import GENESIS_HASH, AuditEvent, compute_hash
    from qms.core.db import bulk_insert, to_plain
    from qms.extensions import db
    from qms.nonconformities.models import CorrectiveAction, NCAnalysis, Nonconformity

    have = db.session.scalar(select(func.count(AuditEvent.id)))
    prev = db.session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)) \
        or GENESIS_HASH
    logged = {int(i) for i in db.session.scalars(
        select(AuditEvent.entity_id).where(AuditEvent.entity_type == "nonconformity"))}
    sources = [(Nonconformity, ("code", "title", "status")), (NCAnalysis, ("round",)),
               (CorrectiveAction, ("number", "status"))]
    batch: list[dict] = []
    written = 0

    def emit(entity_type, entity_id, action, before, after, when, actor=1) -> None:
        nonlocal prev, written
        row = {"occurred_at": when, "actor_id": actor, "actor_label": "calidad",
               "action": action, "entity_type": entity_type, "entity_id": str(entity_id),
               "before": before, "after": after, "note": None}
        content = {**row, "occurred_at": to_plain(when)}
        row["prev_hash"] = prev
        row["hash"] = prev = compute_hash(prev, content)
        batch.append(row)
        written += 1
        if len(batch) >= 5000:
            bulk_insert(AuditEvent.__table__, batch)
            batch.clear()

    now = datetime.now(UTC).replace(microsecond=0)
    nc_ids = []
    for model, fields in sources:
        table = model.__table__
        columns = [table.c.id, *[table.c[f] for f in fields]]
        for row in db.session.execute(select(*columns).order_by(table.c.id)):
            if model is Nonconformity:
                if row.id in logged:
                    continue
                nc_ids.append(row.id)
            emit(table.name, row.id, "insert", None, {f: getattr(row, f) for f in fields},
                 now - timedelta(days=800) + timedelta(seconds=written))
    steps = ["analysis", "action_plan", "implementation", "verification", "closed"]
    while have + written < target and nc_ids:
        nc_id = rng.choice(nc_ids)
        step = rng.randrange(len(steps) - 1)
        emit("nonconformity", nc_id, f"transition:{steps[step + 1]}",
             {"status": steps[step]}, {"status": steps[step + 1]},
             now - timedelta(days=800) + timedelta(seconds=written))
    if batch:
        bulk_insert(AuditEvent.__table__, batch)
    db.session.commit()
    _say(f"audit events: {have + written:,}", started)


def _ids() -> dict:
    from qms.documents.models import Document
    from qms.extensions import db
    from qms.nonconformities.models import Nonconformity

    closed = db.session.scalar(select(Nonconformity.id).where(Nonconformity.status == "closed")
                               .order_by(Nonconformity.id.desc()).limit(1))
    open_ = db.session.scalar(select(Nonconformity.id)
                              .where(Nonconformity.status == "implementation")
                              .order_by(Nonconformity.id.desc()).limit(1))
    document = db.session.scalar(select(Document.id).order_by(Document.id).limit(1))
    from qms.core.audit import AuditEvent

    return {"nc_closed": closed, "nc_open": open_, "document": document,
            "ncs": db.session.scalar(select(func.count(Nonconformity.id))),
            "events": db.session.scalar(select(func.count(AuditEvent.id)))}

