from tests.matrix import ANY_USER, PUBLIC, Row

#: Internal auditors read the trail too (issue 9): every staff role.
AUDIT_LOG_READERS = frozenset({"admin", "quality_officer", "manager", "auditor", "certifier"})

ROUTES = [
    Row("GET", "/", PUBLIC),
    Row("GET", "/inicio", ANY_USER),
    Row("GET", "/pendientes", ANY_USER - {"certifier"}),
    Row("POST", "/idioma", PUBLIC, data={"lang": "en"}),
    Row("GET", "/healthz", PUBLIC),
    Row("GET", "/auditoria", AUDIT_LOG_READERS),
    Row("GET", "/auditoria/exportar.<fmt>", AUDIT_LOG_READERS, path="/auditoria/exportar.csv"),
    Row("GET", "/favicon.ico", PUBLIC),
    Row("GET", "/api/v1/openapi.json", PUBLIC),
]
