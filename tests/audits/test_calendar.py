"""The audits calendar: the month page and each person's secret ICS feed, read back with
the icalendar library as a calendar app would."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import icalendar
from sqlalchemy import select

from qms.audits import calendar, services
from qms.audits.enums import AuditType, MemberRole
from qms.audits.models import Audit, AuditCalendarFeed
from qms.core import audit as trail
from qms.core.audit import AuditEvent
from qms.core.security import secret_digest
from qms.core.time import today_local
from qms.extensions import db
from tests.audits.conftest import make_audit, make_process
from tests.conftest import login, post_form, user


@dataclass(frozen=True)
class Planned:
    id: int
    code: str
    planned_start: date
    planned_end: date
    version: int


def _plain(audit) -> Planned:
    return Planned(audit.id, audit.code, audit.planned_start, audit.planned_end, audit.version)


def _world(app):
    """Three audits this month: the auditor leads one (the process owner is its auditee),
    the auditor's second one is cancelled, and an external audit has none of them.

    Built in its own context: the tests' client must not share ``g`` (and so a CSRF
    token cached before login) with the test."""
    with app.test_request_context(), trail.acting_as(user("calidad")):
        start = today_local().replace(day=10)
        pag = make_process("PAG", owner="duenio")
        sgc = make_process("SGC", owner="duenio2")
        led = make_audit([pag], start=start, days=2, title="Auditoría del pago")
        services.add_member(led, user=user("duenio"), role=MemberRole.AUDITEE)
        cancelled = make_audit([pag], start=start + timedelta(days=5), title="Auditoría anulada")
        services.cancel_audit(cancelled, expected_version=cancelled.version,
                              reason="Cambio de fechas del organismo.")
        other = make_audit([sgc], lead=None, tpl=None, kind=AuditType.EXTERNAL_SURVEILLANCE,
                           start=start + timedelta(days=1), certification_body="Organismo X",
                           title="Vigilancia externa")
        db.session.commit()
        return _plain(led), _plain(cancelled), _plain(other)


def _feed_url(client, username=None) -> str:
    """Issue (or renew) the user's feed address from the calendar page, as they would."""
    if username:
        login(client, username)
    today = today_local()
    page = f"/auditorias/calendario/{today.year}/{today.month}"
    response = post_form(client, "/auditorias/calendario/enlace", token_from=page)
    assert response.status_code == 302
    html = client.get(response.headers["Location"].split("#")[0]).get_data(as_text=True)
    match = re.search(r'id="feed-url" type="text" readonly value="http://localhost(/[^"]+)"', html)
    assert match, "the new address is shown once on the calendar page"
    return match.group(1)


def _events(client, url) -> dict[str, icalendar.Event]:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/calendar"
    cal = icalendar.Calendar.from_ical(response.data)
    return {str(e["summary"]).split(" · ")[0]: e for e in cal.walk("VEVENT")}


def test_month_page_places_each_audit_on_its_days_with_its_status_in_words(app, client):
    led, cancelled, other = _world(app)
    login(client, "direccion")
    today = today_local()
    html = client.get(f"/auditorias/calendario/{today.year}/{today.month}").get_data(as_text=True)
    # a real table: seven column headings, a caption, one cell per day
    assert html.count('<th scope="col">') == 7 and "<caption" in html
    day = led.planned_start
    cell = re.search(rf'data-day="{day.isoformat()}">(.*?)</td>', html, re.S).group(1)
    assert led.code in cell and "(Planificada)" in cell
    after = re.search(rf'data-day="{(day + timedelta(days=2)).isoformat()}">(.*?)</td>',
                      html, re.S).group(1)
    assert led.code in after, "a three-day audit shows on each of its days"
    later = re.search(rf'data-day="{(day + timedelta(days=3)).isoformat()}">(.*?)</td>',
                      html, re.S).group(1)
    assert led.code not in later
    cancelled_cell = re.search(rf'data-day="{cancelled.planned_start.isoformat()}">(.*?)</td>',
                               html, re.S).group(1)
    assert "is-cancelled" in cancelled_cell and "(Anulada)" in cancelled_cell
    # the list layout for small screens has every audit of the month once
    listing = html.split('class="d-md-none calendar-list"')[1].split("</section>")[0]
    assert [listing.count(a.code) for a in (led, cancelled, other)] == [1, 1, 1]


def test_month_navigation_and_a_month_out_of_range(app, client):
    login(client, "certificador")
    assert client.get("/auditorias/calendario").headers["Location"].endswith(
        f"/auditorias/calendario/{today_local().year}/{today_local().month}")
    html = client.get("/auditorias/calendario/2026/1").get_data(as_text=True)
    assert 'href="/auditorias/calendario/2025/12"' in html
    assert 'href="/auditorias/calendario/2026/2"' in html
    assert "No hay auditorías este mes." in html
    assert client.get("/auditorias/calendario/2026/13").status_code == 404
    html = client.get("/auditorias/calendario/2026/12").get_data(as_text=True)
    assert 'href="/auditorias/calendario/2027/1"' in html


def test_feed_holds_the_users_audits_with_stable_uids_and_cancelled_ones_marked(app, client):
    led, cancelled, other = _world(app)
    url = _feed_url(client, "auditor")
    events = _events(client, url)
    assert set(events) == {led.code, cancelled.code}, "only audits the auditor is on"
    event = events[led.code]
    with app.test_request_context():
        assert str(event["uid"]) == calendar.event_uid(db.session.get(Audit, led.id))
    assert event.decoded("dtstart") == led.planned_start
    assert event.decoded("dtend") == led.planned_end + timedelta(days=1)
    assert event.decoded("dtstamp").utcoffset() == timedelta(0)
    assert str(event["status"]) == "CONFIRMED"
    assert "Auditor líder" in str(event["description"])
    assert str(event["url"]).endswith(f"/auditorias/{led.id}")
    assert str(events[cancelled.code]["status"]) == "CANCELLED"
    assert "Cambio de fechas" in str(events[cancelled.code]["description"])
    cal = icalendar.Calendar.from_ical(client.get(url).data)
    assert str(cal["x-wr-timezone"]) == "America/Tegucigalpa"
    assert [str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")] == ["America/Tegucigalpa"]
    # a new plan date keeps the UID and raises the SEQUENCE, so the app moves the event
    with app.test_request_context(), trail.acting_as(user("auditor")):
        audit = db.session.get(Audit, led.id)
        services.update_plan(audit, expected_version=audit.version, title=audit.title,
                             scope=audit.scope, objectives=audit.objectives,
                             processes=audit.processes,
                             planned_start=led.planned_start + timedelta(days=1),
                             planned_end=led.planned_end + timedelta(days=1),
                             clauses=audit.criteria_clauses, location="Oficina de Choluteca")
        db.session.commit()
    moved = _events(client, url)[led.code]
    assert str(moved["uid"]) == str(event["uid"])
    assert int(moved["sequence"]) > int(event["sequence"])
    assert moved.decoded("dtstart") == led.planned_start + timedelta(days=1)
    assert str(moved["location"]) == "Oficina de Choluteca"


def test_auditees_see_their_audits_and_quality_officers_see_every_audit(app, client):
    led, cancelled, other = _world(app)
    assert set(_events(client, _feed_url(client, "duenio"))) == {led.code}
    other_client = app.test_client()
    assert set(_events(other_client, _feed_url(other_client, "calidad"))) == {led.code, cancelled.code,
                                                                   other.code}


def test_resetting_the_address_kills_the_old_one_and_leaves_a_trail(app, client):
    _world(app)
    old = _feed_url(client, "auditor")
    assert client.get(old).status_code == 200
    new = _feed_url(client)
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    token = new.rsplit("/", 1)[1].removesuffix(".ics")
    with app.app_context():
        [stored] = db.session.scalars(select(AuditCalendarFeed.token_hash))
        actions = list(db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.entity_type == "audit_calendar_feed").order_by(AuditEvent.id)))
    assert stored == secret_digest(token) and token not in stored, "only the hash is kept"
    assert actions == ["insert", "calendar_reset"]
    html = client.get(f"/auditorias/calendario/{today_local().year}/{today_local().month}") \
        .get_data(as_text=True)
    assert 'id="feed-url"' not in html, "the address is shown once, never again"
    assert "Última lectura por su aplicación" in html


def test_unknown_or_disabled_addresses_answer_404(app, client):
    _world(app)
    url = _feed_url(client, "auditor")
    assert client.get("/auditorias/calendario/cal_nope.ics").status_code == 404
    assert client.get("/auditorias/calendario/x.ics").status_code == 404
    with app.app_context(), trail.acting_as(user("admin")):
        user("auditor").active = False
        db.session.commit()
    assert client.get(url).status_code == 404


def test_month_view_counts_an_audit_that_spans_two_months(app_ctx):
    with trail.acting_as(user("calidad")):
        pag = make_process("PAG")
        year = today_local().year
        audit = make_audit([pag], start=date(year, 3, 30), days=3)
        db.session.commit()
    march, april = calendar.month_view(year, 3), calendar.month_view(year, 4)
    assert audit in march.audits and audit in april.audits
    april_days = [d.day for week in april.weeks for d in week if audit in d.audits]
    assert april_days == [date(year, 3, 30), date(year, 3, 31), date(year, 4, 1),
                          date(year, 4, 2)]
