"""Complaint helpers: file one as the portal does."""

from __future__ import annotations

import re

from tests.conftest import post_form

CODE_RE = re.compile(r'class="code">([0-9A-Z*~$=-]+)<')


def file_complaint(client, **changes) -> str:
    """File a complaint through the public form; return the tracking code shown."""
    data = {"category": "money_request",
            "description": "Un señor en la alcaldía pidió 200 lempiras para entregar el bono.",
            "department_code": "08", "municipality_code": "0801",
            "contact_name": "María Zelaya", "contact_phone": "9999-1234",
            "contact_email": "maria@example.hn", "website": ""}
    data.update(changes)
    response = post_form(client, "/transparencia/quejas/nueva", data,
                         content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code == 200, response.get_data(as_text=True)[-2000:]
    match = CODE_RE.search(response.get_data(as_text=True))
    assert match, "no tracking code shown"
    return match.group(1)
