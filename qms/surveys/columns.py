"""Export columns → question codes and response fields.

Exports differ (groups in headers or not, ``/`` or ``-`` as separator, XML names or
Spanish labels, select-multiple as one space-separated column or one 1/0 column per
option, Kobo's ``_uuid`` or ODK's ``KEY``), so every header is resolved: first by the
mapping saved for the survey, then by the conventions of KoboToolbox and ODK Central.
Converting the values of a row is :mod:`qms.surveys.rows`; one value, :mod:`qms.surveys.values`.

A header that could mean several questions (two questions with the same label) is
*ambiguous*: the import refuses the file and asks for the column to be mapped, rather
than guessing. Headers repeated in one file are told apart by a suffix (``"¿Por qué? (2)"``)
so each can be mapped on its own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from qms.core.formats import shorten
from qms.surveys.models import Question, QuestionType
from qms.surveys.values import norm

# Targets that are not questions.
UUID = "_uuid"
#: Kobo's meta/rootUuid: the same across edits of a submission, so it wins over _uuid.
ROOT_UUID = "_root_uuid"
SUBMITTED = "_submitted_at"
DEPARTMENT = "_department"
MUNICIPALITY = "_municipality"
BENEFICIARY = "_beneficiary_id"
CHANNEL = "_channel"
VALIDATION = "_validation"
IGNORE = ""

FIELD_LABELS = {
    UUID: _l("Identificador de envío (_uuid / KEY)"),
    ROOT_UUID: _l("Identificador estable entre ediciones (meta/rootUuid)"),
    SUBMITTED: _l("Fecha y hora de envío"),
    DEPARTMENT: _l("Departamento (código o nombre)"),
    MUNICIPALITY: _l("Municipio (código o nombre)"),
    BENEFICIARY: _l("ID del beneficiario (se guarda solo su seudónimo)"),
    CHANNEL: _l("Canal"),
    VALIDATION: _l("Estado de validación (Kobo/ODK)"),
}
#: Fields several columns may fill (the first non-empty one wins): Kobo has both _uuid
#: and meta/instanceID, ODK both KEY and meta-instanceID.
MULTI_COLUMN_FIELDS = frozenset({UUID, ROOT_UUID, SUBMITTED, VALIDATION})

_SYSTEM_NAMES = {
    "_uuid": UUID, "meta/instanceid": UUID, "meta-instanceid": UUID, "instanceid": UUID,
    "key": UUID, "__id": UUID, "meta/rootuuid": ROOT_UUID, "meta-rootuuid": ROOT_UUID,
    "_submission_time": SUBMITTED, "submissiondate": SUBMITTED,
    "_validation_status": VALIDATION, "reviewstate": VALIDATION,
}
_FIELD_NAMES = {
    "departamento": DEPARTMENT, "department": DEPARTMENT, "depto": DEPARTMENT,
    "cod_departamento": DEPARTMENT, "codigo_departamento": DEPARTMENT,
    "municipio": MUNICIPALITY, "municipality": MUNICIPALITY, "cod_municipio": MUNICIPALITY,
    "codigo_municipio": MUNICIPALITY,
    "id_beneficiario": BENEFICIARY, "beneficiario_id": BENEFICIARY, "id_hogar": BENEFICIARY,
    "codigo_hogar": BENEFICIARY, "beneficiary_id": BENEFICIARY, "id_participante": BENEFICIARY,
    "id_titular": BENEFICIARY,
    "canal": CHANNEL, "channel": CHANNEL,
}
#: Kobo/ODK metadata and bookkeeping columns: known, deliberately not imported.
_METADATA = {
    "start", "end", "today", "username", "deviceid", "phonenumber", "simserial",
    "subscriberid", "audit", "_id", "_notes", "_status", "_submitted_by", "__version__",
    "_tags", "_index", "formhub/uuid", "meta/deprecatedid",
    "meta-deprecatedid", "submitterid", "submittername", "attachmentspresent",
    "attachmentsexpected", "status", "edits", "formversion", "_xform_id_string",
    "_attachments", "_geolocation", "_parent_table_name", "_parent_index",
}
_GEO_SUFFIX = re.compile(r"(^_.+_(latitude|longitude|altitude|precision)$)|"
                         r"(-(latitude|longitude|altitude|accuracy)$)")
_SPLIT = re.compile(r"[/-]")


def _segments(header: str) -> list[str]:
    return [s for s in _SPLIT.split(header.strip().lower()) if s]


def is_metadata(header: str) -> bool:
    low = header.strip().lower()
    if low in _METADATA or _GEO_SUFFIX.search(low):
        return True
    return bool(low.startswith("_") and low.endswith("_url"))


def column_keys(header: Sequence[str]) -> list[str]:
    """One key per column: the header, with `` (2)``, `` (3)``… for repeated headers."""
    seen: dict[str, int] = {}
    keys = []
    for name in header:
        seen[name] = seen.get(name, 0) + 1
        keys.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return keys


def _ends_with(header_norm: str, text_norm: str) -> bool:
    """The header is the text, or the text preceded by groups (``group/…/text``)."""
    return bool(text_norm) and (header_norm == text_norm or (
        header_norm.endswith(text_norm) and header_norm[-len(text_norm) - 1] in "/-"))


def _is_question(prefix: str, question: Question) -> bool:
    """``prefix`` names ``question``: its XML name (after groups) or its label."""
    segments = _segments(prefix)
    return bool(segments and segments[-1] == question.code.lower()) or \
        _ends_with(norm(prefix), norm(question.text))


def _option_target(header: str, questions: Sequence[Question]) -> list[str]:
    """Per-option select-multiple columns, resolved against the known choices (a choice
    label may itself contain the group separator: "…/Schools/educational institutions")."""
    found = []
    stripped = header.strip()
    low = norm(stripped)
    for q in questions:
        if q.type != QuestionType.MULTIPLE:
            continue
        names = sorted(((name, code) for code, label in (q.choices or {}).items()
                        for name in (code, label)), key=lambda item: -len(item[0]))
        for name, code in names:
            option = norm(name)
            if not option or not low.endswith(option) or len(low) == len(option):
                continue
            cut = len(stripped) - len(name)
            # The raw header may differ from the label in accents or spaces: cut on the
            # normalised form when the raw one does not end with the label.
            prefix = stripped[:cut] if stripped.lower().endswith(name.lower()) else None
            if prefix is None:
                separator = low[-len(option) - 1]
                prefix = low[:-len(option) - 1] if separator in "/-" else None
            elif prefix[-1:] in ("/", "-"):
                prefix = prefix[:-1]
            else:
                prefix = None
            if prefix and _is_question(prefix, q):
                found.append(f"{q.code}/{code}")
                break
    return found


def candidates(header: str, questions: Sequence[Question]) -> list[str]:
    """Every target the header could mean (several = ambiguous, none = unknown)."""
    low = header.strip().lower()
    if low in _SYSTEM_NAMES:
        return [_SYSTEM_NAMES[low]]
    by_code = {q.code.lower(): q for q in questions}
    segments = _segments(header)
    if segments:
        last = segments[-1]
        if low in by_code:
            return [by_code[low].code]
        if last in by_code and (len(segments) == 1 or "/" in low or "-" in low):
            return [by_code[last].code]
        if last in _FIELD_NAMES:
            return [_FIELD_NAMES[last]]
    options = _option_target(header, questions)
    if options:
        return options
    label = norm(header)
    found = [q.code for q in questions if _ends_with(label, norm(q.text))]
    if found:
        # A longer label wins over one it ends with ("Otro servicio" vs "servicio").
        longest = max(len(norm(q.text)) for q in questions if q.code in found)
        return [q.code for q in questions if q.code in found and len(norm(q.text)) == longest]
    last_label = norm(_SPLIT.split(header)[-1])
    if {label, last_label} & {"departamento", "department"}:
        return [DEPARTMENT]
    if {label, last_label} & {"municipio", "municipality"}:
        return [MUNICIPALITY]
    if is_metadata(header):
        return [IGNORE]
    return []


def suggest(header: str, questions: Sequence[Question]) -> str | None:
    """The target a header most likely means, or None when it is unknown or ambiguous."""
    found = candidates(header, questions)
    return found[0] if len(found) == 1 else None


@dataclass
class Resolution:
    #: One target per column; None = unknown or ambiguous (not imported).
    targets: list[str | None]
    #: Keys (see :func:`column_keys`) of columns nobody mapped and no convention explains.
    unknown: list[str] = field(default_factory=list)
    #: {column key: [candidate targets]} for headers that could mean several questions.
    ambiguous: dict[str, list[str]] = field(default_factory=dict)
    #: [(target, [column keys])] for targets that several columns claim.
    clashes: list[tuple[str, list[str]]] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)

    def __iter__(self):  # ``targets, unknown = resolve(...)``
        return iter((self.targets, self.unknown))

    def problems(self) -> list[str]:
        """File-level refusals: what the officer must map before importing."""
        out = [_("la columna «%(c)s» puede ser cualquiera de %(q)s: asígnela en la "
                 "correspondencia de columnas (--map)", c=key, q=", ".join(codes))
               for key, codes in self.ambiguous.items()]
        out += [_("las columnas %(c)s corresponden todas a %(t)s: asigne solo una",
                  c=", ".join(f"«{k}»" for k in keys), t=target)
                for target, keys in self.clashes]
        return out


def resolve(header: list[str], questions: Sequence[Question],
            saved: dict[str, str] | None) -> Resolution:
    """Targets for every column, with the unknown, ambiguous and clashing columns."""
    saved = saved or {}
    valid = valid_targets(questions)
    keys = column_keys(header)
    result = Resolution(targets=[], keys=keys)
    for key, name in zip(keys, header, strict=True):
        target = saved.get(key)
        if target is None or target not in valid:
            found = candidates(name, questions)
            target = found[0] if len(found) == 1 else None
            if len(found) > 1:
                result.ambiguous[key] = found
            elif not found and name:
                result.unknown.append(key)
        result.targets.append(target)
    claimed: dict[str, list[str]] = {}
    for key, target in zip(keys, result.targets, strict=True):
        if target and target not in MULTI_COLUMN_FIELDS:
            claimed.setdefault(target, []).append(key)
    result.clashes = [(t, ks) for t, ks in claimed.items() if len(ks) > 1]
    return result


def valid_targets(questions: Sequence[Question]) -> set[str]:
    targets = {IGNORE, *FIELD_LABELS}
    for q in questions:
        targets.add(q.code)
        if q.type == QuestionType.MULTIPLE:
            targets.update(f"{q.code}/{c}" for c in (q.choices or {}))
    return targets


def target_choices(questions: Sequence[Question]) -> list[tuple[str, str]]:
    """(target, label) for the mapping form."""
    options = [(IGNORE, _("— No importar esta columna —"))]
    options += [(key, str(label)) for key, label in FIELD_LABELS.items()]
    for q in questions:  # the question's text, as every page names it (never its code)
        options.append((q.code, shorten(q.text, 70)))
        if q.type == QuestionType.MULTIPLE:
            options += [(f"{q.code}/{c}", f"{shorten(q.text, 40)} → {label}")
                        for c, label in (q.choices or {}).items()]
    return options
