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


@functools.cache
def auditable_clauses(edition: str = "ISO 9001:2015") -> frozenset[str]:
    """Clause numbers that carry requirements (4 to 10; 1–3 have nothing to audit)."""
    data = yaml.safe_load(CLAUSES_FILE.read_text(encoding="utf-8"))
    if data["standard"] != edition:
        raise LookupError(f"no clause catalogue for {edition}")
    return frozenset(c["number"] for c in data["clauses"] if c.get("auditable", True))


def _fail(path: Path, field: str, reason: str, line: int | None = None) -> None:
    where = f"{path.name}:{line}" if line else path.name
    raise ValidationError(f"{where}: {field}: {reason}", field=field)


def _item_lines(text: str) -> list[int]:
    """1-based line of each entry of ``items`` (for messages), or [] if not a list."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return []
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if key.value == "items" and isinstance(value, yaml.SequenceNode):
            return [node.start_mark.line + 1 for node in value.value]
    return []


def parse_checklist(path: Path) -> Checklist:
    """Read and check one template; a problem names file, line and field."""
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        _fail(path, "yaml", str(exc).splitlines()[0], mark.line + 1 if mark else None)
    if not isinstance(data, dict):
        _fail(path, "file", "expected a mapping with code, title, standard, items")
    for key in ("code", "title", "standard"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            _fail(path, key, "missing or empty")
    try:
        catalogue = auditable_clauses(data["standard"])
    except LookupError:
        _fail(path, "standard", f"unknown edition {data['standard']!r}")
    items = []
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        _fail(path, "items", "expected a non-empty list")
    lines = _item_lines(text)
    seen: dict[str, int] = {}
    for n, item in enumerate(raw_items, start=1):
        line = lines[n - 1] if n - 1 < len(lines) else None
        clause = str(item.get("clause", "")) if isinstance(item, dict) else ""
        if not clause:
            _fail(path, f"items[{n}].clause", "missing", line)
        if clause not in catalogue:
            _fail(path, f"items[{n}].clause",
                  f"{clause!r} is not an auditable clause (4 to 10) of {data['standard']}", line)
        questions = item.get("questions")
        if not isinstance(questions, list) or not all(isinstance(q, str) and q.strip()
                                                      for q in questions) or not questions:
            _fail(path, f"items[{n}].questions", "expected a non-empty list of questions", line)
        for question in questions:
            key = " ".join(question.lower().split())
            if key in seen:
                _fail(path, f"items[{n}].questions",
                      f"duplicate question (also in items[{seen[key]}])", line)
            seen[key] = n
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
    """Validate every template; the audit domain's ``sync-checklists`` step loads them."""
    checklists = load_checklists()
    questions = sum(len(i.questions) for c in checklists for i in c.items)
    return f"{len(checklists)} checklist templates valid ({questions} questions)."
