"""The dashboard's figures, gathered from facts in a bounded number of small queries
(grouped counts on covering indexes, one survey wave's aggregates, a few rows), and its
panel. Every figure carries the link to the filtered register behind it.

The gathered figures are kept per worker process and reused while nothing changed
(:mod:`qms.core.summaries`: the head of the audit trail, read once per request and
shared with the home cards' kept figures, says whether they are still current). A
repeated home page costs that one read instead of the dozen queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

from flask import render_template, url_for
from markupsafe import Markup

from qms.audits import facts as audit_facts
from qms.core import geo, summaries
from qms.core.dashboard import panel_provider
from qms.core.permissions import can
from qms.core.time import today_local
from qms.documents import facts as document_facts
from qms.nonconformities import facts as nc_facts
from qms.objectives import facts as objective_facts
from qms.surveys import facts as survey_facts

#: Upper limits (days since detection) of the age bands of open NCs; one more band holds
#: everything older.
AGE_BANDS = (30, 90, 180)
#: Documents whose periodic review falls within this many days count as "due soon".
REVIEW_SOON_DAYS = 30


@dataclass(frozen=True)
class Link:
    value: int | float | str
    url: str


@dataclass
class AgeRow:
    process_code: str
    process_name: str
    cells: list[Link]
    total: Link


@dataclass
class DashboardData:
    today: date
    band_labels: list[str]
    age_rows: list[AgeRow]
    age_totals: list[Link]
    open_total: Link
    overdue_actions: Link
    reviews_overdue: Link
    reviews_due: Link
    audits: list = field(default_factory=list)
    wave: object | None = None
    national: object | None = None
    departments: list = field(default_factory=list)
    objectives: list = field(default_factory=list)
    objectives_met: Link | None = None
    objectives_not_met: Link | None = None


def _band_dates(today: date, band: int) -> dict:
    """The NC register's detected_from / detected_to for one age band."""
    limits = (0, *AGE_BANDS)
    dates = {}
    if band < len(AGE_BANDS):
        dates["detected_from"] = (today - timedelta(days=AGE_BANDS[band])).isoformat()
    if band > 0:
        dates["detected_to"] = (today - timedelta(days=limits[band] + 1)).isoformat()
    return dates


def _band_labels() -> list[str]:
    from flask_babel import gettext as _

    labels, low = [], 0
    for high in AGE_BANDS:
        labels.append(_("%(a)d–%(b)d días", a=low, b=high))
        low = high + 1
    labels.append(_("más de %(n)d días", n=AGE_BANDS[-1]))
    return labels


def _age_table(today: date) -> tuple[list[AgeRow], list[Link], Link]:
    base = url_for("nonconformities.list")

    def _nc_url(**args) -> str:  # one url_for, then plain query strings (≈60 links)
        return f"{base}?{urlencode({'open_only': 1, **args})}"

    rows: dict[int, AgeRow] = {}
    totals = [0] * (len(AGE_BANDS) + 1)
    for cell in nc_facts.open_nc_age_bands(today, AGE_BANDS):
        row = rows.get(cell.process_id)
        if row is None:
            row = rows[cell.process_id] = AgeRow(
                cell.process_code, cell.process_name,
                [Link(0, _nc_url(process_id=cell.process_id, **_band_dates(today, b)))
                 for b in range(len(totals))],
                Link(0, _nc_url(process_id=cell.process_id)))
        row.cells[cell.band] = Link(cell.count, row.cells[cell.band].url)
        row.total = Link(row.total.value + cell.count, row.total.url)
        totals[cell.band] += cell.count
    band_totals = [Link(n, _nc_url(**_band_dates(today, b))) for b, n in enumerate(totals)]
    return list(rows.values()), band_totals, Link(sum(totals), _nc_url())


def current(today: date) -> DashboardData:
    """The figures for ``today``: reused while the audit trail has not moved
    (:mod:`qms.core.summaries`; the links and labels depend on the language and root)."""
    from flask import request
    from flask_babel import get_locale

    return summaries.kept(("dashboard", str(get_locale()), request.script_root),
                          lambda: gather(today))


def gather(today: date) -> DashboardData:
    age_rows, age_totals, open_total = _age_table(today)
    reviews = document_facts.document_review_counts(today, REVIEW_SOON_DAYS)
    data = DashboardData(
        today=today, band_labels=_band_labels(), age_rows=age_rows, age_totals=age_totals,
        open_total=open_total,
        overdue_actions=Link(nc_facts.overdue_corrective_actions_count(today),
                             url_for("nonconformities.list", overdue=1)),
        reviews_overdue=Link(reviews.overdue, url_for("documents.list", revision="overdue")),
        # due within the days or already overdue: the count of the list it opens
        reviews_due=Link(reviews.due, url_for("documents.list", revision="due")),
        audits=audit_facts.upcoming_audits(today, limit=5))
    indexes = survey_facts.latest_wave_satisfaction(today)
    if indexes:
        data.wave = indexes[0]
        data.national = next((f for f in indexes if not f.department_code), None)
        data.departments = sorted(
            ((geo.department(f.department_code), f) for f in indexes if f.department_code),
            key=lambda pair: pair[1].department_code)
    results = objective_facts.objective_results(today - timedelta(days=365), today)
    data.objectives = results
    data.objectives_met = Link(sum(1 for r in results if r.met is True),
                               url_for("objectives.list", estado="met"))
    data.objectives_not_met = Link(sum(1 for r in results if r.met is False),
                                   url_for("objectives.list", estado="not_met"))
    return data


@panel_provider(order=10)
def dashboard_panel(user) -> Markup | None:
    if not can(user, "dashboard.view"):
        return None
    return Markup(render_template("dashboard/panel.html",  # noqa: S704 - a Jinja template
                                  data=current(today_local())))
