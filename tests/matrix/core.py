from tests.matrix import ANY_USER, PUBLIC, Row, per_actor

ORDER = 15


def objects(users):
    """A finished background export for each role user: each one sees only their own."""
    import secrets
    from pathlib import Path

    from flask import current_app

    from qms.core import export_jobs

    def finished_export(user) -> str:
        token = secrets.token_urlsafe(export_jobs.TOKEN_BYTES)
        folder = Path(current_app.config["INSTANCE_DIR"]) / "exports" / token
        folder.mkdir(parents=True)
        (folder / "file").write_bytes(b"\xef\xbb\xbfCodigo\r\n")
        export_jobs.write_status(folder, state="done", kind="nc_register", params={},
                                 filename="no-conformidades.csv", user_id=user.id,
                                 locale="es", done=0, total=0, size=11)
        return token

    return {"own_export": per_actor(users, finished_export, anonymous="ninguna")}


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
    Row("GET", "/exportaciones/<token>", ANY_USER, "/exportaciones/{own_export}",
        note="the requester's own background export"),
    Row("GET", "/exportaciones/<token>/estado.json", ANY_USER,
        "/exportaciones/{own_export}/estado.json"),
    Row("GET", "/exportaciones/<token>/archivo", ANY_USER,
        "/exportaciones/{own_export}/archivo"),
]
