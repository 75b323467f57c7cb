"""Evidence-pack benchmark: a year of a large programme, gathered and rendered.

    .venv/bin/python bench/bench_evidence_pack.py [--responses 50000] [--workdir DIR]

Builds (once; ``--workdir`` reuses it) a SQLite database with 300 documents in force (100
with a file), 2,000 NCs (containment, root cause, two actions each, half verified, 100 with
a file), 12 audits with three findings each, 4 survey waves of ``--responses`` responses
imported through the real importer, and 200 stored files; then generates the 2024 pack
with ``--attach-files`` through the same code as the CLI and prints total time, peak
memory (``resource.getrusage``), and the gather/render split. Targets: ≤ 60 s, ≤ 1 GB,
gather ≤ 15 % of the total. Management reviews are counted if that domain has any.
"""

from __future__ import annotations

import argparse
import io
import random
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from _common import ROOT, make_app, make_wave, peak_rss_mb

YEAR = 2024


def _file(n: int) -> bytes:
    rng = random.Random(n)
    return b"\x89PNG\r\n\x1a\n" + bytes(rng.getrandbits(8) for _ in range(20_000))


def build(app, responses: int) -> None:
    from qms.audits.enums import AuditStatus, AuditType, FindingType
    from qms.audits.models import Audit, AuditProgramme, Finding
    from qms.auth.models import Role
    from qms.auth.services import create_user
    from qms.core import audit
    from qms.core.storage import store
    from qms.documents.models import Document, DocumentType, Revision, RevisionStatus
    from qms.extensions import db
    from qms.nonconformities.enums import (
        ActionStatus,
        NCSeverity,
        NCSource,
        NCStatus,
        VerificationResult,
    )
    from qms.nonconformities.models import (
        CorrectiveAction,
        EffectivenessVerification,
        NCAnalysis,
        NCAttachment,
        Nonconformity,
    )
    from qms.processes.models import Process, ProcessCategory
    from qms.surveys import importer, services
    from qms.surveys.models import Channel

    started = time.perf_counter()
    rng = random.Random(7)
    with app.app_context(), audit.acting_as(audit.SYSTEM):
        owner = create_user(username="bench", full_name="Responsable Bench",
                            email="bench@example.hn", role=Role.QUALITY_OFFICER,
                            password="bench-password-123")  # noqa: S106 - throwaway database
        processes = [Process(code=c, name=f"Proceso {c}", category=ProcessCategory.OPERATIONAL,
                             owner_id=owner.id)
                     for c in ("DIR", "SGC", "REG", "VER", "PAG", "QUE", "TIC", "RH")]
        db.session.add_all(processes)
        db.session.flush()
        files = [store(io.BytesIO(_file(n)), f"evidencia-{n:03d}.png") for n in range(200)]
        when = datetime(YEAR - 1, 12, 1, tzinfo=UTC)
        for n in range(300):
            doc = Document(code=f"PR-{processes[n % 8].code}-{n:03d}",
                           title=f"Procedimiento {n} del proceso", doc_type=DocumentType.PROCEDURE,
                           process_id=processes[n % 8].id)
            doc.revisions.append(Revision(
                number=1, status=RevisionStatus.EFFECTIVE, change_summary="Emisión inicial",
                content_md="# Procedimiento", approved_by_id=owner.id, approved_at=when,
                approval_meaning="aprobado", effective_from=date(YEAR - 1, 12, 15),
                file_id=files[n].id if n < 100 else None))
            db.session.add(doc)
        db.session.flush()
        for n in range(2000):
            detected = date(YEAR, 1, 1) + timedelta(days=rng.randrange(360))
            nc = Nonconformity(
                code=f"NC-{YEAR}-{n + 1:04d}", year=YEAR, number=n + 1,
                title=f"No conformidad {n + 1}: pago fuera de plazo en el municipio",
                description="Se detectó un pago fuera del plazo establecido en el procedimiento.",
                source=NCSource.INTERNAL_AUDIT, process_id=processes[n % 8].id,
                severity=NCSeverity.MINOR, status=NCStatus.VERIFICATION, detected_on=detected,
                detected_by_id=owner.id, correction="Pago reprogramado.",
                correction_on=detected + timedelta(days=2))
            nc.analyses.append(NCAnalysis(round=1, whys=["a", "b"], ishikawa={},
                                          root_cause="El cronograma no considera feriados."))
            for k in (1, 2):
                nc.actions.append(CorrectiveAction(
                    number=k, round=1, description=f"Acción {k}: ajustar el cronograma.",
                    owner_id=owner.id, due_on=detected + timedelta(days=30),
                    status=ActionStatus.DONE, evidence="Cronograma publicado.",
                    completed_at=datetime.combine(detected + timedelta(days=20),
                                                  datetime.min.time(), tzinfo=UTC)))
            if n % 2 == 0:
                nc.verifications.append(EffectivenessVerification(
                    round=1, planned_on=detected + timedelta(days=60), verifier_id=owner.id,
                    result=VerificationResult.EFFECTIVE, evidence="Sin repeticiones.",
                    verified_at=datetime.combine(detected + timedelta(days=61),
                                                 datetime.min.time(), tzinfo=UTC),
                    recorded_by_id=owner.id))
            db.session.add(nc)
            if n < 100:
                db.session.flush()
                db.session.add(NCAttachment(nc_id=nc.id, stored_file_id=files[100 + n].id,
                                            uploaded_by_id=owner.id))
            if n % 500 == 499:
                db.session.flush()
        programme = AuditProgramme(year=YEAR, objectives="Cubrir todos los procesos.")
        db.session.add(programme)
        for n in range(12):
            start = date(YEAR, n + 1, 10)
            a = Audit(programme=programme, code=f"AI-{YEAR}-{n + 1:02d}", year=YEAR,
                      number=n + 1, audit_type=AuditType.INTERNAL_PROCESS,
                      title=f"Auditoría interna {n + 1}", scope="Oficina central",
                      criteria_clauses=["8.1", "8.5"], planned_start=start,
                      planned_end=start + timedelta(days=2), actual_start=start,
                      status=AuditStatus.IN_PROGRESS)
            a.processes.append(processes[n % 8])
            for k in (1, 2, 3):
                a.findings.append(Finding(number=k, finding_type=FindingType.OBSERVATION,
                                          clause="8.5.1", process_id=processes[n % 8].id,
                                          description="Observación de la auditoría.",
                                          evidence="Registro revisado.", created_by_id=owner.id))
            db.session.add(a)
        db.session.commit()
        print(f"built records and 200 files in {time.perf_counter() - started:.0f} s")
        export = Path(f"/tmp/qms-bench-kobo-{responses}.csv")
        if not export.exists():
            subprocess.run([sys.executable, str(ROOT / "bench" / "gen_kobo_export.py"),
                            "--rows", str(responses), "--out", str(export)], check=True)
        wave = make_wave(code=f"{YEAR}-1")
        waves = [wave]
        for q in (2, 3, 4):
            waves.append(services.create_wave(wave.survey,
                                              code=f"{YEAR}-{q}", name=f"Ronda {q}",
                                              starts_on=date(YEAR, 3 * q - 2, 1),
                                              ends_on=date(YEAR, 3 * q, 28), population=200_000))
        db.session.commit()
        for w in waves:
            t = time.perf_counter()
            from qms.surveys.models import WaveStatus

            if w.status != WaveStatus.OPEN:
                services.move_wave(w, WaveStatus.OPEN)
                db.session.commit()
            report = importer.run_import(w, export, file_name=export.name, skip_invalid=True,
                                         allow_outside_period=True, channel=Channel.KOBO)
            db.session.commit()
            services.move_wave(w, WaveStatus.CLOSED)
            db.session.commit()
            print(f"wave {w.code}: {report.imported:,} responses in {time.perf_counter() - t:.0f} s")


def measure(app, out: Path) -> None:
    from qms.core import audit
    from qms.evidence import pack as builder

    with app.app_context(), audit.acting_as(audit.SYSTEM):
        scope = builder.scope_for(date(YEAR, 1, 1), date(YEAR, 12, 31), [], [])
        started = time.perf_counter()
        data = builder.gather(scope, pack_id="b" * 32, generated_by="bench", attach_files=True)
        gathered = time.perf_counter()
        pdf = builder.render(data)
        builder.write_pack(data, pdf, out)
        total = time.perf_counter() - started
    gather = gathered - started
    reviews = next((s.count for b in data.clauses for s in b.sections if s.key == "reviews"), 0)
    print(f"pack: {data.timings['pages']} pages, {len(data.manifest['files'])} files embedded, "
          f"{len(data.manifest['records'])} records, {reviews} reviews, "
          f"{out.stat().st_size / 1e6:.1f} MB")
    print(f"total {total:.1f} s (target <= 60) · gather {gather:.1f} s = "
          f"{100 * gather / total:.0f} % (target <= 15 %) · render {total - gather:.1f} s · "
          f"peak memory {peak_rss_mb():.0f} MB (target <= 1024)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=50_000, help="per wave")
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    fresh = args.workdir is None or not (args.workdir / "bench.sqlite3").exists()
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
    app, workdir = make_app(args.workdir)
    if fresh:
        build(app, args.responses)
    measure(app, workdir / "pack.pdf")


if __name__ == "__main__":
    main()
