"""Honduras' 18 departments and 298 municipalities (codes as strings, leading zeros kept).

Reference data, not records: loaded once from ``qms/data/*.csv`` (copied from the
programme's reference files). Municipality code = department code + 2 digits.
"""

from __future__ import annotations

import csv
import functools
import unicodedata
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


@dataclass(frozen=True)
class Department:
    code: str
    name: str


@dataclass(frozen=True)
class Municipality:
    code: str
    department_code: str
    name: str


def _read(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@functools.cache
def departments() -> dict[str, Department]:
    return {r["code"]: Department(r["code"], r["name"]) for r in _read("honduras_departments.csv")}


@functools.cache
def municipalities() -> dict[str, Municipality]:
    return {r["code"]: Municipality(r["code"], r["department_code"], r["name"])
            for r in _read("honduras_municipalities.csv")}


def department(code: str | None) -> Department | None:
    return departments().get((code or "").strip().zfill(2)) if code else None


def municipality(code: str | None) -> Municipality | None:
    return municipalities().get((code or "").strip().zfill(4)) if code else None


def municipalities_of(department_code: str) -> list[Municipality]:
    return [m for m in municipalities().values() if m.department_code == department_code]


def normalise(text: str) -> str:
    """Lower case, no accents, single spaces: for matching free-text place names."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.lower().replace(".", " ").replace(",", " ").split())


@functools.cache
def _names_index() -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for m in municipalities().values():
        index.setdefault(normalise(m.name), []).append(m.code)
    for row in _read("honduras_municipality_name_variants.csv"):
        for variant in row["variant_or_note"].split("/"):
            variant = variant.split("(")[0]
            for key in {normalise(variant), normalise(variant.split(",")[0])}:
                if key and row["code"] not in index.setdefault(key, []):
                    index[key].append(row["code"])
    return index


def find_municipality(text: str, department_code: str | None = None) -> Municipality | None:
    """Resolve a code ("0801", "801") or a name ("Tegucigalpa", "San Jose de Colinas").

    A name shared by several municipalities needs ``department_code`` to decide.
    """
    found = municipality_matches(text, department_code)
    return found[0] if len(found) == 1 else None


def municipality_matches(text: str, department_code: str | None = None) -> list[Municipality]:
    """Every municipality a code or a name (or a known variant of it) may mean, within
    ``department_code`` when given: none = unknown, several = ambiguous."""
    text = (text or "").strip()
    if text.isdigit():
        found = municipality(text)
        return [found] if found and (not department_code or found.department_code ==
                                     department_code) else []
    codes = _names_index().get(normalise(text), [])
    if department_code:
        codes = [c for c in codes if c.startswith(department_code)]
    return [municipalities()[c] for c in codes]


@functools.cache
def _department_names() -> dict[str, str]:
    return {normalise(d.name): d.code for d in departments().values()}


def find_department(text: str) -> Department | None:
    """A department by code ("08", "8") or by name, accents and case aside."""
    text = (text or "").strip()
    if text.isdigit():
        return department(text)
    code = _department_names().get(normalise(text))
    return departments()[code] if code else None


def department_choices() -> list[tuple[str, str]]:
    return [(d.code, f"{d.code} {d.name}") for d in departments().values()]


def municipality_choices() -> list[tuple[str, str]]:
    deps = departments()
    return [(m.code, f"{m.code} {m.name} ({deps[m.department_code].name})")
            for m in municipalities().values()]
