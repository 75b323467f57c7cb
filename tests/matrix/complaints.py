import io

from PIL import Image

from qms.complaints import services
from tests.matrix import EDITORS, PUBLIC, Row

ORDER = 80

VIEW = frozenset({"admin", "quality_officer", "manager", "auditor", "certifier"})

ROUTES = [
    # The citizen's side (no login)
    Row("GET", "/transparencia/quejas/nueva", PUBLIC),
    Row("POST", "/transparencia/quejas/nueva", PUBLIC, note="empty form: shown again"),
    Row("GET", "/transparencia/quejas/recibida", PUBLIC, note="no code in session: redirect"),
    Row("GET", "/transparencia/quejas/seguimiento", PUBLIC),
    Row("POST", "/transparencia/quejas/seguimiento", PUBLIC),
    # Staff
    Row("GET", "/quejas/", VIEW),
    Row("GET", "/quejas/exportar.<fmt>", VIEW, path="/quejas/exportar.csv"),
    Row("GET", "/quejas/<int:complaint_id>", VIEW, "/quejas/{complaint}"),
    Row("POST", "/quejas/<int:complaint_id>/contacto", EDITORS, "/quejas/{complaint}/contacto"),
    Row("POST", "/quejas/<int:complaint_id>/acuse", EDITORS, "/quejas/{complaint}/acuse"),
    Row("POST", "/quejas/<int:complaint_id>/responder", EDITORS, "/quejas/{complaint}/responder"),
    Row("POST", "/quejas/<int:complaint_id>/cerrar", EDITORS, "/quejas/{complaint}/cerrar",
        note="not answered yet: refused with a message"),
    Row("POST", "/quejas/<int:complaint_id>/no-conformidad", EDITORS,
        "/quejas/{complaint}/no-conformidad"),
    Row("GET", "/quejas/<int:complaint_id>/foto", EDITORS, "/quejas/{complaint}/foto"),
]


def objects(users: dict) -> dict:
    photo = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(photo, "PNG")
    photo.seek(0)
    complaint = services.file_complaint(
        category="payment", description="No me pagaron el bono este mes.",
        department_code="08", contact_name="Persona de prueba", photo=photo)
    return {"complaint": complaint.id}
