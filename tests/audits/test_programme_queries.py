"""The programme page reads each fact once: its query count does not grow with the
year's audits, their checklists and teams, the processes or the complaints."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event

from qms.audits import services
from qms.audits.enums import MemberRole
from qms.complaints import services as complaint_services
from qms.core import audit as trail
from qms.core.time import today_local
from qms.extensions import db
from tests.audits.conftest import make_audit, make_process
from tests.conftest import user


def _queries(app, client, url: str) -> tuple[int, str]:
    seen = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: seen.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert response.status_code == 200
    return len(seen), response.get_data(as_text=True)


def _grow(app, codes: list[str], audits: int) -> None:
    today = today_local()
    with app.test_request_context(), trail.acting_as(user("calidad")):
        processes = [make_process(code, owner="duenio2" if i % 2 else "duenio")
                     for i, code in enumerate(codes)]
        for i in range(audits):
            start = today.replace(day=1) + timedelta(days=i)
            audit = make_audit(processes[i % len(processes):][:2] or processes,
                               start=start, title=f"Auditoría {codes[0]} {i}")
            services.add_member(audit, user=user("calidad"), role=MemberRole.AUDITOR)
        for category in ("payment", "registration", "service", "other"):
            complaint_services.file_complaint(
                category=category, description="No me llegó el pago del bono este mes.",
                department_code="08")
        db.session.commit()


def test_the_programme_page_costs_the_same_queries_at_any_size(app, login_as):
    url = f"/auditorias/programa/{today_local().year}"
    _grow(app, ["PAG"], 1)
    client = login_as("calidad")
    small, _ = _queries(app, client, url)
    _grow(app, ["REG", "QUE", "MON", "COM"], 6)
    large, html = _queries(app, client, url)
    assert all(f'data-process="{code}"' in html for code in ("PAG", "REG", "QUE", "MON", "COM"))
    assert "Auditoría REG 5" in html
    assert large == small
    assert large <= 25


def test_the_index_served_risk_figures_equal_the_full_pass(app_ctx):
    from qms.nonconformities import facts as nc_facts
    from qms.nonconformities import services as nc_services
    from tests.nonconformities.conftest import make_nc

    with trail.acting_as(user("calidad")):
        pag, reg = make_process("PAG"), make_process("REG", owner="duenio2")
        today = today_local()
        make_nc(pag, severity="major")
        make_nc(pag, severity="minor", source="satisfaction_survey")
        make_nc(reg, severity="minor", source="citizen_complaint",
                detected_on=today - timedelta(days=400))  # open, but not recent
        make_nc(reg, severity="major", source="citizen_complaint")
        cancelled = make_nc(reg, severity="major", source="satisfaction_survey")
        nc_services.cancel_nonconformity(cancelled, expected_version=cancelled.version,
                                         reason="Registrada por duplicado.")
        db.session.flush()
        for since in (today - timedelta(days=365), today - timedelta(days=800),
                      today + timedelta(days=1)):
            assert nc_facts.nc_risk_figures_by_process(since) \
                == nc_facts.nc_figures_by_process(since)
        figures = nc_facts.nc_risk_figures_by_process(today - timedelta(days=365))
        assert figures[pag.id].open_count == 2 and figures[pag.id].open_major == 1
        assert figures[pag.id].from_surveys == 1 and figures[reg.id].from_complaints == 1
        assert figures[reg.id].open_count == 2 and figures[reg.id].from_surveys == 1
