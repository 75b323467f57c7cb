"""One limit on free text for forms and API (``qms.core.text.MAX_TEXT``): every form's
text field and every API schema's string field declares it, and 10,001 characters are
refused on the web and in the API with a message that names the field."""

from __future__ import annotations

import html
import importlib
import pkgutil

import pytest
from flask_wtf import FlaskForm
from marshmallow import Schema, fields, validate
from wtforms import HiddenField, StringField
from wtforms.fields.core import UnboundField

import qms
from qms.core.text import MAX_DOCUMENT_TEXT, MAX_TEXT, TextLength
from tests.conftest import post_form
from tests.nonconformities.conftest import api_token, seed_process

#: (form, field) allowed the long-form bound: a controlled document's Markdown body.
DOCUMENT_BODIES = {("RevisionForm", "content_md"), ("NewDocumentForm", "content_md")}


def _every_module() -> None:
    for module in pkgutil.walk_packages(qms.__path__, "qms."):
        importlib.import_module(module.name)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _form_text_fields():
    _every_module()
    for form in {f for f in _subclasses(FlaskForm) if f.__module__.startswith("qms.")}:
        for name in dir(form):
            unbound = getattr(form, name, None)
            if isinstance(unbound, UnboundField) and issubclass(unbound.field_class, StringField) \
                    and not issubclass(unbound.field_class, HiddenField):
                yield form, name, unbound


def _validators(unbound: UnboundField) -> list:
    given = unbound.kwargs.get("validators")
    if given is None and len(unbound.args) > 1:
        given = unbound.args[1]
    return list(given or [])


def test_every_form_text_field_declares_the_shared_limit(app_ctx):
    checked, missing = 0, []
    for form, name, unbound in _form_text_fields():
        checked += 1
        bounds = [v.max for v in _validators(unbound) if isinstance(v, TextLength)]
        allowed = MAX_DOCUMENT_TEXT if (form.__name__, name) in DOCUMENT_BODIES else MAX_TEXT
        if not bounds or not 0 < bounds[0] <= allowed:
            missing.append(f"{form.__module__}.{form.__name__}.{name}")
    assert checked > 60  # the introspection found the forms
    assert missing == []


def test_every_api_string_field_declares_the_shared_limit(app_ctx):
    _every_module()
    checked, missing = 0, []
    for schema in {s for s in _subclasses(Schema) if s.__module__.startswith("qms.")}:
        for name, field in schema._declared_fields.items():
            if not isinstance(field, fields.String):
                continue
            checked += 1
            bounds = [v.max for v in field.validators
                      if isinstance(v, validate.Length) and v.max is not None]
            if not bounds or not 0 < min(bounds) <= MAX_TEXT:
                missing.append(f"{schema.__module__}.{schema.__name__}.{name}")
    assert checked > 60
    assert missing == []


def test_the_limit_is_published_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    description = spec["components"]["schemas"]["NCCreate"]["properties"]["description"]
    assert description["maxLength"] == MAX_TEXT


@pytest.mark.parametrize("length, refused", [(MAX_TEXT, False), (MAX_TEXT + 1, True)])
def test_the_web_form_refuses_10001_characters_naming_the_field(app, login_as, length, refused):
    from qms.core.time import today_local

    pid = seed_process(app)
    client = login_as("calidad")
    with app.app_context():
        from tests.conftest import user

        detector = user("calidad").id
    response = post_form(client, "/no-conformidades/nueva", {
        "title": "Planilla tarde", "description": "x" * length, "source": "other",
        "process_id": pid, "severity": "minor", "detected_on": today_local().isoformat(),
        "detected_by_id": detector}, token_from="/no-conformidades/nueva")
    if refused:
        assert response.status_code == 200
        assert "«Descripción» admite como máximo 10.000 caracteres; tiene 10.001." in \
            html.unescape(response.get_data(as_text=True))
    else:
        assert response.status_code == 302


@pytest.mark.parametrize("length, refused", [(MAX_TEXT, False), (MAX_TEXT + 1, True)])
def test_the_api_refuses_10001_characters_naming_the_field(app, client, length, refused):
    from tests.nonconformities.test_api import _body

    pid = seed_process(app)
    response = client.post("/api/v1/nonconformities/", headers=api_token(app, "calidad"),
                           json=_body(pid, description="x" * length))
    if refused:
        assert response.status_code == 422
        assert response.get_json()["errors"]["json"] == {
            "description": ["Admite como máximo 10.000 caracteres; tiene 10.001."]}
    else:
        assert response.status_code == 201, response.get_json()
