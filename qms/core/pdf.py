"""PDF documents of the SGC (audit reports, evidence packs, review minutes), in one place.

Three steps, always: the caller gathers a frozen structure of plain values; a Jinja
template under ``templates/pdf/`` (extending ``pdf/base.html``: print stylesheet, DejaVu
fonts, header with the programme's name and logo, footer "Página X de Y") renders it; and
WeasyPrint turns the HTML into PDF/A-3b with its metadata. The URL fetcher allows only
``data:`` URLs: no ``file:`` and no outside host can be read while rendering, whatever
the content of a record says.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

from flask import current_app, render_template
from flask_babel import lazy_gettext as _l
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from qms.core.settings import get_setting, register_setting

LOGO = register_setting(
    "pdf.logo_sha256", "", _l("Logotipo del programa (huella SHA-256 del archivo guardado)"),
    help=_l("Se carga con «flask qms set-logo ARCHIVO»; aparece en los informes PDF."))
PDF_VARIANT = "pdf/a-3b"


class NoExternalFetcher(URLFetcher):
    """Refuses every URL except inline ``data:`` ones (logo, charts)."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"data"}, allow_redirects=False, timeout=1)


@dataclass(frozen=True)
class RenderedPDF:
    content: bytes
    sha256: str


def logo_data_uri() -> str | None:
    """The programme's logo as a data: URI, or None when no logo is set."""
    from qms.core.storage import blob_path, find_by_hash

    sha = get_setting(LOGO.key)
    stored = find_by_hash(sha) if sha else None
    if stored is None or not stored.mime_type.startswith("image/"):
        return None
    data = blob_path(stored.sha256).read_bytes()
    return f"data:{stored.mime_type};base64,{base64.b64encode(data).decode('ascii')}"


def identity() -> dict[str, Any]:
    """What every PDF's header shows: programme, agency, logo."""
    return {"programme_name": current_app.config["PROGRAMME_NAME"],
            "agency_name": current_app.config["AGENCY_NAME"], "logo": logo_data_uri()}


def render_html(template: str, **context: Any) -> str:
    return render_template(template, pdf=identity(), **context)


def html_to_pdf(html: str) -> RenderedPDF:
    document = HTML(string=html, base_url="data:,", url_fetcher=NoExternalFetcher())
    content = document.write_pdf(pdf_variant=PDF_VARIANT)
    return RenderedPDF(content, hashlib.sha256(content).hexdigest())


def render_pdf(template: str, **context: Any) -> RenderedPDF:
    """Render ``templates/<template>`` with ``context`` (plain values) to PDF/A-3b."""
    return html_to_pdf(render_html(template, **context))
