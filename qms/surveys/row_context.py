"""The context of each row, beyond its answers: where (department and municipality,
codes or names resolved within the department through the programme's name variants),
when (a submission time that is not in the future and, unless the import allows it,
within the wave's period) and through which channel.

:class:`RowContext` is a part of :class:`qms.surveys.rows.RowConverter` (its base
class): it reads the converter's columns (``_first``, ``_name``, ``fields``) and its
settings (``period``, ``allow_outside_period``, ``channel``, ``format_time``, ``now``) and
fills its caches (``_places``, ``places``, ``_channels``).
"""

from __future__ import annotations

import operator
from datetime import UTC, timedelta

from flask_babel import gettext as _

from qms.core import geo
from qms.surveys import values
from qms.surveys.aggregates import PLACE_SHIFT
from qms.surveys.columns import CHANNEL, DEPARTMENT, MUNICIPALITY, SUBMITTED
from qms.surveys.models import Channel

#: A device or server clock may run a little ahead: later than this is "in the future".
FUTURE_TOLERANCE = timedelta(minutes=10)
_CHANNELS = {"in_person": Channel.IN_PERSON, "presencial": Channel.IN_PERSON,
             "phone": Channel.PHONE, "telefono": Channel.PHONE, "web": Channel.WEB,
             "kobo": Channel.KOBO, "odk": Channel.KOBO}
_ID = operator.itemgetter(0)
_FRAGMENT = operator.itemgetter(1)
_OFFSET = operator.itemgetter(3)


class RowContext:
    """Place, time and channel columns of a chunk (see the module's docstring)."""

    def _place_column(self, columns, size: int, problem) -> tuple[list, list, list]:
        pairs = list(zip(self._first(columns, DEPARTMENT, size),
                         self._first(columns, MUNICIPALITY, size), strict=True))
        dept_name, muni_name = self._name(DEPARTMENT), self._name(MUNICIPALITY)
        cache = self._places
        for pair in set(pairs) - cache.keys():
            dept, muni, problems = self._place(*pair, dept_name, muni_name)
            key = muni or dept or ""
            if key not in self.places:
                self.places.append(key)
            cache[pair] = (dept, muni, problems, self.places.index(key) << PLACE_SHIFT)
        found = list(map(cache.__getitem__, pairs))
        if any(cache[pair][2] for pair in set(pairs)):
            for i, (_dept, _muni, problems, _offset) in enumerate(found):
                for column, reason in problems:
                    problem(i, column, reason)
        return (list(map(_ID, found)), list(map(_FRAGMENT, found)),
                list(map(_OFFSET, found)))

    @staticmethod
    def _place(dept_text: str, muni_text: str, dept_col: str, muni_col: str) -> tuple:
        dept = None
        if dept_text:
            found = geo.find_department(dept_text)
            if found is None:
                what = _("código de departamento %(v)s desconocido", v=dept_text[:20]) \
                    if dept_text.isdigit() else _("departamento «%(v)s» desconocido",
                                                  v=dept_text[:40])
                return None, None, ((dept_col, what),)
            dept = found.code
        if not muni_text:
            if dept is None:
                return None, None, ((dept_col, _("falta el departamento")),)
            return dept, None, ()
        matches = geo.municipality_matches(muni_text, dept)
        if len(matches) == 1:
            return matches[0].department_code, matches[0].code, ()
        where = _(" en el departamento %(d)s", d=dept) if dept else ""
        if len(matches) > 1:
            return dept, None, ((muni_col, _(
                "«%(v)s» es el nombre de varios municipios (%(codes)s): indique el "
                "departamento", v=muni_text[:40], codes=", ".join(m.code for m in matches))),)
        if muni_text.isdigit():
            other = geo.municipality(muni_text)
            if other is not None and dept:
                return dept, None, ((muni_col, _(
                    "el municipio %(v)s es de otro departamento (%(o)s), no del %(d)s",
                    v=other.code, o=other.department_code, d=dept)),)
            return dept, None, ((muni_col, _("código de municipio %(v)s desconocido%(dept)s",
                                             v=muni_text[:20], dept=where)),)
        return dept, None, ((muni_col, _("municipio «%(v)s» desconocido%(dept)s",
                                         v=muni_text[:40], dept=where)),)

    def _time_column(self, columns, size: int, problem, outside: set[int]) -> list:
        texts = self._first(columns, SUBMITTED, size)
        column = self._name(SUBMITTED)
        now = self.now.astimezone(UTC).replace(tzinfo=None)
        latest = now + FUTURE_TOLERANCE
        parse = values.parse_utc
        period = self.period
        fmt = self.format_time
        default = fmt(now)
        out = []
        for i, text in enumerate(texts):
            if not text:
                out.append(default)
                continue
            moment = parse(text)
            if moment is None:
                problem(i, column, _("fecha %(v)s no válida", v=text[:40]))
                out.append(None)
                continue
            if moment > latest:
                problem(i, column, _("fecha %(v)s en el futuro", v=text[:40]))
            elif period is not None and not period.start <= moment < period.end:
                outside.add(i)
                if not self.allow_outside_period:
                    problem(i, column, _(
                        "fecha %(v)s fuera del periodo de la ronda (%(a)s – %(b)s); "
                        "confirme la importación de fechas fuera del periodo si es correcta",
                        v=text[:40], a=period.starts_on.isoformat(),
                        b=period.ends_on.isoformat()))
            out.append(fmt(moment))
        return out

    def _channel_column(self, columns, size: int) -> list[str]:
        default = self.channel.value
        if CHANNEL not in self.fields:
            return [default] * size
        out = []
        for text in self._first(columns, CHANNEL, size):
            found = self._channels.get(text)
            if found is None:
                found = self._channels[text] = _CHANNELS.get(
                    values.norm(text).replace(" ", "_"), self.channel) if text else self.channel
            out.append(found.value)
        return out
