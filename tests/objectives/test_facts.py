"""What other domains read about objectives: results in a window and the trend chart."""

from __future__ import annotations

from datetime import date

from qms.core import audit
from qms.extensions import db
from qms.objectives import facts, services
from tests.conftest import user
from tests.objectives.conftest import make_objective


def test_objective_results_take_the_latest_value_in_the_window(app_ctx):
    with audit.acting_as(user("calidad")):
        on_time = make_objective()
        days = make_objective("OBJ-SGC-02", process=None, direction="<=", target=30,
                              unit="días", name="Días para cerrar una NC", owner="calidad")
        for period, value in (("2026-T1", 90.0), ("2026-T2", 96.5), ("2026-T3", 94.0)):
            services.record_value(on_time, period=period, value=value, actor=user("duenio"))
        services.record_value(days, period="2025-T4", value=20, actor=user("calidad"))
        db.session.flush()

    results = {r.code: r for r in facts.objective_results(date(2026, 1, 1), date(2026, 6, 30))}
    first = results["OBJ-PAG-01"]
    assert (first.latest_value, first.latest_period, first.met) == (96.5, "2026-T2", True)
    assert first.values_in_window == 2 and first.met_in_window == 1
    assert first.process_code == "PAG" and first.owner_name == "Usuario Duenio"
    assert first.url == f"/objetivos/{on_time.id}"
    # No value of the SGC-wide objective ended in the window: not met, not failed.
    assert results["OBJ-SGC-02"].met is None and results["OBJ-SGC-02"].values_in_window == 0
    later = facts.objective_results(date(2026, 7, 1), date(2026, 9, 30), process_codes=["PAG"])
    assert [(r.code, r.latest_value, r.met) for r in later] == [("OBJ-PAG-01", 94.0, False)]
    assert facts.objective_results(date(2026, 1, 1), date(2026, 12, 31), ["NONE"]) == []


def test_chart_draws_values_and_the_target_line_escaped(app_ctx):
    with audit.acting_as(user("calidad")):
        objective = make_objective(name="Pagos <b>a tiempo</b>")
        services.record_value(objective, period="2026-T1", value=91, actor=user("duenio"))
        services.record_value(objective, period="2026-T2", value=97, actor=user("duenio"))
    svg = facts.objective_chart_svg(objective.id, date(2026, 1, 1), date(2026, 12, 31))
    assert "<svg" in svg and "<b>" not in svg and "&lt;b&gt;" in svg
    assert "2026-T1" in svg and "2026-T2" in svg and "qms-chart-target" in svg
    assert "Meta ≥ 95" in svg and svg.count("<circle") == 2
    assert facts.objective_chart_svg(999999, date(2026, 1, 1), date(2026, 12, 31)) == ""
