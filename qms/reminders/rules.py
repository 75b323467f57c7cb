"""The rules registry: what is due, for whom, and what the reminder says.

A rule is one small function that reads another domain's ``facts`` module and yields
:class:`Item` s (a record, its date, who is answerable for it), plus one registration
that names it, its texts and its settings. The engine (:mod:`qms.reminders.services`)
turns items into reminders by comparing their date with today:

- ``DUE``: from ``days_before`` days before the date until the date itself;
- ``OVERDUE``: after the date (rules with ``overdue=True``);
- ``ESCALATED``: more than ``reminders.escalation_days`` days after the date (rules with
  ``escalates=True``): the quality officers and the recipient's manager hear of it too.

Example — the audits' rule, added beside the others in ``qms/reminders/builtin.py``
(rules read other domains only through their ``facts`` modules)::

    @register("audit_report", label=_l("Informe de auditoría pendiente"), days_before=5,
              texts={Stage.DUE: _l("El informe de la auditoría %(code)s vence el %(due)s"),
                     Stage.OVERDUE: _l("El informe de la auditoría %(code)s venció el %(due)s"),
                     Stage.ESCALATED: _l("Informe de la auditoría %(code)s vencido hace %(late)s días")})
    def audit_reports(ctx: Context) -> Iterable[Item]:
        for a in audit_facts.reports_due(ctx.horizon("audit_report")):
            yield Item("audit", a.id, a.report_due_on, [a.lead_auditor_id],
                       {"code": a.code}, ("audits.detail", {"audit_id": a.id}))

The registration creates the setting ``reminders.<code>.days_before`` (shown on the
reminders settings page) and the per-user choice "mail me these".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from flask_babel import lazy_gettext as _l

from qms.core.settings import get_setting, register_setting
from qms.reminders.models import Stage

ESCALATION_DAYS = register_setting(
    "reminders.escalation_days", 14, _l("Escalar al responsable de calidad tras (días de retraso)"),
    kind=int, minimum=1, maximum=365,
    help=_l("Un registro vencido desde hace más de estos días también se notifica al "
            "responsable de calidad y al jefe inmediato del responsable."))
DIGEST_HOUR = register_setting(
    "reminders.digest_hour", 7, _l("Hora del resumen diario (0–23, hora de Honduras)"),
    kind=int, minimum=0, maximum=23)


class Item(NamedTuple):
    """Something with a date that someone must act on (a tuple: rules yield many)."""

    record_type: str
    record_id: int | str
    #: The date the reminder is about (due date, planned date, expiry…).
    due_on: date
    #: Ids of the users answerable for it.
    recipients: Sequence[int]
    #: Values the texts use (%(code)s, %(title)s…); %(due)s and %(late)s are added.
    params: dict[str, Any]
    #: (endpoint, values) of the record's page.
    link: tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class Context:
    """What a rule function receives: the day of the sweep and the rules' settings."""

    today: date
    now: datetime
    #: Every user a reminder can go to (auth facts), by id: rules that address a role
    #: pick its holders from here instead of querying.
    recipients: dict[int, Any]

    def days_before(self, code: str) -> int:
        return int(get_setting(f"reminders.{code}.days_before"))

    def horizon(self, code: str) -> date:
        """The last due date a rule must look at today (today + its lead days)."""
        rule = RULES[code]
        return self.today + timedelta(days=self.days_before(code) if rule.days_before is not None
                                      else 0)


@dataclass(frozen=True)
class Rule:
    code: str
    label: Any
    func: Callable[[Context], Iterable[Item]]
    #: Stage → lazy text with %(…)s placeholders (the subject line of the reminder).
    texts: dict[Stage, Any]
    #: Default lead days of the DUE stage (a setting); None = no DUE stage.
    days_before: int | None = None
    overdue: bool = True
    escalates: bool = True
    #: Stage a rule without a date window uses (a status held too long, an unread text).
    event_stage: Stage | None = None
    extra: dict = field(default_factory=dict)

    def stages(self, due_on: date, today: date, before: int | None, escalate_after: int) -> list[Stage]:
        """The stages an item with date ``due_on`` is in today."""
        if self.event_stage is not None:
            found = [self.event_stage] if today >= due_on else []
        elif today > due_on:
            found = [Stage.OVERDUE] if self.overdue else []
        elif before is not None and today >= due_on - timedelta(days=before):
            found = [Stage.DUE]
        else:
            found = []
        if self.escalates and (today - due_on).days > escalate_after:
            found.append(Stage.ESCALATED)
        return found


#: Rules by code, in registration order.
RULES: dict[str, Rule] = {}


def register(code: str, *, label: Any, texts: dict[Stage, Any], days_before: int | None = None,
             overdue: bool = True, escalates: bool = True, event_stage: Stage | None = None,
             ) -> Callable[[Callable[[Context], Iterable[Item]]], Callable[[Context], Iterable[Item]]]:
    """Register the decorated function as the rule ``code`` (see the module docstring)."""

    def decorate(func: Callable[[Context], Iterable[Item]]) -> Callable[[Context], Iterable[Item]]:
        if code in RULES:
            raise RuntimeError(f"reminder rule {code!r} registered twice")
        if days_before is not None:
            register_setting(f"reminders.{code}.days_before", days_before,
                             _l("%(rule)s: avisar con (días de anticipación)", rule=label),
                             kind=int, minimum=0, maximum=365)
        RULES[code] = Rule(code, label, func, texts, days_before, overdue, escalates, event_stage)
        return func

    return decorate


def rule(code: str) -> Rule:
    return RULES[code]
