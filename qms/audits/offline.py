"""An audit's checklist in the field, offline: out as an XLSForm that KoboCollect and ODK
Collect open without a connection, back in as the filled submission (Kobo or ODK export,
CSV or XLSX) read by the survey importer's reader.

The form's fields are ``p<position>`` (result) and ``p<position>_notas`` (notes), plus a
hidden ``auditoria`` holding the audit's code so a submission for another audit is
refused. Exports come in several shapes and all are read: Kobo's "XML values and
headers" or "Labels" (headers are the question texts, values the choice labels, in
Spanish or English), with or without the group path in headers (``c_8_1/p3``,
``Cláusula 8.1/3. ¿…?``), ``;`` or ``,`` separated, and ODK Central's ``-`` group
separator with ``KEY``. Importing checks every row and column first and writes nothing if anything is
wrong; a submission already imported (same ``_uuid`` / ``KEY``) adds nothing; an answer
that differs from one already recorded online is refused as a conflict, so no answer is
silently lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from sqlalchemy import select

from qms.audits.enums import AnswerSource, AuditStatus, ItemResult
from qms.audits.models import Audit, AuditChecklistItem, OfflineSubmission
from qms.audits.services import _set_answer
from qms.auth.models import User
from qms.core import audit as trail
from qms.core import geo
from qms.core.errors import ValidationError
from qms.core.spreadsheets import safe_cell
from qms.extensions import db
from qms.surveys.reader import FileProblem, open_table

CHOICES = "resultado"
AUDIT_FIELD = "auditoria"
#: XLSForm choice name → result.
CHOICE_NAMES = {"conforme": ItemResult.CONFORM, "no_conforme": ItemResult.NONCONFORM,
                "observacion": ItemResult.OBSERVATION, "no_aplica": ItemResult.NOT_APPLICABLE}
_UUID_HEADERS = ("_uuid", "meta/instanceid", "instanceid", "key", "meta-instanceid")
_ITEM = re.compile(r"^p(\d+)(_notas)?$")
_SPLIT = re.compile(r"[/\-:]")
#: A question's label in a Labels export: "3. ¿…?" (after any group path).
_QUESTION_LABEL = re.compile(r"(?:^|/)\s*(\d+)\.\s+(.+)$", re.S)
#: The languages a form may have been downloaded in (its labels follow the user's).
LABEL_LOCALES = ("es", "en")


def form_id(audit: Audit) -> str:
    return "auditoria_" + re.sub(r"[^a-z0-9]+", "_", audit.code.lower())


# ------------------------------------------------------------------------------ out


def xlsform(audit: Audit) -> bytes:
    """The audit's checklist as an XLSForm workbook (survey, choices, settings)."""
    book = Workbook()
    survey = book.active
    survey.title = "survey"
    survey.append(["type", "name", "label", "hint", "required", "relevant", "calculation"])
    survey.append(["start", "start", "", "", "", "", ""])
    survey.append(["end", "end", "", "", "", "", ""])
    survey.append(["calculate", AUDIT_FIELD, "", "", "", "", f"'{audit.code}'"])
    survey.append(["note", "intro", safe_cell(f"{audit.code} · {audit.title}"),
                   safe_cell(_("Responda cada pregunta con evidencia objetiva.")), "", "", ""])
    current_clause = None
    for item in audit.items:
        if item.clause != current_clause:
            if current_clause is not None:
                survey.append(["end group", "", "", "", "", "", ""])
            current_clause = item.clause
            survey.append(["begin group", f"c_{item.clause.replace('.', '_')}",
                           _("Cláusula %(c)s", c=item.clause), "", "", "", ""])
        survey.append([f"select_one {CHOICES}", item.field_name,
                       question_label(item), "", "no", "", ""])
        survey.append(["text", f"{item.field_name}_notas",
                       notes_label(item.position), "", "no",
                       f"${{{item.field_name}}} != ''", ""])
    if current_clause is not None:
        survey.append(["end group", "", "", "", "", "", ""])
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", "label"])
    for name, result in CHOICE_NAMES.items():
        choices.append([CHOICES, name, str(result.label)])
    settings = book.create_sheet("settings")
    settings.append(["form_title", "form_id", "version", "default_language"])
    settings.append([safe_cell(f"{audit.code} · {audit.title}")[:200], form_id(audit),
                     f"{audit.id}.{len(audit.items)}", "es"])
    out = BytesIO()
    book.save(out)
    return out.getvalue()


# ------------------------------------------------------------------------------- in


@dataclass
class ImportResult:
    submissions: int = 0
    answers: int = 0
    already: int = 0
    problems: list[str] = field(default_factory=list)


def _key(header: str) -> str:
    """A header's last segment (groups removed), lower-case: "c_8_5/p3" → "p3"."""
    parts = [p for p in _SPLIT.split(header.strip().lower()) if p]
    return parts[-1] if parts else ""


def question_label(item: AuditChecklistItem) -> str:
    return safe_cell(f"{item.position}. {item.question}")


def notes_label(position: int) -> str:
    return _("Notas y evidencia (pregunta %(n)s)", n=position)


@dataclass(frozen=True)
class Labels:
    """What a Labels export of this audit's form may call its columns and answers."""

    questions: dict[str, int]
    notes: dict[str, int]
    results: dict[str, ItemResult]

    @classmethod
    def of(cls, items: dict[int, AuditChecklistItem]) -> Labels:
        questions = {geo.normalise(question_label(i)): p for p, i in items.items()}
        notes: dict[str, int] = {}
        results: dict[str, ItemResult] = {}
        for locale in LABEL_LOCALES:
            with force_locale(locale):
                notes.update({geo.normalise(notes_label(p)): p for p in items})
                results.update({geo.normalise(str(r.label)).replace(" ", "_"): r
                                for r in ItemResult})
        return cls(questions, notes, results)

    def column(self, header: str) -> tuple[int, bool] | None:
        """(position, is_notes) of a label header, the group path before it ignored (a
        question's own text may hold "/": every split point is tried, longest first)."""
        text = header.strip()
        candidates = [text] + [text[i + 1:] for i, c in enumerate(text) if c == "/"]
        for candidate in candidates:
            key = geo.normalise(candidate)
            if key in self.questions:
                return self.questions[key], False
            if key in self.notes:
                return self.notes[key], True
        return None


def _result(value: str, labels: Labels | None = None) -> ItemResult | None:
    text = geo.normalise(value or "").replace(" ", "_")
    if not text:
        return None
    if text in CHOICE_NAMES:
        return CHOICE_NAMES[text]
    if labels is not None and text in labels.results:
        return labels.results[text]
    for result in ItemResult:
        if geo.normalise(str(result.label)).replace(" ", "_") == text or text == result.value:
            return result
    raise ValueError(value)


def _shown(header: str) -> str:
    header = " ".join(header.split())
    return header if len(header) <= 60 else header[:57] + "…"


def _columns(header: list[str], items: dict[int, AuditChecklistItem],
             labels: Labels) -> tuple[dict, list[str]]:
    columns: dict = {"items": {}, "notes": {}, "uuid": None, "audit": None}
    problems = []
    answer_like = False  # a column that is, or claims to be, a question of some checklist
    for index, raw in enumerate(header):
        key = _key(raw)
        low = raw.strip().lower()
        where = _("Columna %(c)s («%(h)s»)", c=index + 1, h=_shown(raw))
        if low in _UUID_HEADERS or key in ("instanceid", "_uuid"):
            if columns["uuid"] is None or low in ("_uuid", "key"):
                columns["uuid"] = index
            continue
        if key == AUDIT_FIELD:
            columns["audit"] = index
            continue
        match = _ITEM.match(key)
        if match:
            position, is_notes = int(match.group(1)), bool(match.group(2))
        elif (found := labels.column(raw)) is not None:
            position, is_notes = found
        elif (numbered := _QUESTION_LABEL.search(raw.strip())) is not None \
                and not raw.strip().startswith("_"):
            position = int(numbered.group(1))
            answer_like = True
            if position in items:
                problems.append(_("%(w)s: la pregunta %(n)s de esta lista de verificación dice "
                                  "«%(q)s»; el archivo es de otra versión del formulario.",
                                  w=where, n=position, q=_shown(items[position].question)))
            else:
                problems.append(_("%(w)s: la pregunta %(n)s no existe en esta lista de "
                                  "verificación.", w=where, n=position))
            continue
        else:
            continue  # metadata, system and unknown columns are tolerated
        answer_like = True
        if position not in items:
            problems.append(_("%(w)s: la pregunta %(n)s no existe en esta lista de "
                              "verificación.", w=where, n=position))
            continue
        kind = "notes" if is_notes else "items"
        if position in columns[kind]:
            problems.append(_("%(w)s repite la pregunta %(n)s de la columna %(o)s.", w=where,
                              n=position, o=columns[kind][position] + 1))
            continue
        columns[kind][position] = index
    if columns["uuid"] is None:
        problems.append(_("Falta la columna del identificador de envío (_uuid, KEY o "
                          "meta/instanceID)."))
    if columns["audit"] is None:
        problems.append(_("Falta la columna «%(f)s»: el archivo no es un envío de una lista de "
                          "verificación de este sistema.", f=AUDIT_FIELD))
    if not answer_like:
        problems.append(_("El archivo no tiene ninguna columna de respuestas (p1, p2… o el "
                          "texto de las preguntas)."))
    return columns, problems


def import_submission(audit: Audit, path: Path | str, *, actor: User) -> ImportResult:
    """Import a Kobo/ODK export of the audit's XLSForm; all or nothing, idempotent."""
    if audit.status != AuditStatus.IN_PROGRESS:
        raise ValidationError(_l("La auditoría %(code)s está «%(s)s»: solo se importan "
                                 "resultados mientras está en ejecución.", code=audit.code,
                                 s=audit.status.label), field="file")
    items = {i.position: i for i in audit.items}
    try:
        table = open_table(path)
    except FileProblem as exc:
        raise ValidationError(str(exc.message), field="file") from None
    result = ImportResult()
    planned: dict[int, tuple[ItemResult, str, int]] = {}
    uuids: list[str] = []
    try:
        labels = Labels.of(items)
        columns, result.problems = _columns(table.header, items, labels)
        if result.problems:
            raise ValidationError(" ".join(result.problems), field="file")
        known = set(db.session.scalars(select(OfflineSubmission.submission_uuid)))
        for number, cells in table.rows:
            def cell(index, cells=cells):
                return cells[index].strip() if index is not None and index < len(cells) else ""
            uuid = cell(columns["uuid"]).removeprefix("uuid:")
            if not uuid:
                result.problems.append(_("Fila %(r)s: sin identificador de envío.", r=number))
                continue
            if cell(columns["audit"]) != audit.code:
                result.problems.append(_("Fila %(r)s: el envío es de la auditoría «%(o)s», no de "
                                         "%(code)s.", r=number, o=cell(columns["audit"]),
                                         code=audit.code))
                continue
            if uuid in known or uuid in uuids:
                result.already += 1
                continue
            uuids.append(uuid)
            for position, index in columns["items"].items():
                raw = cell(index)
                try:
                    value = _result(raw, labels)
                except ValueError:
                    result.problems.append(_(
                        "Fila %(r)s, columna %(c)s («%(h)s»): «%(v)s» no es un resultado "
                        "(conforme, no conforme, observación, no aplica).", r=number,
                        c=index + 1, h=_shown(table.header[index]), v=raw[:40]))
                    continue
                if value is None:
                    continue
                notes = cell(columns["notes"].get(position))
                if value in (ItemResult.NONCONFORM, ItemResult.OBSERVATION) and not notes:
                    result.problems.append(_(
                        "Fila %(r)s, pregunta %(n)s: «%(v)s» necesita sus notas de evidencia.",
                        r=number, n=position, v=value.label))
                    continue
                item = items[position]
                if item.result is not None and (item.result != value or
                                                (notes and notes != item.notes)):
                    result.problems.append(_(
                        "Fila %(r)s, pregunta %(n)s: ya tiene la respuesta «%(a)s» registrada "
                        "en línea; el envío dice «%(b)s». Resuelva la diferencia en la lista "
                        "antes de importar.", r=number, n=position, a=item.result.label,
                        b=value.label))
                    continue
                if position in planned and planned[position][0] != value:
                    result.problems.append(_("Fila %(r)s, pregunta %(n)s: otro envío del "
                                             "archivo responde distinto.", r=number, n=position))
                    continue
                if item.result is None:
                    planned[position] = (value, notes, number)
    finally:
        table.close()
    if result.problems:
        raise ValidationError(" ".join(result.problems[:20]) + (
            _(" (y %(n)s problemas más)", n=len(result.problems) - 20)
            if len(result.problems) > 20 else ""), field="file")
    for position, (value, notes, number) in sorted(planned.items()):
        try:
            _set_answer(items[position], value, notes, actor, AnswerSource.OFFLINE)
        except ValidationError as exc:
            raise ValidationError(_("Fila %(r)s, pregunta %(n)s: %(m)s", r=number, n=position,
                                    m=exc.message), field="file") from None
    for uuid in uuids:
        db.session.add(OfflineSubmission(audit_id=audit.id, submission_uuid=uuid[:80],
                                         answers=len(planned), imported_by_id=actor.id))
    result.submissions = len(uuids)
    result.answers = len(planned)
    if uuids:
        trail.record(db.session, audit, "offline_import",
                     f"{len(uuids)} envío(s), {len(planned)} respuesta(s): {', '.join(uuids)}"[:500])
    db.session.flush()
    return result
