"""Gather, seal and render an evidence pack.

Three steps, like every PDF of the SGC (:mod:`qms.core.pdf`): the section gatherers of
:mod:`qms.evidence.sections` collect plain values; the manifest is built and sealed from
them (before rendering, so the PDF can print its seal); the template
``templates/pdf/evidence_pack.html`` is rendered by WeasyPrint to PDF/A-3b, with the cited
files and ``manifest.json`` as associated files when asked, or zipped beside the PDF.
The output is written to a temporary file in the destination's folder and renamed into
place, so a reader never sees a half-written pack.
"""

from __future__ import annotations

import os
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select
from weasyprint import HTML, Attachment
from werkzeug.utils import secure_filename

from qms.core import audit
from qms.core.checklists import clause_titles
from qms.core.pdf import PDF_VARIANT, NoExternalFetcher, render_html
from qms.core.storage import blob_path
from qms.core.time import to_local
from qms.evidence import manifest as mf
from qms.evidence.mandatory import MandatoryItem, evaluate
from qms.evidence.sections import CLAUSES, RECORD_KINDS, SECTIONS, CitedFile, Scope, SectionData
from qms.extensions import db

Progress = Callable[[int, str], None]


@dataclass(frozen=True)
class ClauseBlock:
    number: str
    title: str
    sections: tuple[SectionData, ...]


@dataclass(frozen=True)
class PackData:
    pack_id: str
    generated_at: str
    generated_by: str
    period: str
    scope: Scope
    process_label: str
    clauses: tuple[ClauseBlock, ...]
    mandatory: tuple[MandatoryItem, ...]
    manifest: dict
    files: tuple[CitedFile, ...]
    attach_files: bool
    as_zip: bool
    timings: dict = field(default_factory=dict)


def _no_progress(_percent: int, _stage: str) -> None:
    return None


def _chain() -> dict[str, Any]:
    from qms.core.audit import AuditEvent

    head = db.session.execute(select(AuditEvent.id, AuditEvent.hash)
                              .order_by(AuditEvent.id.desc()).limit(1)).first()
    count, problem = audit.verify_chain(db.session)
    return {"head_event": head.id if head else None, "head_hash": head.hash if head else
            audit.GENESIS_HASH, "events": count, "chain_intact": problem is None,
            "problem": (f"#{problem.event_id}: {problem.reason}" if problem else None)}


def file_name_in_pack(f: CitedFile) -> str:
    name = secure_filename(f.name) or "archivo"
    return f"{f.sha256[:12]}-{name}"[:120]


def build_manifest(scope: Scope, sections: list[SectionData], mandatory, *, pack_id: str,
                   generated_at: str, generated_by: str) -> tuple[dict, tuple[CitedFile, ...]]:
    files: dict[str, CitedFile] = {}
    cited: dict[str, set[str]] = {}
    for s in sections:
        for f in s.files:
            files.setdefault(f.sha256, f)
            cited.setdefault(f.sha256, set()).add(f.cited_by)
    records = sorted({(r.kind, r.code, r.last_change, r.path) for s in sections
                      for r in s.records})
    ordered = tuple(sorted(files.values(), key=lambda f: (file_name_in_pack(f), f.sha256)))
    manifest = {
        "format": mf.FORMAT,
        "pack_id": pack_id,
        "generated_at": generated_at,
        "generated_by": generated_by,
        "programme": current_app.config["PROGRAMME_NAME"],
        "agency": current_app.config["AGENCY_NAME"],
        "period": {"from": scope.start.isoformat(), "to": scope.end.isoformat()},
        "scope": {"processes": list(scope.process_codes), "clauses": list(scope.clauses)},
        "files": [{"name": file_name_in_pack(f), "sha256": f.sha256, "size": f.size,
                   "mime_type": f.mime_type, "represents": f.represents,
                   "cited_by": sorted(cited[f.sha256])} for f in ordered],
        "records": [{"type": k, "id": c, "last_change": lc, "path": p}
                    for k, c, lc, p in records],
        "mandatory": [{"clause": m.clause, "status": m.status} for m in mandatory],
        "audit_trail": _chain(),
    }
    return mf.sealed(manifest), ordered


def gather(scope: Scope, *, pack_id: str, generated_by: str, attach_files: bool = False,
           as_zip: bool = False, progress: Progress = _no_progress,
           now: datetime | None = None) -> PackData:
    """Everything the pack shows, as plain values, and its sealed manifest."""
    from qms.core.db import now_utc

    started = time.perf_counter()
    wanted = [s for s in SECTIONS if not scope.clauses or s.clause in scope.clauses]
    gathered: list[SectionData] = []
    for i, s in enumerate(wanted):
        progress(5 + int(35 * i / max(1, len(wanted))), str(s.title))
        gathered.append(s.gather(scope))
    titles = clause_titles()
    blocks = tuple(ClauseBlock(c, titles.get(c, ""), tuple(g for g in gathered if g.clause == c))
                   for c in CLAUSES if not scope.clauses or c in scope.clauses)
    mandatory = tuple(evaluate(gathered, scope.clauses))
    generated_at = to_local(now or now_utc()).isoformat(timespec="seconds")
    progress(40, "manifest")
    manifest, files = build_manifest(scope, gathered, mandatory, pack_id=pack_id,
                                     generated_at=generated_at, generated_by=generated_by)
    return PackData(
        pack_id=pack_id, generated_at=generated_at, generated_by=generated_by,
        period=f"{scope.start.isoformat()} – {scope.end.isoformat()}", scope=scope,
        process_label=", ".join(scope.process_codes) if scope.process_codes else "",
        clauses=blocks, mandatory=mandatory, manifest=manifest, files=files,
        attach_files=attach_files, as_zip=as_zip,
        timings={"gather": time.perf_counter() - started})


def _file_bytes(f: CitedFile) -> bytes | None:
    if f.content is not None:
        return f.content
    path = blob_path(f.sha256)
    return path.read_bytes() if path.exists() else None


def render(data: PackData, progress: Progress = _no_progress) -> bytes:
    """The PDF/A-3b bytes of the pack (with associated files when asked)."""
    started = time.perf_counter()
    progress(45, "html")
    html = render_html("pdf/evidence_pack.html", pack=data, manifest_seal_keyword=mf.SEAL_KEYWORD,
                       record_kinds={k: str(v) for k, v in RECORD_KINDS.items()})
    attachments = []
    if data.attach_files:
        moment = datetime.fromisoformat(data.generated_at).replace(tzinfo=None)
        for f in data.files:
            content = _file_bytes(f)
            if content is None:  # listed in the manifest, reported missing by verify
                continue
            attachments.append(Attachment(
                string=content, name=file_name_in_pack(f), relationship="Source",
                description=f"{f.cited_by} · SHA-256 {f.sha256}", created=moment,
                modified=moment))
        attachments.append(Attachment(string=mf.dumps(data.manifest), name=mf.MANIFEST_NAME,
                                      relationship="Data", description="Manifiesto SHA-256",
                                      created=moment, modified=moment))
    progress(50, "layout")
    document = HTML(string=html, base_url="data:,", url_fetcher=NoExternalFetcher()).render()
    data.timings["pages"] = len(document.pages)
    progress(85, "pdf")
    content = document.write_pdf(pdf_variant=PDF_VARIANT, attachments=attachments or None,
                                 uncompressed_pdf=False)
    data.timings["render"] = time.perf_counter() - started
    return content


def write_atomically(target: Path, write: Callable[[Any], None]) -> None:
    """Write through ``write(handle)`` into a temporary file beside ``target``, then rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_pack(data: PackData, pdf: bytes, target: Path) -> None:
    """The pack at ``target``: the PDF, or (``as_zip``) the PDF, the files and the manifest."""
    if not data.as_zip:
        write_atomically(target, lambda h: h.write(pdf))
        return

    def zipped(handle) -> None:
        stamp = datetime.fromisoformat(data.generated_at).timetuple()[:6]
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            def add(name: str, content: bytes) -> None:
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, content)

            add(mf.PDF_NAME, pdf)
            add(mf.MANIFEST_NAME, mf.dumps(data.manifest))
            for f in data.files:
                content = _file_bytes(f)
                if content is not None:
                    add(mf.FILES_DIR + file_name_in_pack(f), content)

    write_atomically(target, zipped)


def scope_for(start: date, end: date, process_codes: list[str] | tuple[str, ...],
              clauses: list[str] | tuple[str, ...]) -> Scope:
    """Check the options and resolve the process codes (raises ValidationError)."""
    from flask_babel import lazy_gettext as _l

    from qms.core.errors import ValidationError
    from qms.processes.facts import active_processes

    if end < start:
        raise ValidationError(_l("La fecha final es anterior a la inicial."), field="to")
    if (end - start).days > 3 * 366:
        raise ValidationError(_l("El periodo no puede superar tres años."), field="to")
    bad = [c for c in clauses if c not in CLAUSES]
    if bad:
        raise ValidationError(_l("Cláusula desconocida: %(c)s (use 4 a 10).", c=", ".join(bad)),
                              field="clause")
    known = {p.code: p.id for p in active_processes()}
    codes = tuple(sorted({c.strip().upper() for c in process_codes if c.strip()}))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ValidationError(_l("Proceso desconocido: %(c)s.", c=", ".join(unknown)),
                              field="process")
    ids = tuple(sorted(known[c] for c in codes)) if codes else None
    return Scope(start, end, ids, codes, tuple(sorted(set(clauses), key=CLAUSES.index)))
