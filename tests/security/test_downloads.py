"""Downloads carry the extension of the detected type, as attachments unless safe."""

from __future__ import annotations

import io

from qms.core.storage import StoredFile, download_name, send_stored_file
from qms.extensions import db
from qms.nonconformities.models import Nonconformity
from tests.conftest import csrf_token
from tests.nonconformities.conftest import PNG
from tests.nonconformities.test_views import P, _seed


def test_a_png_uploaded_as_html_downloads_as_png_attachment(app, login_as):
    nc_id = _seed(app)
    client = login_as("calidad")
    ok = client.post(f"{P}/{nc_id}/adjuntos", data={
        "csrf_token": csrf_token(client, f"{P}/{nc_id}"),
        "file": (io.BytesIO(PNG), "foto.html")}, content_type="multipart/form-data")
    assert ok.status_code == 302
    with app.app_context():
        attachment_id = db.session.get(Nonconformity, nc_id).attachments[0].id
    download = client.get(f"{P}/{nc_id}/adjuntos/{attachment_id}")
    disposition = download.headers["Content-Disposition"]
    assert download.mimetype == "image/png"
    assert disposition.startswith("attachment") and "foto.png" in disposition
    assert ".html" not in disposition


def test_only_safe_types_are_ever_inline(app_ctx):
    sheet = StoredFile(sha256="0" * 64, size=1, original_name="datos.xlsx",
                       mime_type="application/vnd.openxmlformats-officedocument."
                                 "spreadsheetml.sheet")
    assert download_name(sheet) == "datos.xlsx"
    blob = app_ctx.config["STORAGE_DIR"] / "00" / "00" / ("0" * 64)
    blob.parent.mkdir(parents=True, exist_ok=True)
    blob.write_bytes(b"x")
    response = send_stored_file(sheet, inline=True)
    assert response.headers["Content-Disposition"].startswith("attachment")
    response.close()  # send_file opened the blob
