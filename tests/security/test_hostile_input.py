"""Hostile input is a 4xx with a message, never a 500; bodies bigger than a route allows
are refused unread."""

from __future__ import annotations

import io

import pytest

from qms.auth.services import issue_token
from qms.extensions import db
from tests.conftest import login, post_form, user

HUGE = 2**63
PAGES = ("/procesos/", "/no-conformidades/", "/auditoria")


@pytest.fixture
def headers(app):
    with app.app_context():
        _, secret = issue_token(user("calidad"), "pruebas")
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.mark.parametrize("path", ["/procesos/{n}", "/no-conformidades/{n}",
                                  "/documentos/{n}", "/api/v1/processes/{n}"])
def test_ids_beyond_bigint_are_404(client, headers, path):
    login(client, "admin")
    response = client.get(path.format(n=HUGE), headers=headers)
    assert response.status_code == 404


@pytest.mark.parametrize("path", PAGES)
def test_page_numbers_beyond_bigint_are_404(client, path):
    login(client, "admin")
    assert client.get(path, query_string={"page": str(HUGE)}).status_code == 404
    # the audit log pages by id: a numbered link is redirected to its keyset equivalent
    assert client.get(path, query_string={"page": "2"}).status_code in (200, 302, 404)


def test_filter_ids_beyond_bigint_are_not_500(client):
    login(client, "admin")
    response = client.get("/documentos/", query_string={"proceso": str(HUGE * 4)})
    assert response.status_code < 500


def test_integers_beyond_bigint_in_json_bodies_are_400(client, headers):
    response = client.post("/api/v1/processes/", headers=headers, json={
        "code": "BIG", "name": "x", "category": "support", "owner_id": HUGE})
    assert response.status_code == 400 and "máximo" in response.get_json()["message"]


def test_a_lone_surrogate_in_json_is_400(client, headers):
    body = b'{"code": "SUR", "name": "\\ud800", "category": "support", "owner_id": 1}'
    response = client.post("/api/v1/processes/", headers={**headers,
                           "Content-Type": "application/json"}, data=body)
    assert response.status_code == 400 and "sustituto" in response.get_json()["message"]


def test_deeply_nested_json_is_400(client, headers):
    body = b"[" * 100_000 + b"]" * 100_000
    response = client.post("/api/v1/processes/", headers={**headers,
                           "Content-Type": "application/json"}, data=body)
    assert response.status_code == 400 and "anida" in response.get_json()["message"]


def test_a_garbled_version_in_a_form_is_a_conflict_not_a_500(app, client):
    from qms.core import audit
    from qms.processes.models import ProcessCategory
    from qms.processes.services import create_process

    with app.app_context(), audit.acting_as(audit.SYSTEM):
        process = create_process(code="VER", name="Proceso", category=ProcessCategory.SUPPORT,
                                 owner=user("duenio"))
        db.session.commit()
        pid, owner = process.id, user("duenio").id
    login(client, "calidad")
    response = post_form(client, f"/procesos/{pid}/editar", {
        "code": "VER", "name": "Otro", "category": "support", "owner_id": str(owner),
        "description": "", "active": "y", "version": "abc"})
    assert response.status_code in (200, 302, 409)
    assert "Otra persona modificó este registro" in client.get(
        f"/procesos/{pid}/editar").get_data(as_text=True) + response.get_data(as_text=True)


class _CountingStream(io.RawIOBase):
    """A multipart body of ``size`` bytes (one CSV file part, never closed) that
    counts what the server reads."""

    HEAD = (b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
            b"Content-Type: text/csv\r\n\r\n")

    def __init__(self, size: int) -> None:
        self.size, self.read_bytes = size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.size - self.read_bytes)
        chunk = bytearray(b"1;2;3\r\n" * (n // 7 + 1))[:n]  # CSV lines
        if self.read_bytes < len(self.HEAD):
            head = self.HEAD[self.read_bytes:self.read_bytes + n]
            chunk[:len(head)] = head
        buffer[:n] = chunk
        self.read_bytes += n
        return n


def _big_upload(client, wave_id: int, size: int):
    stream = _CountingStream(size)
    response = client.post(
        f"/encuestas/rondas/{wave_id}/importar",
        content_type="multipart/form-data; boundary=xyz",
        environ_overrides={"CONTENT_LENGTH": str(size), "wsgi.input": stream})
    return response, stream


def test_an_anonymous_300_mb_import_is_refused_unread(app, client):
    response, stream = _big_upload(client, 1, 300 * 1024 * 1024)
    assert response.status_code in (302, 401, 413)
    assert stream.read_bytes < 1024 * 1024


def test_an_unauthorised_user_cannot_send_a_big_import_either(app, client):
    from tests.surveys.conftest import make_wave

    wave_id = make_wave(app)
    login(client, "certificador")
    response, stream = _big_upload(client, wave_id, 300 * 1024 * 1024)
    assert response.status_code in (403, 413)
    assert stream.read_bytes < 1024 * 1024


def test_an_authorised_import_may_exceed_the_default_limit(app, client):
    from tests.surveys.conftest import make_wave

    wave_id = make_wave(app)
    login(client, "calidad")
    size = app.config["MAX_CONTENT_LENGTH"] + 1024
    response = client.post(f"/encuestas/rondas/{wave_id}/importar",
                           data={"file": (io.BytesIO(b"a" * size), "grande.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 400  # read, then refused for its missing CSRF token
    assert "CSRF" in response.get_data(as_text=True)


def test_a_5_mb_text_field_in_the_api_is_refused(app, client, headers):
    from tests.nonconformities.conftest import seed_process
    from tests.nonconformities.test_api import _body

    body = _body(seed_process(app), description="a" * 5_000_000)
    response = client.post("/api/v1/nonconformities/", headers=headers, json=body)
    assert response.status_code == 400 and "caracteres" in response.get_json()["message"]
