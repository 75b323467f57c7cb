from tests.matrix import ANY_USER, EDITORS, Row

ROUTES = [
    Row("GET", "/pagos/", ANY_USER),
    Row("GET", "/pagos/importar", EDITORS),
    Row("POST", "/pagos/importar", EDITORS, note="no file: the form says so"),
]
