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
- for the other registers (:func:`_registers`): citizen complaints in the thousands over
  three years (bulk, in every state, a few with the NC they raised), an audit programme
  for each of the three years with audits planned, run, answered, reported (signed PDFs)
  and closed through the services, with their findings; a survey wave of
  ``responses`` responses imported like a Kobo export (on top of the demo's three); an
  evidence pack generated for a certifier;
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
          seed: int = 15, complaints: int = 6_000, responses: int = 10_000) -> dict:
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
        _registers(app, rng, started, complaints=complaints, responses=responses)
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


def _registers(app, rng: random.Random, started: float, *, complaints: int,
               responses: int) -> None:
    _complaints(complaints, rng, started)
    _audits(rng, started)
    _survey_wave(app, responses, started)
    _evidence_pack(app, started)


def _complaints(count: int, rng: random.Random, started: float) -> None:
    """Complaints over three years; the older, the likelier handled. About 3 % raised an
    NC (the NC's origin is not rewritten: the complaint side is what the register shows)."""
    from qms.complaints import codes
    from qms.complaints.models import Complaint, ComplaintCategory, ComplaintStatus
    from qms.core import geo
    from qms.core.db import bulk_insert
    from qms.extensions import db
    from qms.nonconformities.models import Nonconformity

    S = ComplaintStatus
    now = datetime.now(UTC).replace(microsecond=0)
    munis = list(geo.municipalities().values())
    categories = list(ComplaintCategory)
    staff = db.session.scalar(select(func.min(Nonconformity.reported_by_id)))
    ncs = list(db.session.execute(select(Nonconformity.id, Nonconformity.code)
                                  .where(Nonconformity.status != "cancelled").limit(2000)))
    rows = []
    for _ in range(count):
        received = now - timedelta(minutes=rng.randrange(3 * 365 * 24 * 60))
        age_days = (now - received).days
        if age_days > 30:
            status = rng.choices([S.CLOSED, S.ANSWERED, S.UNDER_REVIEW], [85, 12, 3])[0]
        else:
            status = rng.choice(list(S))
        muni = rng.choice(munis)
        anonymous = rng.random() < 0.4
        acknowledged = received + timedelta(hours=rng.randint(2, 60)) \
            if status != S.RECEIVED else None
        answered = received + timedelta(days=rng.randint(2, 20)) \
            if status in (S.ANSWERED, S.CLOSED) else None
        answered = min(answered, now) if answered else None
        closed = min(answered + timedelta(days=rng.randint(1, 10)), now) \
            if status == S.CLOSED else None
        nc = rng.choice(ncs) if ncs and status != S.RECEIVED and rng.random() < 0.03 else None
        rows.append({
            "tracking_code": codes.new_code(), "category": rng.choice(categories),
            "description": "No me llegó el pago del bono en la fecha anunciada y en la "
                           "oficina no me dieron razón.",
            "department_code": muni.department_code, "municipality_code": muni.code,
            "anonymous": anonymous, "contact_name": None if anonymous else "Titular del hogar",
            "contact_phone": None if anonymous else "9999-0000", "contact_email": None,
            "status": status, "received_at": received, "acknowledged_at": acknowledged,
            "answered_at": answered, "closed_at": closed,
            "public_answer": "Se revisó su caso y se reprogramó el pago." if answered else None,
            "internal_note": None, "nc_id": nc.id if nc else None,
            "nc_code": nc.code if nc else None,
            "handled_by_id": staff if status != S.RECEIVED else None, "version": 1,
            "updated_at": closed or answered or acknowledged or received})
    bulk_insert(Complaint.__table__, rows)
    db.session.commit()
    _say(f"complaints: {count:,}", started)


def _audits(rng: random.Random, started: float) -> None:
    """Programmes of the two years before this one with every process audited and
    closed, and more audits in this year's, through the services (so the trail, the codes,
    the checklists and the NCs raised from findings are as the app writes them)."""
    from qms.audits import checklists, report, services
    from qms.audits.enums import AuditType, FindingType, ItemResult, MemberRole
    from qms.auth.demo import demo_password
    from qms.auth.models import User
    from qms.core import audit as trail
    from qms.core.db import frozen_clock
    from qms.core.time import today_local
    from qms.extensions import db
    from qms.processes.models import Process

    users = {u.username: u for u in db.session.scalars(select(User))}
    lead, owner = users["auditor"], users["duenio"]
    procs = list(db.session.scalars(select(Process).where(Process.active.is_(True))
                                    .order_by(Process.code)))
    templates = {t.code: t for t in checklists.templates()}
    by_process = {"PAG": "LV-PAG-01", "QUE": "LV-QUE-01"}
    today = today_local()
    made = findings = 0
    for year in (today.year - 2, today.year - 1, today.year):
        prog = services.programme_for(year, create=True)
        if not prog.objectives:
            prog.objectives = "Auditar cada proceso del SGC en el año, con prioridad al riesgo."
        past = year < today.year
        for n, process in enumerate(procs if past else procs[:4]):
            month = 1 + (n * 12) // len(procs)
            start = date(year, month, 10 + n % 10)
            if not past and start >= today - timedelta(days=3):
                start = today - timedelta(days=30 + n)
            end = start + timedelta(days=2)
            moment = datetime(start.year, start.month, start.day, 14, tzinfo=UTC)
            with frozen_clock(moment), trail.acting_as(lead):
                audit = services.plan_audit(
                    prog, audit_type=AuditType.INTERNAL_PROCESS,
                    title=f"Auditoría del proceso {process.name} {year}", processes=[process],
                    scope=f"Proceso {process.code}; oficina central y dos departamentales.",
                    objectives="Verificar la conformidad con ISO 9001:2015.",
                    planned_start=start, planned_end=end, lead=lead,
                    template=templates.get(by_process.get(process.code, "LV-SGC-01")),
                    location="Oficina central, Tegucigalpa")
                services.add_member(audit, user=owner, role=MemberRole.AUDITEE)
                services.start_audit(audit, expected_version=audit.version, actual_start=start)
                for item in audit.items:
                    bad = rng.random() < 0.08
                    services.answer_item(
                        item, expected_version=item.version,
                        result=ItemResult.NONCONFORM if bad else ItemResult.CONFORM,
                        notes="Dos registros sin firma." if bad else "Registros revisados.",
                        actor=lead)
                kinds = [FindingType.OBSERVATION, FindingType.OPPORTUNITY]
                if rng.random() < 0.6:
                    kinds.append(FindingType.MINOR_NC)
                recorded = [services.record_finding(
                    audit, finding_type=kind, clause=rng.choice(["7.5.3", "8.5.1", "9.1.3"]),
                    process=process, description=f"Hallazgo {i + 1} de la auditoría.",
                    evidence="Registros del trimestre revisados.", actor=lead)
                    for i, kind in enumerate(kinds)]
                findings += len(recorded)
            if not past and n % 2:
                made += 1
                continue  # this year's: some still running
            with frozen_clock(moment + timedelta(days=2)), trail.acting_as(lead):
                report.sign_report(audit, expected_version=audit.version, actor=lead,
                                   password=demo_password(), actual_end=end,
                                   conclusion="Proceso conforme salvo los hallazgos.")
            with frozen_clock(moment + timedelta(days=9)), trail.acting_as(owner):
                for finding in recorded:
                    services.respond_finding(finding, expected_version=finding.version,
                                             actor=owner, response="Se corrigió y se capacitó.")
            with frozen_clock(moment + timedelta(days=12)), trail.acting_as(lead):
                services.close_audit(audit, expected_version=audit.version)
            made += 1
        db.session.commit()
    _say(f"audits: {made} more over three years, {findings} findings", started)


def _survey_wave(app, count: int, started: float) -> None:
    """One more wave of the demo survey, imported from an invented Kobo export."""
    import tempfile
    from pathlib import Path

    from qms.auth.models import User
    from qms.core import audit as trail
    from qms.core.time import today_local
    from qms.extensions import db
    from qms.surveys import importer, services, synthetic
    from qms.surveys.models import Survey, WaveStatus

    if not count:
        return
    survey = db.session.scalar(select(Survey).order_by(Survey.id).limit(1))
    year = today_local().year
    begin = date(year, 3, 1) if today_local() > date(year, 4, 15) else date(year - 1, 9, 1)
    officer = db.session.scalar(select(User).where(User.username == "calidad"))
    with trail.acting_as(officer):
        wave = services.create_wave(survey, code=f"{begin.year}-E",
                                    name=f"Ronda {begin.year} (escala)", starts_on=begin,
                                    ends_on=begin + timedelta(days=30), population=400_000)
        previous = services.open_wave(survey)
        if previous is not None:
            services.move_wave(previous, WaveStatus.CLOSED)
        services.move_wave(wave, WaveStatus.OPEN)
    db.session.commit()
    with tempfile.TemporaryDirectory() as folder:
        path = synthetic.write_csv(Path(folder) / "kobo.csv", count, seed=99, starts_on=begin,
                                   start_id=900_000)
        imported = importer.run_import(wave, path, file_name="kobo-escala.csv",
                                       skip_invalid=True)
    db.session.commit()
    _say(f"survey wave: {imported.imported:,} responses", started)


def _evidence_pack(app, started: float) -> None:
    """A pack over the last month of the payment process, generated as the job does."""
    from qms.auth.models import User
    from qms.core import audit as trail
    from qms.core.time import today_local
    from qms.evidence import jobs, services
    from qms.extensions import db

    officer = db.session.scalar(select(User).where(User.username == "calidad"))
    end = today_local() - timedelta(days=1)
    with trail.acting_as(officer):
        pack = services.request_pack(user=officer, start=end - timedelta(days=30), end=end,
                                     process_codes=["PAG"], clauses=[],
                                     attach_files=False, as_zip=False)
    pack_id = pack.id
    db.session.commit()
    jobs.run(app, pack_id)
    _say("evidence pack", started)


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

