"""Checklist templates of ``audits/`` loaded into the database, versioned and idempotently.

A file whose content hash matches the latest stored version adds nothing; a changed file
becomes a new version (audits keep their own copy, so past audits never change). A
malformed file names file, line and field and loads nothing of that file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from qms.audits.models import ChecklistTemplate
from qms.core.checklists import AUDITS_DIR, ROOT, Checklist, load_checklists
from qms.core.cli import init_step
from qms.extensions import db


@dataclass(frozen=True)
class SyncResult:
    created: list[str]
    updated: list[str]
    unchanged: list[str]

    def summary(self) -> str:
        return (f"{len(self.created)} new, {len(self.updated)} new versions, "
                f"{len(self.unchanged)} unchanged checklist templates.")


def _hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return path.name


def _items(checklist: Checklist) -> list[dict]:
    return [{"clause": item.clause, "question": q} for item in checklist.items
            for q in item.questions]


def sync_checklists(folder: Path = AUDITS_DIR) -> SyncResult:
    """Load every template of ``folder`` (all are validated first: a bad file stops the
    whole load, so nothing of it is half-stored)."""
    created, updated, unchanged = [], [], []
    for checklist in load_checklists(folder):
        digest = _hash(checklist.path)
        latest = db.session.scalar(
            select(ChecklistTemplate).where(ChecklistTemplate.code == checklist.code)
            .order_by(ChecklistTemplate.version_no.desc()).limit(1))
        if latest is not None and latest.source_hash == digest:
            unchanged.append(checklist.code)
            continue
        db.session.add(ChecklistTemplate(
            code=checklist.code, version_no=(latest.version_no + 1) if latest else 1,
            title=checklist.title, standard=checklist.standard,
            processes=list(checklist.processes), items=_items(checklist),
            source_path=_relative(checklist.path), source_hash=digest))
        (updated if latest else created).append(checklist.code)
    db.session.flush()
    return SyncResult(created, updated, unchanged)


def templates() -> list[ChecklistTemplate]:
    """The latest version of each template, by code."""
    rows = db.session.scalars(select(ChecklistTemplate).order_by(
        ChecklistTemplate.code, ChecklistTemplate.version_no.desc()))
    latest: dict[str, ChecklistTemplate] = {}
    for row in rows:
        latest.setdefault(row.code, row)
    return list(latest.values())


@init_step(55, "sync-checklists")
def _init_sync() -> str:
    return sync_checklists().summary()
