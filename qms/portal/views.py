"""Public pages under /transparencia/: no login, no JavaScript needed, cached.

Every page is rendered once per data snapshot and served from memory with an ETag;
figures come only from :mod:`qms.portal.datasets` (already suppressed).
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import get_locale

from qms.core import geo
from qms.portal import cache, charts, opendata

bp = Blueprint("portal", __name__, url_prefix="/transparencia")


def _serve(key: tuple, render, mimetype: str = "text/html; charset=utf-8",
           download: str | None = None) -> Response:
    body, etag, mimetype = cache.page((*key, str(get_locale())), render, mimetype)
    response = Response(body, mimetype=mimetype)
    response.set_etag(etag)
    response.headers["Cache-Control"] = "public, max-age=60"
    if download:
        response.headers["Content-Disposition"] = f"attachment; filename={download}"
    return response.make_conditional(request)


def _page(template: str, key: tuple, **extra) -> Response:
    def render(snap):
        return render_template(template, snap=snap, ds=snap.datasets, charts=charts,
                               geo=geo, **extra)
    return _serve(key, render)


@bp.get("/")
def home():
    return _page("portal/home.html", ("home",))


@bp.get("/calidad")
def quality():
    return _page("portal/quality.html", ("quality",))


@bp.get("/documentos/<code>")
def document(code: str):
    snap = cache.snapshot()
    doc = next((d for d in snap.pages["documents"] if d.code == code), None)
    if doc is None:
        abort(404)
    return _page("portal/document.html", ("document", code), doc=doc)


@bp.get("/ejecucion")
def execution():
    return _page("portal/execution.html", ("execution",))


@bp.get("/ejecucion/<department>")
def department(department: str):
    dept = geo.department(department) if department.isdigit() else None
    if dept is None or dept.code != department:
        abort(404)
    return _page("portal/department.html", ("department", dept.code), dept=dept)


@bp.get("/satisfaccion")
def satisfaction():
    return _page("portal/satisfaction.html", ("satisfaction",))


@bp.get("/atencion")
def complaints():
    return _page("portal/complaints.html", ("complaints",))


@bp.get("/datos")
def catalogue():
    return _page("portal/catalogue.html", ("catalogue",))


@bp.get("/datos/datapackage.json")
def datapackage():
    def render(snap):
        return json.dumps(opendata.datapackage(snap, current_app.config["PROGRAMME_NAME"],
                                               current_app.config["AGENCY_NAME"]),
                          ensure_ascii=False, indent=1)
    return _serve(("datapackage",), render, "application/json")


@bp.get("/datos/<name>.<fmt>")
def dataset(name: str, fmt: str):
    snap = cache.snapshot()
    if name not in snap.datasets or fmt not in ("csv", "json"):
        abort(404)
    if fmt == "csv":
        return _serve(("csv", name), lambda s: opendata.to_csv(s.datasets[name]),
                      "text/csv; charset=utf-8", download=f"{name}.csv")
    return _serve(("json", name), lambda s: opendata.to_json(s.datasets[name], s),
                  "application/json")
