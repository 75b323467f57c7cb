"""The documented information ISO 9001:2015 explicitly calls for, each item marked present
in the pack (with where) or missing — a missing item is listed, never left out."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml
from flask_babel import lazy_gettext as _l

from qms.evidence.sections import SectionData

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / \
    "iso9001_mandatory_documented_information.yaml"

#: Item clause → the pack sections whose records evidence it. An item with no entry has
#: no module in this SGC that keeps it: it is shown as missing.
EVIDENCED_BY: dict[str, tuple[str, ...]] = {
    "4.3": ("scope",),
    "4.4.2 a)": ("operations", "master_list"),
    "5.2.2 a)": ("policy",),
    "6.2.1": ("objectives",),
    "7.5.1 b)": ("master_list",),
    "8.1 e) 1)": ("operations",),
    "8.5.1 a)": ("operations",),
    "4.4.2 b)": ("objectives", "audits"),
    "7.1.5.1": ("surveys",),
    "8.5.3": ("nonconformities",),
    "8.7.2": ("nonconformities",),
    "9.1.1": ("objectives", "surveys"),
    "9.2.2 f)": ("audits",),
    "9.3.3": ("reviews",),
    "10.2.2 a)": ("nonconformities",),
    "10.2.2 b)": ("nonconformities",),
}

#: The catalogue's conditions, as the pack prints them.
CONDITIONS = {
    "7.1.5.2 a)": _l("Solo cuando no existen patrones de medición internacionales o nacionales."),
    "8.3.2 j)": _l("Solo si el diseño y desarrollo (8.3) está en el alcance."),
    "8.3.3": _l("Solo si aplica 8.3."), "8.3.4 f)": _l("Solo si aplica 8.3."),
    "8.3.5": _l("Solo si aplica 8.3."), "8.3.6": _l("Solo si aplica 8.3."),
    "8.5.2": _l("Cuando la trazabilidad es un requisito."),
    "8.5.3": _l("Cuando la propiedad del cliente o del proveedor externo se pierde, se daña o "
                "no es adecuada."),
}

PRESENT, MISSING, NOT_IN_PACK = "present", "missing", "not_in_pack"
STATUS_LABELS = {PRESENT: _l("Presente"), MISSING: _l("FALTA"),
                 NOT_IN_PACK: _l("Fuera del alcance del paquete")}
KIND_LABELS = {"maintained": _l("Mantener (documento)"), "retained": _l("Conservar (registro)"),
               "both": _l("Mantener y conservar")}


@dataclass(frozen=True)
class MandatoryItem:
    clause: str
    kind_label: str
    description: str
    conditional: str
    status: str
    status_label: str
    where: str


@functools.cache
def catalogue() -> tuple[dict, ...]:
    data = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    return tuple(data["items"])


def _top(clause: str) -> str:
    return clause.split(".")[0].split()[0]


def evaluate(sections: list[SectionData], clauses: tuple[str, ...]) -> list[MandatoryItem]:
    """Every catalogue item, in the catalogue's order, with its status in this pack."""
    by_key = {s.key: s for s in sections}
    items = []
    for entry in catalogue():
        clause = entry["clause"]
        where, status = [], MISSING
        for key in EVIDENCED_BY.get(clause, ()):
            found = by_key.get(key)
            if key == "nonconformities" and clause == "10.2.2 b)" and found is not None:
                n = found.extra.get("verified", 0)
                if n:
                    where.append(str(_l("%(title)s: %(n)s verificaciones de eficacia",
                                        title=found.title, n=n)))
                continue
            if found is not None and found.count and not found.source_missing:
                where.append(str(_l("%(title)s (%(n)s)", title=found.title, n=found.count)))
        if where:
            status = PRESENT
        elif clauses and _top(clause) not in clauses:
            status = NOT_IN_PACK
        elif clause not in EVIDENCED_BY:
            where.append(str(_l("Ningún módulo de este SGC conserva esta información.")))
        else:
            missing = [by_key[k].source_missing for k in EVIDENCED_BY[clause]
                       if k in by_key and by_key[k].source_missing]
            where.append(missing[0] if missing else
                         str(_l("No hay registros en el periodo y el alcance del paquete.")))
        items.append(MandatoryItem(
            clause, str(KIND_LABELS.get(entry["kind"], entry["kind"])), entry["es"],
            str(CONDITIONS.get(clause, "")) if entry.get("conditional") else "", status,
            str(STATUS_LABELS[status]), "; ".join(where)))
    return items
