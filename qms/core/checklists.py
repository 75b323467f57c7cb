"""Audit checklist templates kept in ``audits/`` (YAML: clause → questions, in Spanish).

``qms init`` validates every template against the ISO 9001 clause catalogue, so a typo
in a clause number or a malformed file is caught when the content is loaded, with the
file and the field named. The internal-audit domain builds audits from these templates.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml

from qms.core.cli import init_step
from qms.core.errors import ValidationError

ROOT = Path(__file__).resolve().parents[2]
AUDITS_DIR = ROOT / "audits"
CLAUSES_FILE = Path(__file__).resolve().parent.parent / "data" / "iso9001_2015_clauses.yaml"


@dataclass(frozen=True)
class ChecklistItem:
    clause: str
    questions: tuple[str, ...]


@dataclass(frozen=True)
class Checklist:
    code: str
    title: str
    standard: str
    processes: tuple[str, ...]
    items: tuple[ChecklistItem, ...]
    path: Path


@functools.cache
def clause_titles(edition: str = "ISO 9001:2015") -> dict[str, str]:
    """Clause number → Spanish title (or our label for untitled paragraphs)."""
    data = yaml.safe_load(CLAUSES_FILE.read_text(encoding="utf-8"))
    if data["standard"] != edition:
        raise LookupError(f"no clause catalogue for {edition}")
    return {c["number"]: c.get("title_es") or c.get("label_es") or "" for c in data["clauses"]}


def _fail(path: Path, field: str, reason: str) -> None:
    raise ValidationError(f"{path.name}: {field}: {reason}", field=field)


def parse_checklist(path: Path) -> Checklist:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        _fail(path, "yaml", str(exc).splitlines()[0])
    if not isinstance(data, dict):
        _fail(path, "file", "expected a mapping with code, title, standard, items")
    for key in ("code", "title", "standard"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            _fail(path, key, "missing or empty")
    try:
        catalogue = clause_titles(data["standard"])
    except LookupError:
        _fail(path, "standard", f"unknown edition {data['standard']!r}")
    items = []
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        _fail(path, "items", "expected a non-empty list")
    for n, item in enumerate(raw_items, start=1):
        clause = str(item.get("clause", "")) if isinstance(item, dict) else ""
        if clause not in catalogue:
            _fail(path, f"items[{n}].clause", f"{clause!r} is not a clause of {data['standard']}")
        questions = item.get("questions")
        if not isinstance(questions, list) or not all(isinstance(q, str) and q.strip()
                                                      for q in questions) or not questions:
            _fail(path, f"items[{n}].questions", "expected a non-empty list of questions")
        items.append(ChecklistItem(clause, tuple(q.strip() for q in questions)))
    processes = tuple(str(p) for p in data.get("processes") or [])
    return Checklist(data["code"].strip(), data["title"].strip(), data["standard"], processes,
                     tuple(items), path)


def load_checklists(folder: Path = AUDITS_DIR) -> list[Checklist]:
    checklists = [parse_checklist(path) for path in sorted(folder.glob("*.yaml"))]
    codes = [c.code for c in checklists]
    duplicates = {c for c in codes if codes.count(c) > 1}
    if duplicates:
        raise ValidationError(f"duplicate checklist codes: {', '.join(sorted(duplicates))}",
                              field="code")
    return checklists


@init_step(50, "audits/")
def validate_checklists() -> str:
    checklists = load_checklists()
    questions = sum(len(i.questions) for c in checklists for i in c.items)
    return f"{len(checklists)} checklist templates valid ({questions} questions)."
