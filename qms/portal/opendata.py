"""Open data: each dataset as CSV and JSON, described by a Frictionless data package
(Data Package v2, a Table Schema per resource as the column dictionary)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from flask import url_for

from qms.core.time import to_local
from qms.portal.datasets import Dataset, Snapshot

LICENSES = {
    "CC-BY-4.0": ("Creative Commons Attribution 4.0",
                  "https://creativecommons.org/licenses/by/4.0/"),
    "CC0-1.0": ("Creative Commons Zero v1.0 Universal",
                "https://creativecommons.org/publicdomain/zero/1.0/"),
    "ODbL-1.0": ("Open Data Commons Open Database License v1.0",
                 "https://opendatacommons.org/licenses/odbl/1-0/"),
}


def to_csv(dataset: Dataset) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    names = [f.name for f in dataset.fields]
    writer.writerow(names)
    for row in dataset.rows:
        writer.writerow(["" if row.get(n) is None else row.get(n) for n in names])
    return out.getvalue()


def to_json(dataset: Dataset, snap: Snapshot) -> str:
    payload = {"name": dataset.name, "title": str(dataset.title),
               "updated": snap.computed_at.isoformat(timespec="seconds"),
               "period": list(dataset.period) if dataset.period else None,
               "license": license_info(snap)["name"],
               "min_group_size": snap.min_group,
               "fields": [f.name for f in dataset.fields], "rows": dataset.rows}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def license_info(snap: Snapshot) -> dict[str, str]:
    code = snap.pages["certification"].get("license") or "CC-BY-4.0"
    title, path = LICENSES.get(code, (code, ""))
    info = {"name": code, "title": title}
    if path:
        info["path"] = path
    return info


def _schema(dataset: Dataset) -> dict[str, Any]:
    fields = []
    for f in dataset.fields:
        entry: dict[str, Any] = {"name": f.name, "type": f.type, "title": str(f.title)}
        if f.description:
            entry["description"] = str(f.description)
        if f.type == "integer":
            entry["constraints"] = {"minimum": 0}
        fields.append(entry)
    return {"fields": fields, "primaryKey": dataset.primary_key, "missingValues": [""]}


def datapackage(snap: Snapshot, programme: str, agency: str) -> dict[str, Any]:
    from flask_babel import gettext as _

    updated = snap.computed_at.isoformat(timespec="seconds")
    resources = []
    for ds in snap.datasets.values():
        resource: dict[str, Any] = {
            "name": ds.name, "path": f"{ds.name}.csv", "title": str(ds.title),
            "description": str(ds.description), "format": "csv", "mediatype": "text/csv",
            "encoding": "utf-8", "dialect": {"delimiter": ",", "header": True},
            "schema": _schema(ds), "sources": [{"title": str(ds.source)}],
        }
        if ds.period:
            resource["temporal"] = {"start": ds.period[0], "end": ds.period[1]}
        resources.append(resource)
    return {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": "transparencia-bono",
        "id": url_for("portal.datapackage", _external=True),
        "title": _("Datos abiertos del %(p)s", p=programme),
        "description": _(
            "Ejecución del bono, satisfacción de los hogares, quejas y no conformidades, "
            "en agregados. Las cifras de menos de %(k)s hogares, personas o quejas se "
            "suprimen (celda vacía), también cuando podrían deducirse de un total.",
            k=snap.min_group),
        "homepage": url_for("portal.catalogue", _external=True),
        "version": to_local(snap.computed_at).strftime("%Y.%m.%d.%H%M"),
        "created": updated,
        "licenses": [license_info(snap)],
        "contributors": [{"title": agency, "roles": ["publisher"]}],
        "keywords": ["transferencias monetarias", "Honduras", "transparencia", "ISO 9001"],
        "resources": resources,
    }
