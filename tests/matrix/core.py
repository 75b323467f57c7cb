from tests.matrix import ANY_USER, PUBLIC, Row

ROUTES = [
    Row("GET", "/", PUBLIC),
    Row("GET", "/inicio", ANY_USER),
    Row("GET", "/pendientes", ANY_USER - {"certifier"}),
    Row("POST", "/idioma", PUBLIC, data={"lang": "en"}),
    Row("GET", "/healthz", PUBLIC),
    Row("GET", "/auditoria", frozenset({"admin", "quality_officer", "manager", "certifier"})),
    Row("GET", "/api/v1/openapi.json", PUBLIC),
]
