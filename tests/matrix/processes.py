from qms.processes.models import ProcessCategory
from qms.processes.services import create_process
from tests.matrix import ANY_USER, EDITORS, Row

ORDER = 20

OWNER_TOO = EDITORS | {"process_owner"}

ROUTES = [
    Row("GET", "/procesos/", ANY_USER),
    Row("GET", "/procesos/nuevo", EDITORS),
    Row("POST", "/procesos/nuevo", EDITORS),
    Row("GET", "/procesos/<int:process_id>", ANY_USER, "/procesos/{own_process}"),
    Row("GET", "/procesos/<int:process_id>/editar", OWNER_TOO, "/procesos/{own_process}/editar",
        note="the process owner's own process"),
    Row("GET", "/procesos/<int:process_id>/editar", EDITORS, "/procesos/{other_process}/editar",
        note="another owner's process"),
    Row("POST", "/procesos/<int:process_id>/editar", OWNER_TOO, "/procesos/{own_process}/editar"),
    Row("POST", "/procesos/<int:process_id>/editar", EDITORS, "/procesos/{other_process}/editar"),
    # API
    Row("GET", "/api/v1/processes/", ANY_USER),
    Row("POST", "/api/v1/processes/", EDITORS, data={}),
    Row("GET", "/api/v1/processes/<int:process_id>", ANY_USER, "/api/v1/processes/{own_process}"),
    Row("PATCH", "/api/v1/processes/<int:process_id>", OWNER_TOO,
        "/api/v1/processes/{own_process}", data={}),
    Row("PATCH", "/api/v1/processes/<int:process_id>", EDITORS,
        "/api/v1/processes/{other_process}", data={}),
]


def objects(users: dict) -> dict:
    own = create_process(code="OWN", name="Proceso propio", category=ProcessCategory.OPERATIONAL,
                         owner=users["duenio"])
    other = create_process(code="OTHER", name="Proceso ajeno", category=ProcessCategory.SUPPORT,
                           owner=users["duenio2"])
    return {"own_process": own.id, "other_process": other.id}
