"""Cell text → stored answer, one small parser factory per question type.

:data:`PARSERS` maps a :class:`~qms.surveys.models.QuestionType` to a factory that takes the
question and returns a function ``text → value`` raising :class:`BadValue` with the reason.
The same parsers serve file rows and webhook bodies. Values are what ``Response.answers``
stores: int for Likert and yes/no (1/0), ``"ns"`` for "don't know", a choice code, a tuple of
choice codes for select-multiple (stored as a JSON list), a number, or the text itself.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from flask_babel import gettext as _

from qms.core import geo
from qms.surveys.models import Question, QuestionType

Parser = Callable[[str], Any]

#: Longest free-text answer kept (characters); longer ones are refused naming the row.
MAX_TEXT = 10_000
DONT_KNOW = "ns"

_DONT_KNOW = {"99", "ns", "nr", "ns/nr", "nsnr", "no sabe", "no responde", "no sabe / no responde",
              "no sabe/no responde", "no sabe no responde", "no sabe o no responde"}
_YES = {"si", "1", "yes", "true", "verdadero", "s", "y"}
_NO = {"no", "0", "false", "falso", "n"}
_LIKERT_LABELS = {"muy insatisfecho": 1, "insatisfecho": 2, "ni satisfecho ni insatisfecho": 3,
                  "satisfecho": 4, "muy satisfecho": 5}
#: Excel stores a date as days since 1899-12-30 (its 1900 leap-year bug included).
_EXCEL_EPOCH = datetime(1899, 12, 30)  # naive UTC, as parse_utc returns
_DAY_FIRST = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d-%m-%Y %H:%M:%S",
              "%d-%m-%Y %H:%M", "%d-%m-%Y")


class BadValue(Exception):
    """A cell that cannot be stored; the message says why, the caller says where."""


def norm(text: str) -> str:
    return geo.normalise(text or "")


def _shown(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 30 else text[:29] + "…"


# ------------------------------------------------------------------ system fields


def pseudonym(secret: str, beneficiary_id: str) -> str:
    """Keyed hash of a beneficiary ID: stable per household, not reversible without the key."""
    cleaned = "".join(beneficiary_id.split()).upper()
    return hmac.digest(secret.encode(), cleaned.encode(), hashlib.sha256).hex()


def parse_time(value: str) -> datetime | None:
    """An aware UTC datetime from ISO 8601 (Kobo, ODK), an Excel serial number or a
    day-first Latin-American date (``05/03/2024 17:20``); None if it is none of these.
    A time without an offset is UTC, as Kobo's ``_submission_time`` and ODK's are."""
    moment = parse_utc(value)
    return None if moment is None else moment.replace(tzinfo=UTC)


def parse_utc(value: str) -> datetime | None:
    """:func:`parse_time` as a naive UTC datetime (cheaper to compare and format)."""
    value = value.strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = _other_time(value)
        if moment is None:
            return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _other_time(value: str) -> datetime | None:
    try:
        serial = float(value.replace(",", "."))
    except ValueError:
        pass
    else:  # 1982 … 2119: a serial outside this is a typo, not a date
        return _EXCEL_EPOCH + timedelta(days=serial) if 30_000 <= serial <= 80_000 else None
    if len(value) > 40:
        return None
    for pattern in _DAY_FIRST:
        try:
            return datetime.strptime(value, pattern)  # naive: UTC, set by the caller
        except ValueError:
            continue
    return None


# ------------------------------------------------------------------ parser factories


def _choice_lookup(question: Question) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for code, label in (question.choices or {}).items():
        lookup[code.lower()] = code
        lookup[norm(code)] = code
        lookup[norm(label)] = code
    return lookup


def likert_parser(question: Question) -> Parser:
    labels = dict(_LIKERT_LABELS)
    for code, label in (question.choices or {}).items():
        if code.isdigit():
            labels[norm(label)] = int(code)

    def likert(text: str):
        key = norm(text)
        if key in ("1", "2", "3", "4", "5"):
            return int(key)
        if key in ("1 0", "2 0", "3 0", "4 0", "5 0"):  # "4.0" from a spreadsheet
            return int(key[0])
        if key in _DONT_KNOW:
            return DONT_KNOW
        if key in labels:
            return labels[key] if labels[key] != 99 else DONT_KNOW
        raise BadValue(_("valor %(v)s fuera de la escala 1–5", v=_shown(text)))
    return likert


def yes_no_parser(question: Question) -> Parser:
    lookup = _choice_lookup(question)

    def yes_no(text: str):
        key = norm(text)
        if key in _YES or lookup.get(key) in _YES:
            return 1
        if key in _NO or lookup.get(key) in _NO:
            return 0
        raise BadValue(_("valor %(v)s no es sí/no", v=_shown(text)))
    return yes_no


def single_parser(question: Question) -> Parser:
    lookup = _choice_lookup(question)
    codes = {code: code for code in (question.choices or {})}

    def single(text: str):
        code = codes.get(text) or codes.get(text.strip()) or lookup.get(norm(text))
        if code is None:
            raise BadValue(_("opción %(v)s desconocida", v=_shown(text)))
        return code
    return single


def multiple_parser(question: Question) -> Parser:
    """Space-separated choice codes (XML export) or labels (label export).

    Labels contain spaces ("Mensaje de texto"), so the words are split into known labels
    and codes, longest first, backtracking when a longer match leaves words nothing
    explains; only text that no combination of known labels explains is refused.
    """
    phrases: dict[tuple[str, ...], str] = {}
    for code, label in (question.choices or {}).items():
        for name in (code, label):
            words = tuple(norm(name).split())
            if words:
                phrases.setdefault(words, code)
    longest = max((len(p) for p in phrases), default=1)

    def split(words: tuple[str, ...]) -> list[str] | int:
        """The codes, or the index of the first word that nothing explains."""
        failed: dict[int, int] = {}

        def walk(start: int) -> list[str] | None:
            if start == len(words):
                return []
            if start in failed:
                return None
            for size in range(min(longest, len(words) - start), 0, -1):
                code = phrases.get(words[start:start + size])
                if code is not None and (rest := walk(start + size)) is not None:
                    return [code, *rest]
            failed[start] = start
            return None

        found = walk(0)
        if found is not None:
            return found
        return max(failed) if failed else 0

    def multiple(text: str):
        words = tuple(norm(text).split())
        found = split(words)
        if isinstance(found, int):  # show the words as written (normalising keeps count)
            original = text.replace(".", " ").replace(",", " ").split()
            raise BadValue(_("opción %(v)s desconocida", v=_shown(" ".join(original[found:]))))
        return tuple(dict.fromkeys(found))
    return multiple


def number_parser(question: Question) -> Parser:
    low, high = question.min_value, question.max_value

    def number(text: str):
        try:
            value = float(text.strip().replace(",", "."))
        except ValueError:
            raise BadValue(_("%(v)s no es un número", v=_shown(text))) from None
        if value != value or value in (float("inf"), float("-inf")):
            raise BadValue(_("%(v)s no es un número", v=_shown(text)))
        if (low is not None and value < low) or (high is not None and value > high):
            raise BadValue(_("valor %(v)s fuera del rango permitido", v=_shown(text)))
        return int(value) if value.is_integer() else value
    return number


def text_parser(question: Question) -> Parser:
    def text_answer(text: str):
        value = text.strip()
        if len(value) > MAX_TEXT:
            raise BadValue(_("el texto tiene %(n)s caracteres; el máximo es %(m)s",
                             n=f"{len(value):,}", m=f"{MAX_TEXT:,}"))
        return value
    return text_answer


PARSERS: Mapping[QuestionType, Callable[[Question], Parser]] = {
    QuestionType.LIKERT: likert_parser,
    QuestionType.YES_NO: yes_no_parser,
    QuestionType.SINGLE: single_parser,
    QuestionType.MULTIPLE: multiple_parser,
    QuestionType.NUMBER: number_parser,
    QuestionType.TEXT: text_parser,
}


def parser(question: Question) -> Parser:
    """A function text → stored value for ``question`` (raises :class:`BadValue`)."""
    return PARSERS[question.type](question)


#: Cell values of a per-option select-multiple column ("1" chosen, "0" not, "" unanswered).
OPTION_CHOSEN = frozenset({"1", "1.0", "true", "True", "TRUE", "verdadero", "VERDADERO"})
OPTION_NOT_CHOSEN = frozenset({"0", "0.0", "false", "False", "FALSE", "falso", "FALSO"})
