"""Export columns → question codes and response fields, and one row → one response.

Exports differ (groups in headers or not, ``/`` or ``-`` as separator, XML names or
Spanish labels, select-multiple as one space-separated column or one 1/0 column per
option, Kobo's ``_uuid`` or ODK's ``KEY``), so every header is resolved: first by the
mapping saved for the survey, then by the conventions of KoboToolbox and ODK Central.
The same conversion serves file rows and webhook bodies.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from qms.core import geo
from qms.surveys.models import Channel, Question, QuestionType

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
    DEPARTMENT: _l("Departamento (código)"),
    MUNICIPALITY: _l("Municipio (código)"),
    BENEFICIARY: _l("ID del beneficiario (se guarda solo su seudónimo)"),
    CHANNEL: _l("Canal"),
    VALIDATION: _l("Estado de validación (Kobo/ODK)"),
}

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

_DONT_KNOW = {"99", "ns", "nr", "ns/nr", "nsnr", "no sabe", "no responde", "no sabe / no responde",
              "no sabe/no responde", "no sabe no responde"}
_YES = {"si", "1", "yes", "true", "verdadero", "s", "y"}
_NO = {"no", "0", "false", "falso", "n"}
_LIKERT_LABELS = {"muy insatisfecho": 1, "insatisfecho": 2, "ni satisfecho ni insatisfecho": 3,
                  "satisfecho": 4, "muy satisfecho": 5}
_LIKERT_FAST = {"1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "99": "ns"}
_YES_NO_FAST = {"si": 1, "no": 0, "1": 1, "0": 0, "Sí": 1, "No": 0, "yes": 1}
_REJECTED = {"validation_status_not_approved", "not approved", "no aprobado", "rejected",
             "rechazado"}
_CHANNELS = {"in_person": Channel.IN_PERSON, "presencial": Channel.IN_PERSON,
             "phone": Channel.PHONE, "telefono": Channel.PHONE, "web": Channel.WEB,
             "kobo": Channel.KOBO, "odk": Channel.KOBO}
MAX_TEXT = 2000


def norm(text: str) -> str:
    return geo.normalise(text or "")


def _segments(header: str) -> list[str]:
    return [s for s in _SPLIT.split(header.strip().lower()) if s]


def is_metadata(header: str) -> bool:
    low = header.strip().lower()
    if low in _METADATA or _GEO_SUFFIX.search(low):
        return True
    return bool(low.startswith("_") and low.endswith("_url"))


def suggest(header: str, questions: Sequence[Question]) -> str | None:
    """The target a header most likely means, or None when it is unknown."""
    low = header.strip().lower()
    if low in _SYSTEM_NAMES:
        return _SYSTEM_NAMES[low]
    by_code = {q.code.lower(): q for q in questions}
    segments = _segments(header)
    if segments:
        last = segments[-1]
        if last in by_code:
            return by_code[last].code
        if last in _FIELD_NAMES and last not in by_code:
            return _FIELD_NAMES[last]
        if len(segments) >= 2 and segments[-2] in by_code:  # group/q/option
            question = by_code[segments[-2]]
            if question.type == QuestionType.MULTIPLE and last in (question.choices or {}):
                return f"{question.code}/{last}"
    label = norm(header)
    last_label = norm(header.rpartition("/")[2])  # a labels export with groups in headers
    for q in questions:  # a "Labels" export: the header is the question's text
        if norm(q.text) in (label, last_label):
            return q.code
    if "/" in header:  # labels export, one column per option: "question text/option label"
        q_text, _sep, opt = header.rpartition("/")
        for q in questions:
            if q.type == QuestionType.MULTIPLE and norm(q_text) == norm(q.text):
                for code, opt_label in (q.choices or {}).items():
                    if norm(opt) in (norm(opt_label), code.lower()):
                        return f"{q.code}/{code}"
    if {label, last_label} & {"departamento", "department"}:
        return DEPARTMENT
    if {label, last_label} & {"municipio", "municipality"}:
        return MUNICIPALITY
    if is_metadata(header):
        return IGNORE
    return None


def resolve(header: list[str], questions: Sequence[Question],
            saved: dict[str, str] | None) -> tuple[list[str | None], list[str]]:
    """Targets for every column (None = unknown) and the headers that are unknown."""
    saved = saved or {}
    valid = valid_targets(questions)
    targets: list[str | None] = []
    for h in header:
        target = saved.get(h)
        if target is None or target not in valid:
            target = suggest(h, questions)
        targets.append(target)
    unknown = [h for h, t in zip(header, targets, strict=True) if t is None and h]
    return targets, unknown


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
    for q in questions:
        options.append((q.code, f"{q.code} · {q.text[:70]}"))
        if q.type == QuestionType.MULTIPLE:
            options += [(f"{q.code}/{c}", f"{q.code} → {label}")
                        for c, label in (q.choices or {}).items()]
    return options


# ---------------------------------------------------------------- values


def pseudonym(secret: str, beneficiary_id: str) -> str:
    """Keyed hash of a beneficiary ID: stable per household, not reversible without the key."""
    cleaned = "".join(beneficiary_id.split()).upper()
    return hmac.new(secret.encode(), cleaned.encode(), hashlib.sha256).hexdigest()


def parse_time(value: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace(" ", "T", 1) if "T" not in value else value)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class BadValue(Exception):
    pass


def _choice_lookup(question: Question) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for code, label in (question.choices or {}).items():
        lookup[code.lower()] = code
        lookup[norm(label)] = code
    return lookup


def _parser(question: Question) -> Callable[[str], Any]:
    """A function text → stored value for ``question`` (raises BadValue)."""
    kind = question.type
    if kind == QuestionType.LIKERT:
        labels = dict(_LIKERT_LABELS)
        for code, label in (question.choices or {}).items():
            if code.isdigit():
                labels[norm(label)] = int(code)

        def likert(text: str):
            fast = _LIKERT_FAST.get(text)
            if fast is not None:
                return fast
            low = text.strip().lower()
            if low in ("1", "2", "3", "4", "5"):
                return int(low)
            if low in _DONT_KNOW or norm(low) in _DONT_KNOW:
                return "ns"
            key = norm(low)
            if key in labels:
                return labels[key] if labels[key] != 99 else "ns"
            raise BadValue(_("valor %(v)s fuera de la escala 1–5", v=text.strip()[:30]))
        return likert
    if kind == QuestionType.YES_NO:
        lookup = _choice_lookup(question)

        def yes_no(text: str):
            fast = _YES_NO_FAST.get(text)
            if fast is not None:
                return fast
            low = norm(text)
            if low in _YES or lookup.get(low) in _YES:
                return 1
            if low in _NO or lookup.get(low) in _NO:
                return 0
            raise BadValue(_("valor %(v)s no es sí/no", v=text.strip()[:30]))
        return yes_no
    if kind == QuestionType.SINGLE:
        lookup = _choice_lookup(question)
        codes = {code: code for code in (question.choices or {})}

        def single(text: str):
            code = codes.get(text) or lookup.get(text.strip().lower()) or lookup.get(norm(text))
            if code is None:
                raise BadValue(_("opción %(v)s desconocida", v=text.strip()[:30]))
            return code
        return single
    if kind == QuestionType.MULTIPLE:
        lookup = _choice_lookup(question)

        def multiple(text: str):
            codes = []
            for part in text.split():
                code = lookup.get(part) or lookup.get(part.lower())
                if code is None:  # a "Labels" export: one label that may contain spaces
                    whole = lookup.get(norm(text))
                    if whole is not None:
                        return [whole]
                    raise BadValue(_("opción %(v)s desconocida", v=part[:30]))
                if code not in codes:
                    codes.append(code)
            return codes
        return multiple
    if kind == QuestionType.NUMBER:
        low_bound, high_bound = question.min_value, question.max_value

        def number(text: str):
            try:
                value = float(text.strip().replace(",", "."))
            except ValueError:
                raise BadValue(_("%(v)s no es un número", v=text.strip()[:30])) from None
            if (low_bound is not None and value < low_bound) or (
                    high_bound is not None and value > high_bound):
                raise BadValue(_("valor %(v)s fuera del rango permitido", v=text.strip()[:30]))
            return int(value) if value.is_integer() else value
        return number
    return lambda text: text.strip()[:MAX_TEXT]


# ---------------------------------------------------------------- rows


@dataclass
class Converted:
    uuid: str | None
    record: dict[str, Any] | None
    #: [(column, reason)]
    problems: list[tuple[str, str]] = field(default_factory=list)
    rejected: bool = False


@dataclass
class _QuestionPlan:
    question: Question
    parse: Callable[[str], Any]
    columns: list[int]
    options: dict[str, int]
    header: str


class RowConverter:
    """Turns the cells of one row into a response record, collecting every problem."""

    def __init__(self, header: list[str], targets: list[str | None],
                 questions: Sequence[Question], *, secret: str,
                 channel: Channel = Channel.KOBO) -> None:
        self.header = header
        self.secret = secret
        self.channel = channel
        self.now = datetime.now(UTC)
        self.fields: dict[str, list[int]] = {}
        for index, target in enumerate(targets):
            if target and target.startswith("_"):
                self.fields.setdefault(target, []).append(index)
        self.plans: list[_QuestionPlan] = []
        for q in questions:
            cols = [i for i, t in enumerate(targets) if t == q.code]
            options = {t.split("/", 1)[1]: i for i, t in enumerate(targets)
                       if t and t.startswith(q.code + "/")}
            name = header[cols[0]] if cols else (
                header[next(iter(options.values()))].rpartition("/")[0] if options else q.code)
            self.plans.append(_QuestionPlan(q, _parser(q), cols, options, name))
        self.index_codes = {q.code for q in questions if q.in_index
                            and q.type == QuestionType.LIKERT}
        #: The common case, precompiled: (code, column index, parser, required, header).
        self.fast = [(p.question.code, p.columns[0], p.parse, p.question.required, p.header)
                     for p in self.plans if len(p.columns) == 1 and not p.options]
        self.slow = [p for p in self.plans if len(p.columns) != 1 or p.options]
        self.departments = {}
        for d in geo.departments().values():
            self.departments[d.code] = d.code
            self.departments[str(int(d.code))] = d.code
        self.municipalities = {m.code: (m.code, m.department_code)
                               for m in geo.municipalities().values()}

    def missing_columns(self) -> list[str]:
        """File-level problems: columns an import cannot do without."""
        problems = []
        if UUID not in self.fields and ROOT_UUID not in self.fields:
            problems.append(_("falta la columna del identificador de envío (_uuid, KEY o "
                              "meta/instanceID)"))
        if DEPARTMENT not in self.fields and MUNICIPALITY not in self.fields:
            problems.append(_("falta la columna del departamento"))
        for plan in self.plans:
            if plan.question.required and not plan.columns and not plan.options:
                problems.append(_("falta la columna de la pregunta obligatoria %(code)s",
                                  code=plan.question.code))
        return problems

    def _first(self, cells: Sequence[str], target: str) -> tuple[str, str]:
        columns = self.fields.get(target, ())
        if len(columns) == 1 and columns[0] < len(cells):  # the common case
            value = cells[columns[0]]
            if value:
                return value.strip(), self.header[columns[0]]
        for index in columns:
            if index < len(cells) and cells[index].strip():
                return cells[index].strip(), self.header[index]
        columns = self.fields.get(target)
        return "", (self.header[columns[0]] if columns else target)

    def convert(self, cells: Sequence[str]) -> Converted:
        problems: list[tuple[str, str]] = []
        if len(cells) < len(self.header) and any(i >= len(cells) for idxs in self.fields.values()
                                                  for i in idxs):
            problems.append(("", _("la fila tiene %(n)s columnas de %(m)s (¿archivo truncado?)",
                                   n=len(cells), m=len(self.header))))
        uuid, uuid_col = self._first(cells, ROOT_UUID) if ROOT_UUID in self.fields else ("", "")
        if not uuid:
            uuid, uuid_col = self._first(cells, UUID)
        uuid = uuid.removeprefix("uuid:").strip()
        if not uuid:
            problems.append((uuid_col, _("falta el identificador de envío")))
        elif len(uuid) > 64:
            problems.append((uuid_col, _("identificador de envío demasiado largo")))
        validation, _col = self._first(cells, VALIDATION)
        if validation and validation.lower() in _REJECTED:
            return Converted(uuid, None, [], rejected=True)
        dept, muni = self._place(cells, problems)
        answers: dict[str, Any] = {}
        n_cells = len(cells)
        for code, index, parse, required, header in self.fast:
            text = cells[index] if index < n_cells else ""
            if text and not text.isspace():
                try:
                    answers[code] = parse(text)
                except BadValue as exc:
                    problems.append((header, str(exc)))
            elif required:
                problems.append((header, _("falta la respuesta obligatoria")))
        for plan in self.slow:
            self._answer(plan, cells, answers, problems)
        if problems:
            return Converted(uuid, None, problems)
        raw_time, _col = self._first(cells, SUBMITTED)
        submitted = parse_time(raw_time) if raw_time else None
        if raw_time and submitted is None:
            problems.append((_col, _("fecha %(v)s no válida", v=raw_time[:40])))
            return Converted(uuid, None, problems)
        beneficiary, _col = self._first(cells, BENEFICIARY)
        channel_text, _col = self._first(cells, CHANNEL) if CHANNEL in self.fields else ("", "")
        channel = _CHANNELS.get(norm(channel_text).replace(" ", "_"), self.channel) \
            if channel_text else self.channel
        return Converted(uuid, {
            "submission_uuid": uuid,
            "beneficiary_key": pseudonym(self.secret, beneficiary) if beneficiary else None,
            "department_code": dept,
            "municipality_code": muni,
            "channel": channel,
            "submitted_at": submitted or self.now,
            "answers": answers,
        })

    def _place(self, cells, problems) -> tuple[str | None, str | None]:
        dept_text, dept_col = self._first(cells, DEPARTMENT)
        muni_text, muni_col = self._first(cells, MUNICIPALITY)
        fast_muni = self.municipalities.get(muni_text) if muni_text else None
        fast_dept = self.departments.get(dept_text)
        if fast_dept and (not muni_text or (fast_muni and fast_muni[1] == fast_dept)):
            return fast_dept, fast_muni[0] if fast_muni else None
        dept = None
        if dept_text:
            found = geo.department(dept_text) if dept_text.isdigit() else next(
                (d for d in geo.departments().values() if norm(d.name) == norm(dept_text)), None)
            if found is None:
                problems.append((dept_col, _("código de departamento %(v)s desconocido",
                                             v=dept_text[:20])))
                return None, None
            dept = found.code
        muni = None
        if muni_text:
            found_m = geo.find_municipality(muni_text, dept)
            if found_m is None:
                problems.append((muni_col, _("código de municipio %(v)s desconocido%(dept)s",
                                             v=muni_text[:20],
                                             dept=_(" en el departamento %(d)s", d=dept)
                                             if dept else "")))
                return dept, None
            muni = found_m.code
            dept = dept or found_m.department_code
        if dept is None:
            problems.append((dept_col, _("falta el departamento")))
        return dept, muni

    def _answer(self, plan: _QuestionPlan, cells, answers, problems) -> None:
        question = plan.question
        text = ""
        column = plan.header
        for index in plan.columns:
            if index < len(cells) and cells[index].strip():
                text, column = cells[index], self.header[index]
                break
        try:
            if text:
                answers[question.code] = plan.parse(text)
                return
            if plan.options:  # one 1/0 column per option, no summary column
                chosen = [code for code, i in plan.options.items()
                          if i < len(cells) and cells[i].strip() in ("1", "1.0", "True", "true")]
                answered = any(i < len(cells) and cells[i].strip() for i in plan.options.values())
                if answered:
                    answers[question.code] = chosen
                    return
        except BadValue as exc:
            problems.append((column, str(exc)))
            return
        if question.required:
            problems.append((column, _("falta la respuesta obligatoria")))
