"""CSV import (all or nothing, every problem named by row and column) and computed KPIs
(stored with their computation, recomputed and compared)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from qms.core import audit
from qms.core.db import frozen_clock
from qms.extensions import db
from qms.nonconformities import services as nc_services
from qms.objectives import computations, services
from qms.objectives.models import KPIValue
from qms.objectives.periods import parse_period
from tests.conftest import PASSWORD, post_form, user
from tests.nonconformities.conftest import make_nc, verified
from tests.objectives.conftest import make_objective, make_process


def _upload(client, text: str):
    return post_form(client, "/objetivos/importar",
                     {"file": (io.BytesIO(text.encode("utf-8")), "valores.csv")},
                     content_type="multipart/form-data")


def _count(app) -> int:
    with app.app_context():
        return len(db.session.scalars(select(KPIValue.id)).all())


def test_a_csv_with_any_bad_row_imports_nothing_and_names_row_and_column(app, login_as,
                                                                         objective_id):
    with app.app_context(), audit.acting_as(user("calidad")):
        make_objective("OBJ-TIC-01", process="TIC", frequency="monthly", owner="duenio2")
        db.session.commit()
    client = login_as("calidad")
    response = _upload(client, "objetivo,periodo,valor,observacion\n"
                               "OBJ-PAG-01,2026-T1,96,bien\n"
                               "OBJ-NADA,2026-T1,50,\n"
                               "OBJ-PAG-01,2026-03,90,\n"
                               "OBJ-TIC-01,2026-03,abc,\n"
                               "OBJ-PAG-01,2026-T1,97,\n")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "no se importó ningún valor" in html.lower()
    for row, column, message in ((3, "objetivo", "Objetivo desconocido «OBJ-NADA»"),
                                 (4, "periodo", "no corresponde a la frecuencia trimestral"),
                                 (5, "valor", "«abc» no es un número"),
                                 (6, "periodo", "ya aparece en la fila 2")):
        assert f"<td>{row}</td><td>{column}</td><td>" in html and message in html, row
    assert _count(app) == 0
    unknown = _upload(client, "objetivo,periodo,valr\nOBJ-PAG-01,2026-T1,96\n")
    assert "Falta la columna «valor»" in unknown.get_data(as_text=True)
    assert "Columna desconocida «valr»" in unknown.get_data(as_text=True)
    ok = _upload(client, "objetivo;periodo;valor\nOBJ-PAG-01;2026-T1;96,5\n"
                         "obj-tic-01;2026-03;99.9\n")
    assert ok.status_code == 302 and _count(app) == 2
    again = _upload(client, "objetivo,periodo,valor\nOBJ-PAG-01,2026-T1,96\n")
    assert "ya tiene un valor para el periodo 2026-T1" in again.get_data(as_text=True)
    assert _count(app) == 2


def test_a_process_owner_imports_only_their_own_objectives(app, login_as, objective_id):
    with app.app_context(), audit.acting_as(user("calidad")):
        make_objective("OBJ-TIC-01", process="TIC", frequency="monthly", owner="duenio2")
        db.session.commit()
    client = login_as("duenio2")
    response = _upload(client, "objetivo,periodo,valor\nOBJ-TIC-01,2026-03,99\n"
                               "OBJ-PAG-01,2026-T1,96\n")
    assert "Usted no puede registrar valores del objetivo OBJ-PAG-01" in \
        response.get_data(as_text=True)
    assert _count(app) == 0


def test_every_registered_computation_runs_on_empty_and_real_data(app_ctx):
    period = parse_period("2026-T1", services.Frequency.QUARTERLY)
    for computation in computations.REGISTRY.values():
        value = computation.func(period, computation.clean_params({}))
        assert value is None or isinstance(value, float), computation.key
    assert set(computations.REGISTRY) == {
        "nc_closed_on_time", "nc_median_days_to_close", "actions_overdue", "satisfaction_index",
        "documents_reviewed_on_time", "audit_programme_completion",
        "complaints_answered_in_time", "payment_execution_rate"}


def _closed_nc(process, closing: datetime, days_open: int) -> None:
    with frozen_clock(closing):
        nc = verified(make_nc(process, detected_on=closing.date() - timedelta(days=days_open)))
        nc_services.close_nonconformity(nc, expected_version=nc.version, actor=user("calidad"),
                                        password=PASSWORD)


def test_a_computed_value_keeps_its_query_and_recomputation_shows_the_change(app, login_as):
    closing = datetime(2026, 2, 10, 16, tzinfo=UTC)
    with app.app_context(), audit.acting_as(user("calidad")):
        process = make_process("PAG")
        for days in (10, 90):
            _closed_nc(process, closing, days)
        objective = make_objective("OBJ-SGC-01", process="PAG", target=80, method="computed",
                                   computation="nc_closed_on_time",
                                   computation_params={"target_days": 60})
        value = services.compute_value(objective, period="2026-T1", actor=user("calidad"))
        assert (value.value, value.computation, value.parameters) == (
            50.0, "nc_closed_on_time", {"target_days": 60})
        # The objective's parameters change later: the stored value keeps its own.
        objective.computation_params = {"target_days": 120}
        db.session.commit()
        value_id, objective_id = value.id, objective.id
    client = login_as("calidad")
    page = f"/objetivos/{objective_id}"
    response = post_form(client, f"/objetivos/valores/{value_id}/recalcular", token_from=page,
                         follow_redirects=True)
    assert "Recalculado 2026-T1: el valor no cambió (50)." in response.get_data(as_text=True)
    # An NC closed within the quarter is recorded afterwards: the figure moves.
    with app.app_context(), audit.acting_as(user("calidad")):
        _closed_nc(make_process("PAG"), closing + timedelta(days=5), 20)
        db.session.commit()
    html = post_form(client, f"/objetivos/valores/{value_id}/recalcular", token_from=page,
                     follow_redirects=True).get_data(as_text=True)
    assert "ahora da 66.7 en lugar de 50 (diferencia +16.7)" in html
    assert "Ahora da 66,7 (diferencia +16,7)" in html
    with app.app_context():
        stored = db.session.get(KPIValue, value_id)
        assert (stored.value, stored.recomputed_value) == (50.0, 66.7)
    refused = post_form(client, f"{page}/calcular", {"period": "2026-T1"}, token_from=page)
    assert "ya tiene un valor para el periodo 2026-T1" in refused.get_data(as_text=True)
    future = post_form(client, f"{page}/calcular", {"period": "2099-T1"}, token_from=page)
    assert "aún no ha terminado" in future.get_data(as_text=True)
