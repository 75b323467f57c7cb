from qms.auth.services import issue_token
from tests.matrix import ANY_USER, PUBLIC, Row, per_actor

ORDER = 10

NOT_CERTIFIER = ANY_USER - {"certifier"}

ROUTES = [
    Row("GET", "/login", PUBLIC),
    Row("POST", "/login", PUBLIC, data={"username": "nadie", "password": "x"}),
    Row("POST", "/logout", ANY_USER),
    Row("GET", "/cuenta", ANY_USER),
    Row("POST", "/cuenta", ANY_USER, data={"name": ""}),
    Row("GET", "/cuenta/contrasena", ANY_USER),
    Row("POST", "/cuenta/contrasena", ANY_USER, data={}),
    Row("POST", "/cuenta/tokens/<int:token_id>/revocar", NOT_CERTIFIER,
        "/cuenta/tokens/{own_token}/revocar", note="own token"),
    Row("POST", "/cuenta/tokens/<int:token_id>/revocar", frozenset(),
        "/cuenta/tokens/{admin_token}/revocar", note="somebody else's token"),
    Row("GET", "/admin/usuarios", frozenset({"admin"})),
    Row("GET", "/admin/usuarios/nuevo", frozenset({"admin"})),
    Row("POST", "/admin/usuarios/nuevo", frozenset({"admin"})),
    Row("GET", "/admin/usuarios/<int:user_id>", frozenset({"admin"}), "/admin/usuarios/{auditor_id}"),
    Row("POST", "/admin/usuarios/<int:user_id>", frozenset({"admin"}), "/admin/usuarios/{auditor_id}"),
]


def objects(users: dict) -> dict:
    return {
        "auditor_id": users["auditor"].id,
        # Each role user holds a token of its own; a case revokes its actor's (anonymous: 0).
        "own_token": per_actor(users, lambda user: issue_token(user, "matrix")[0].id),
        # duenio2 stands for no role, so this token is never the actor's.
        "admin_token": issue_token(users["duenio2"], "other")[0].id,
    }
