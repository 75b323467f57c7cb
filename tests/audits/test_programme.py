"""The programme's risk-based proposal and its coverage grids [9.2.2 a)]: each factor
moves a process up by the points it states, and the reason names the factor."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from qms.audits import programme, services
from qms.complaints import services as complaint_services
from qms.core import audit as trail
from qms.core.db import now_utc
from qms.core.settings import set_setting
from qms.core.time import today_local
from qms.extensions import db
from qms.nonconformities.enums import NCSource
from tests.audits.conftest import make_audit, make_process
from tests.conftest import user
from tests.nonconformities.conftest import make_nc


@pytest.fixture
def two(app_ctx):
    """PAG and REG, both audited this month: no risk signal, tie broken by code."""
    with trail.acting_as(user("calidad")):
        pag, reg = make_process("PAG"), make_process("REG", owner="duenio2")
        make_audit([pag, reg], start=today_local().replace(day=1))
        yield pag, reg


def ranking():
    prog = services.programme_for(today_local().year, create=True)
    return {r.process.code: r for r in programme.risk_proposal(prog, today_local())}


def order():
    prog = services.programme_for(today_local().year, create=True)
    return [r.process.code for r in programme.risk_proposal(prog, today_local())]


def test_without_signals_both_score_zero_and_say_so(two):
    ranked = ranking()
    assert order() == ["PAG", "REG"]
    assert ranked["PAG"].score == ranked["REG"].score == 0
    assert ranked["REG"].reasons == ("sin señales de riesgo",)


def test_an_open_nc_moves_the_process_up_by_its_points_and_names_it(two):
    _, reg = two
    make_nc(reg, severity="minor")
    ranked = ranking()
    assert order() == ["REG", "PAG"]
    assert ranked["REG"].score == programme.WEIGHTS["open"]
    assert ranked["REG"].reasons == ("1 NC abiertas (+2)",)


def test_a_major_nc_weighs_more_than_two_minor_ones(two):
    pag, reg = two
    make_nc(pag, severity="minor")
    make_nc(pag, severity="minor")
    make_nc(reg, severity="major")
    ranked = ranking()
    assert ranked["PAG"].score == 4 and ranked["REG"].score == 2 + 4
    assert order() == ["REG", "PAG"]
    assert "1 NC mayores abiertas (+4)" in ranked["REG"].reasons


def test_low_satisfaction_results_turned_into_ncs_count(two):
    _, reg = two
    make_nc(reg, severity="minor", source=NCSource.SATISFACTION_SURVEY)
    reasons = ranking()["REG"].reasons
    assert any(r.startswith("1 resultados de satisfacción baja") and r.endswith("(+2)")
               for r in reasons), reasons
    assert ranking()["REG"].score == 2 + 2


def _complaint(category="payment"):
    return complaint_services.file_complaint(
        category=category, description="No me llegó el pago del bono este mes.",
        department_code="08")


def test_complaints_count_for_their_categorys_process_or_for_their_ncs(two):
    pag, reg = two
    _complaint("payment")           # payment → PAG by default
    _complaint("money_request")     # → PAG too
    _complaint("other")             # attributed to no process by default
    db.session.flush()
    ranked = ranking()
    assert ranked["PAG"].score == 2 * programme.WEIGHTS["complaint"]
    assert ranked["PAG"].reasons == ("2 quejas ciudadanas en 12 meses (+4)",)
    assert order()[0] == "PAG"
    # a complaint that raised an NC counts for the NC's process, not its category's
    linked = _complaint("payment")
    complaint_services.raise_nonconformity(linked.id, user("calidad"), process=reg,
                                           severity="minor", title=None)
    ranked = ranking()
    assert "1 quejas ciudadanas en 12 meses (+2)" in ranked["REG"].reasons
    assert ranked["REG"].score == 2 + 2  # the open NC and the complaint
    assert ranked["PAG"].score == 4


def test_the_category_to_process_attribution_is_a_setting(two):
    _complaint("other")
    db.session.flush()
    assert ranking()["REG"].score == 0
    set_setting("audits.risk.complaint_process.other", "reg")
    assert ranking()["REG"].reasons == ("1 quejas ciudadanas en 12 meses (+2)",)


def test_complaints_older_than_twelve_months_do_not_count(two):
    old = _complaint("payment")
    old.received_at = now_utc() - timedelta(days=400)
    db.session.flush()
    assert ranking()["PAG"].score == 0


def test_months_since_the_last_audit_add_one_point_each(app_ctx):
    today = today_local()
    with trail.acting_as(user("calidad")):
        pag, reg, _ = make_process("PAG"), make_process("REG"), make_process("TIC")
        make_audit([pag], start=date(today.year, today.month, 1) - timedelta(days=150))
        make_audit([reg], start=date(today.year - 2, today.month, 1) + timedelta(days=1))
        ranked = ranking()
    months_pag = programme.months_between(ranked["PAG"].last_audit_on, today)
    assert months_pag in (4, 5, 6)
    assert ranked["PAG"].reasons == (f"{months_pag} meses desde su última auditoría "
                                     f"(+{months_pag})",)
    assert ranked["REG"].score == 24
    # never audited in the cycle: the whole cycle's months, above any audited process
    assert ranked["TIC"].score == 36
    assert ranked["TIC"].reasons == ("sin auditoría en el ciclo de certificación de 3 años (+36)",)
    assert order() == ["TIC", "REG", "PAG"]


def test_process_not_audited_in_the_three_year_cycle_is_flagged(app_ctx):
    year = today_local().year
    with trail.acting_as(user("calidad")):
        pag, reg, tic, rh = (make_process(c) for c in ("PAG", "REG", "TIC", "RH"))
        make_audit([pag], start=date(year, 3, 2))
        make_audit([reg], start=date(year - 2, 6, 1))       # in the cycle
        make_audit([tic], start=date(year - 3, 11, 3))      # before the cycle
        cancelled = make_audit([rh], start=date(year, 5, 4))
        services.cancel_audit(cancelled, expected_version=cancelled.version, reason="Sin fondos")
        rows = {r.process.code: r for r in programme.process_coverage(
            services.programme_for(year))}
    assert {c: r.gap for c, r in rows.items()} == {"PAG": False, "REG": False, "TIC": True,
                                                   "RH": True}
    assert [a.code for a in rows["PAG"].months[3]] == [f"AI-{year}-01"]
    assert rows["REG"].months == {}, "earlier years count for the cycle, not this year's months"
    assert rows["REG"].last_audit_on == date(year - 2, 6, 1)


def test_clause_grid_marks_each_audits_clauses_from_criteria_and_checklist(app_ctx):
    year = today_local().year
    with trail.acting_as(user("calidad")):
        pag = make_process("PAG")
        with_checklist = make_audit([pag], start=date(year, 2, 2))  # LV-PAG-01: clause 8
        by_criteria = make_audit([pag], start=date(year, 4, 6), tpl=None,
                                 clauses=["9.2", "10.2"])
        audits, rows = programme.clause_coverage(services.programme_for(year))
    assert [a.code for a in audits] == [with_checklist.code, by_criteria.code]
    cells = {r.clause: sorted(r.audit_codes) for r in rows}
    assert list(cells) == ["4", "5", "6", "7", "8", "9", "10"]
    assert cells["8"] == [with_checklist.code]
    assert cells["9"] == cells["10"] == [by_criteria.code]
    assert cells["4"] == [] and cells["5"] == []
    assert rows[0].title  # the clause's title from the ISO table


def test_programme_page_shows_the_gap_and_the_reasons(app, client):
    from tests.conftest import login

    year = today_local().year
    with app.test_request_context(), trail.acting_as(user("calidad")):
        make_process("PAG")
        services.programme_for(year, create=True)
        db.session.commit()
    login(client, "certificador")
    html = client.get(f"/auditorias/programa/{year}").get_data(as_text=True)
    assert "sin auditar en el ciclo" in html
    assert "sin auditoría en el ciclo de certificación de 3 años (+36)" in html


def test_editors_choose_which_process_each_complaint_category_counts_for(app, client):
    from sqlalchemy import select

    from qms.core.settings import get_setting
    from qms.processes.models import Process
    from tests.conftest import login, post_form

    year = today_local().year
    with app.test_request_context(), trail.acting_as(user("calidad")):
        make_process("PAG")
        make_process("QUE", owner="duenio2")
        services.programme_for(year, create=True)
        db.session.commit()
    login(client, "calidad")
    page = f"/auditorias/programa/{year}"
    html = client.get(page).get_data(as_text=True)
    assert 'name="c-other"' in html and "Quejas sin no conformidad" in html
    response = post_form(client, f"{page}/quejas", {"c-other": "QUE", "c-payment": "PAG",
                                                     "c-money_request": "", "c-registration": "",
                                                     "c-service": "QUE"}, token_from=page)
    assert response.status_code == 302
    with app.app_context():
        assert get_setting("audits.risk.complaint_process.other") == "QUE"
        assert get_setting("audits.risk.complaint_process.money_request") == ""
    # an unknown process is refused, naming it, and nothing changes
    response = post_form(client, f"{page}/quejas", {"c-other": "XYZ", "c-payment": "QUE"},
                         token_from=page, headers={"Referer": f"http://localhost{page}"})
    assert response.status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "«XYZ» no es un proceso vigente" in html
    with app.app_context():
        assert get_setting("audits.risk.complaint_process.payment") == "PAG"
        assert db.session.scalar(select(Process.code).where(Process.code == "XYZ")) is None
