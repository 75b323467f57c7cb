"""``procedures/`` as code: Markdown files with YAML front matter, synced into the register.

A new file creates the document with a first draft revision; a changed file (its SHA-256
differs from the one last imported) creates a new **draft** revision, or refreshes the
draft it created before if nobody has sent it for review yet. An approved or effective
revision is never changed. A file whose front matter is malformed is reported with the
field at fault and nothing of it is imported. Running the sync twice changes nothing.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from flask import current_app
from sqlalchemy import select

from qms.auth.models import Role, User
from qms.core.errors import ServiceError
from qms.documents import lifecycle, services
from qms.documents.models import Confidentiality, Document, DocumentType, RevisionStatus
from qms.extensions import db
from qms.processes.models import Process

FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
REQUIRED = ("code", "title", "type", "process", "owner_role", "review_interval_months")
OPTIONAL = ("confidentiality", "change_summary", "distribution")
SUMMARY = "Importado de procedures/{path}"


class _Skip(Exception):
    """A valid file that cannot be imported now (reported as a warning)."""


class FrontMatterError(Exception):
    def __init__(self, path: str, field_name: str, problem: str) -> None:
        super().__init__(f"{path}: field '{field_name}': {problem}")
        self.path, self.field, self.problem = path, field_name, problem


@dataclass
class ProcedureFile:
    path: str
    sha256: str
    code: str
    title: str
    doc_type: DocumentType
    process_code: str
    owner_role: Role
    review_interval_months: int
    confidentiality: Confidentiality
    change_summary: str
    distribution: list[Role]
    body: str


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    revised: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{len(self.created)} created, {len(self.revised)} with a new draft revision, "
                f"{len(self.unchanged)} unchanged, {len(self.errors)} rejected")


def procedures_dir() -> Path:
    configured = current_app.config.get("PROCEDURES_DIR")
    return Path(configured) if configured else Path(current_app.root_path).parent / "procedures"


def _enum(value, enum_cls, path: str, name: str):
    try:
        return enum_cls(str(value).strip())
    except ValueError:
        allowed = ", ".join(m.value for m in enum_cls)
        raise FrontMatterError(path, name, f"'{value}' is not one of: {allowed}") from None


def parse(path: str, text: str) -> ProcedureFile:
    """Validate one file completely; raise :class:`FrontMatterError` naming the field."""
    match = FRONT_MATTER.match(text)
    if not match:
        raise FrontMatterError(path, "front matter", "the file must start with a '---' block")
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark else ""
        raise FrontMatterError(path, "front matter", f"invalid YAML{where}") from None
    if not isinstance(meta, dict):
        raise FrontMatterError(path, "front matter", "must be a mapping of fields")
    for name in REQUIRED:
        if meta.get(name) in (None, ""):
            raise FrontMatterError(path, name, "missing")
    unknown = sorted(set(meta) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise FrontMatterError(path, unknown[0], "unknown field")
    try:
        code = services.clean_code(str(meta["code"]))
    except ServiceError:
        raise FrontMatterError(path, "code", f"'{meta['code']}' is not a valid code") from None
    title = str(meta["title"]).strip()
    if len(title) > 250:
        raise FrontMatterError(path, "title", "longer than 250 characters")
    interval = meta["review_interval_months"]
    if isinstance(interval, bool) or not isinstance(interval, int) or not 1 <= interval <= 60:
        raise FrontMatterError(path, "review_interval_months",
                               f"'{interval}' must be a whole number of months from 1 to 60")
    distribution = meta.get("distribution") or []
    if not isinstance(distribution, list):
        raise FrontMatterError(path, "distribution", "must be a list of roles")
    doc_type = _enum(meta["type"], DocumentType, path, "type")
    owner_role = _enum(meta["owner_role"], Role, path, "owner_role")
    confidentiality = _enum(meta.get("confidentiality", "internal"), Confidentiality, path,
                            "confidentiality")
    roles = [_enum(r, Role, path, "distribution") for r in distribution]
    body = text[match.end():].lstrip("\r\n")
    if not body.strip():
        raise FrontMatterError(path, "content", "the procedure has no text after the front matter")
    return ProcedureFile(
        path=path, sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(), code=code,
        title=title, doc_type=doc_type, process_code=str(meta["process"]).strip().upper(),
        owner_role=owner_role, review_interval_months=interval, confidentiality=confidentiality,
        change_summary=str(meta.get("change_summary") or "").strip(), distribution=roles,
        body=body.replace("\r\n", "\n"),
    )


def _read(root: Path, file: Path) -> ProcedureFile:
    relative = file.relative_to(root).as_posix()
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise FrontMatterError(relative, "encoding", "the file is not UTF-8") from None
    return parse(relative, text)


def sync_procedures(root: Path | None = None, *, author: User | None = None) -> SyncReport:
    """Bring the register in line with ``procedures/``; flushes, never commits."""
    root = root or procedures_dir()
    report = SyncReport()
    if not root.is_dir():
        report.warnings.append(f"{root}: no procedures directory")
        return report
    seen_codes: dict[str, str] = {}
    seen_paths: set[str] = set()
    for file in sorted(root.rglob("*.md")):
        if file.name.lower() == "readme.md":
            continue
        seen_paths.add(file.relative_to(root).as_posix())
        try:
            procedure = _read(root, file)
            if procedure.code in seen_codes:
                raise FrontMatterError(procedure.path, "code",
                                       f"{procedure.code} is also used by {seen_codes[procedure.code]}")
            seen_codes[procedure.code] = procedure.path
            with db.session.begin_nested():
                _apply(procedure, report, author)
        except FrontMatterError as exc:
            report.errors.append(str(exc))
        except _Skip as exc:
            report.warnings.append(str(exc))
        except ServiceError as exc:
            report.errors.append(f"{file.relative_to(root).as_posix()}: field "
                                 f"'{exc.field or 'document'}': {exc.message}")
    for code, source in db.session.execute(
            select(Document.code, Document.source_path).where(Document.source_path.is_not(None))):
        if source not in seen_paths:
            report.warnings.append(f"{source}: no longer in {root.name}/; {code} stays in the "
                                   "register (withdraw it in the app if it no longer applies)")
    return report


def _apply(procedure: ProcedureFile, report: SyncReport, author: User | None) -> None:
    process = db.session.scalar(select(Process).where(Process.code == procedure.process_code))
    if process is None and db.session.scalar(select(Process.id).limit(1)) is not None:
        report.warnings.append(f"{procedure.path}: process {procedure.process_code} does not "
                               "exist yet; the document is registered without a process")
    document = db.session.scalar(select(Document).where(Document.source_path == procedure.path))
    if document is None:
        document = db.session.scalar(select(Document).where(Document.code == procedure.code))
        if document is not None and document.source_path not in (None, procedure.path):
            raise FrontMatterError(procedure.path, "code",
                                   f"{procedure.code} belongs to {document.source_path}")
    if document is None:
        document = services.create_document(
            code=procedure.code, title=procedure.title, doc_type=procedure.doc_type,
            process=process, owner_role=procedure.owner_role,
            confidentiality=procedure.confidentiality,
            review_interval_months=procedure.review_interval_months, source_path=procedure.path)
        services.set_distribution(document, roles=procedure.distribution)
        report.created.append(procedure.code)
    else:
        _update_metadata(document, procedure, process)
    if document.source_hash == procedure.sha256:
        if procedure.code not in report.created:
            report.unchanged.append(procedure.code)
        return
    summary = procedure.change_summary or SUMMARY.format(path=procedure.path)
    pending = services.open_revision(document)
    if pending is not None and pending.status == RevisionStatus.DRAFT and pending.source_hash:
        # Our own earlier import, not yet sent for review: refresh it rather than stack drafts.
        lifecycle.update_draft(pending, expected_version=pending.version,
                              content_md=procedure.body, change_summary=summary)
        pending.source_hash = procedure.sha256
    elif pending is not None:
        raise _Skip(f"{procedure.path}: changed, but {procedure.code} rev. {pending.number} is "
                    f"{pending.status.value}; finish or discard it in the app, then sync again")
    else:
        lifecycle.new_revision(document, author=author, content_md=procedure.body,
                              change_summary=summary, source_hash=procedure.sha256)
    document.source_hash = procedure.sha256
    document.source_path = procedure.path
    db.session.flush()
    if procedure.code not in report.created:
        report.revised.append(procedure.code)


def _update_metadata(document: Document, procedure: ProcedureFile, process: Process | None) -> None:
    """Register fields follow the file; they are not the approved content."""
    if document.title != procedure.title:
        document.title = procedure.title
    if document.doc_type != procedure.doc_type:
        document.doc_type = procedure.doc_type
    if process is not None and document.process_id != process.id:
        document.process = process
    if document.owner_role != procedure.owner_role:
        document.owner_role = procedure.owner_role
    if document.review_interval_months != procedure.review_interval_months:
        document.review_interval_months = procedure.review_interval_months
    if document.confidentiality != procedure.confidentiality:
        document.confidentiality = procedure.confidentiality
