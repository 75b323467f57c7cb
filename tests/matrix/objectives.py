from datetime import date

from qms.extensions import db
from qms.objectives import services
from qms.objectives.enums import ValueSource
from qms.objectives.models import KPIValue
from qms.processes.models import ProcessCategory
from qms.processes.services import create_process
from tests.matrix import ANY_USER, EDITORS, Row

ORDER = 100

OWNER_TOO = EDITORS | {"process_owner"}
VALUE = {"period": "2025-T1", "value": "90"}

ROUTES = [
    Row("GET", "/objetivos/", ANY_USER),
    Row("GET", "/objetivos/nuevo", EDITORS),
    Row("POST", "/objetivos/nuevo", EDITORS),
    Row("GET", "/objetivos/<int:objective_id>", ANY_USER, "/objetivos/{own_objective}"),
    Row("GET", "/objetivos/<int:objective_id>/editar", EDITORS,
        "/objetivos/{own_objective}/editar"),
    Row("POST", "/objetivos/<int:objective_id>/editar", EDITORS,
        "/objetivos/{own_objective}/editar"),
    Row("POST", "/objetivos/<int:objective_id>/valores", OWNER_TOO,
        "/objetivos/{own_objective}/valores", data=VALUE,
        note="an objective of the process owner's own process"),
    Row("POST", "/objetivos/<int:objective_id>/valores", EDITORS,
        "/objetivos/{other_objective}/valores", data=VALUE, note="another owner's process"),
    Row("POST", "/objetivos/<int:objective_id>/calcular", EDITORS,
        "/objetivos/{computed_objective}/calcular", data={"period": "2025-T1"}),
    Row("POST", "/objetivos/<int:objective_id>/calcular-pendientes", EDITORS,
        "/objetivos/{computed_objective}/calcular-pendientes"),
    Row("POST", "/objetivos/valores/<int:value_id>/recalcular", EDITORS,
        "/objetivos/valores/{computed_value}/recalcular"),
    Row("GET", "/objetivos/<int:objective_id>/valores.<any(csv, xlsx):fmt>", ANY_USER,
        "/objetivos/{own_objective}/valores.csv"),
    Row("GET", "/objetivos/importar", OWNER_TOO),
    Row("POST", "/objetivos/importar", OWNER_TOO),
    # API
    Row("GET", "/api/v1/objectives/", ANY_USER),
    Row("POST", "/api/v1/objectives/", EDITORS, data={}),
    Row("GET", "/api/v1/objectives/<int:objective_id>", ANY_USER,
        "/api/v1/objectives/{own_objective}"),
    Row("PATCH", "/api/v1/objectives/<int:objective_id>", EDITORS,
        "/api/v1/objectives/{own_objective}", data={}),
    Row("GET", "/api/v1/objectives/<int:objective_id>/values", ANY_USER,
        "/api/v1/objectives/{own_objective}/values"),
    Row("POST", "/api/v1/objectives/<int:objective_id>/values", OWNER_TOO,
        "/api/v1/objectives/{own_objective}/values", data={"period": "2025-T2", "value": 91}),
    Row("POST", "/api/v1/objectives/<int:objective_id>/values", EDITORS,
        "/api/v1/objectives/{other_objective}/values", data={"period": "2025-T2", "value": 91}),
]


def objects(users: dict) -> dict:
    own = create_process(code="OBJOWN", name="Proceso con objetivos",
                         category=ProcessCategory.OPERATIONAL, owner=users["duenio"])
    other = create_process(code="OBJOTH", name="Proceso ajeno con objetivos",
                           category=ProcessCategory.SUPPORT, owner=users["duenio2"])
    common = dict(unit="%", direction=">=", target=90, owner=users["duenio"],
                  frequency="quarterly")
    mine = services.create_objective(code="OBJ-MX-01", name="Propio", process=own, **common)
    theirs = services.create_objective(code="OBJ-MX-02", name="Ajeno", process=other,
                                       **{**common, "owner": users["duenio2"]})
    computed = services.create_objective(code="OBJ-MX-03", name="Calculado", process=own,
                                         method="computed", computation="actions_overdue",
                                         **common)
    value = KPIValue(objective_id=computed.id, period="2024-T4", period_start=date(2024, 10, 1),
                     period_end=date(2024, 12, 31), value=5.0, source=ValueSource.COMPUTED,
                     computation="actions_overdue", parameters={})
    db.session.add(value)
    db.session.flush()
    return {"own_objective": mine.id, "other_objective": theirs.id,
            "computed_objective": computed.id, "computed_value": value.id}
