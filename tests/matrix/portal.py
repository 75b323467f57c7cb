from qms.documents.models import Confidentiality, Document
from qms.extensions import db
from tests.matrix import PUBLIC, Row

ORDER = 90

ROUTES = [
    Row("GET", "/transparencia/", PUBLIC),
    Row("GET", "/transparencia/calidad", PUBLIC),
    Row("GET", "/transparencia/documentos/<code>", PUBLIC, "/transparencia/documentos/{public_doc}",
        note="a public document's effective revision"),
    Row("GET", "/transparencia/ejecucion", PUBLIC),
    Row("GET", "/transparencia/ejecucion/<department>", PUBLIC, "/transparencia/ejecucion/08"),
    Row("GET", "/transparencia/satisfaccion", PUBLIC),
    Row("GET", "/transparencia/atencion", PUBLIC),
    Row("GET", "/transparencia/datos", PUBLIC),
    Row("GET", "/transparencia/datos/datapackage.json", PUBLIC),
    Row("GET", "/transparencia/datos/<name>.<fmt>", PUBLIC,
        "/transparencia/datos/pagos-municipio.csv"),
]


def objects(users: dict) -> dict:
    from qms.portal import cache

    document = db.session.get(Document, users["own_doc"])
    document.confidentiality = Confidentiality.PUBLIC
    db.session.flush()
    cache.clear()  # the snapshot of an earlier test's database must not answer
    return {"public_doc": document.code}
