"""CSV and plain text are accepted as evidence, recognised as text by their content."""

from __future__ import annotations

import io

import pytest

from qms.core.errors import ValidationError
from qms.core.storage import accepted_extensions, store


@pytest.mark.parametrize("data, name, mime", [
    (b"dni,monto\n0801,1500\n", "pagos.csv", "text/csv"),
    ("municipio;valor\nSanta Bárbara;1,5\n".encode("latin-1"), "lista.CSV", "text/csv"),
    (b"Acta de la visita del 3 de marzo: sin novedades.\r\n", "acta.txt", "text/plain"),
])
def test_text_is_accepted(app_ctx, data, name, mime):
    assert store(io.BytesIO(data), name).mime_type == mime


@pytest.mark.parametrize("data, name", [
    (b"dni,monto\n\x00\x00\x01", "pagos.csv"),          # NUL bytes: not text
    (b"\x7fELF\x02\x01\x01" + b"\x00" * 40, "pagos.txt"),  # a binary named .txt
    (b"#!/bin/sh\nrm -rf /\n", "informe.pdf"),            # text pretending to be a PDF
])
def test_what_is_not_text_or_not_what_it_says_is_refused(app_ctx, data, name):
    with pytest.raises(ValidationError) as err:
        store(io.BytesIO(data), name)
    assert "no permitido" in str(err.value.message) and err.value.field == "file"


def test_the_accepted_list_names_text_types(app_ctx):
    assert {"csv", "txt", "pdf", "docx"} <= set(accepted_extensions())
