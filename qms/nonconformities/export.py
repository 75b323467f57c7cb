"""The NC register's exports: CSV and XLSX of the filtered register, streamed in the
request or built in the background (:mod:`qms.core.export_jobs`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.datastructures import MultiDict

from qms.core import export_jobs, formats, geo
from qms.core.spreadsheets import Column, Sheet, csv_chunks, write_csv, write_xlsx, xlsx_bytes
from qms.core.time import to_local, today_local
from qms.extensions import db
from qms.nonconformities.models import Nonconformity
from qms.nonconformities.register import Filters, register_query

#: NCs read per batch by the exports: the query count grows by a fixed step per batch
#: (the NCs and their related rows), memory stays flat whatever the register's size.
EXPORT_BATCH = 500


def export_columns() -> list[Column]:
    return [Column(_("Código"), 14), Column(_("Título"), 45), Column(_("Estado"), 16),
            Column(_("Último resultado de eficacia"), 18), Column(_("Origen"), 18),
            Column(_("Severidad"), 12), Column(_("Proceso"), 30), Column(_("Departamento"), 16),
            Column(_("Municipio"), 18), Column(_("Detectada el"), 12),
            Column(_("Detectada por"), 22), Column(_("Acciones"), 9),
            Column(_("Acciones abiertas"), 9), Column(_("Vencida"), 9),
            Column(_("Próximo vencimiento"), 13), Column(_("Responsables de las acciones"), 30),
            Column(_("Verificación planificada el"), 13), Column(_("Verificador"), 22),
            Column(_("Verificada el"), 13), Column(_("Causa raíz"), 45),
            Column(_("Cerrada el"), 12), Column(_("Descripción"), 60)]


def export_count(filters: Filters) -> int:
    """How many NCs an export of ``filters`` holds (one count over the indexes)."""
    return db.session.scalar(select(func.count()).select_from(
        register_query(filters).order_by(None).subquery()))


def _ncs(filters: Filters):
    """The filtered NCs with everything an export row needs, read in batches of
    ``EXPORT_BATCH`` with their related rows loaded per batch: a fixed number of queries
    per batch, and memory flat whatever the register's size (each batch is released)."""
    query = register_query(filters).options(
        joinedload(Nonconformity.detected_by), selectinload(Nonconformity.verifications),
        selectinload(Nonconformity.analyses),
    ).execution_options(yield_per=EXPORT_BATCH)  # register_query loads actions and process
    return db.session.scalars(query)


def export_rows(filters: Filters) -> Iterator[list]:
    """The register's rows for an export, one per NC (no query per NC). The actions and
    the latest verification are summarised here; the XLSX lists them one by one on a
    second sheet (:func:`action_rows`)."""
    for nc in _ncs(filters):
        analysis = nc.current_analysis or (nc.analyses[-1] if nc.analyses else None)
        dep = geo.department(nc.department_code)
        mun = geo.municipality(nc.municipality_code)
        open_actions = nc.open_actions
        owners = sorted({a.owner.full_name for a in nc.actions})
        verification = nc.verifications[-1] if nc.verifications else None
        yield [
            nc.code, nc.title, nc.status.label, nc.last_result.label if nc.last_result else "",
            nc.source.label, nc.severity.label, f"{nc.process.code} {nc.process.name}",
            dep.name if dep else "", mun.name if mun else "", nc.detected_on,
            nc.detected_by.full_name, len(nc.actions), len(open_actions),
            _("Sí") if nc.overdue else _("No"),
            min((a.due_on for a in open_actions), default=None), ", ".join(owners),
            verification.planned_on if verification else None,
            verification.verifier.full_name if verification else "",
            to_local(verification.verified_at).date()
            if verification and verification.verified_at else None,
            (analysis.root_cause if analysis else "") or "",
            to_local(nc.closed_at).date() if nc.closed_at else None, nc.description,
        ]


def action_columns() -> list[Column]:
    return [Column(_("No conformidad"), 14), Column(_("Registro"), 14),
            Column(_("Número"), 8), Column(_("Ronda"), 7), Column(_("Descripción o resultado"), 50),
            Column(_("Responsable o verificador"), 24), Column(_("Vence o planificada el"), 13),
            Column(_("Estado"), 16), Column(_("Completada o verificada el"), 16),
            Column(_("Registrada por"), 22), Column(_("Evidencia"), 50)]


def action_rows(filters: Filters) -> Iterator[list]:
    """One row per corrective action and per effectiveness verification of the filtered
    NCs, in the register's order: who owns what, by when, and what was verified."""
    for nc in _ncs(filters):
        for action in nc.actions:
            yield [nc.code, _("Acción correctiva"), action.number, action.round,
                   action.description, action.owner.full_name, action.due_on,
                   action.status.label + (f" · {_('vencida')}" if action.overdue else ""),
                   action.completed_at, "", action.evidence or ""]
        for v in nc.verifications:
            yield [nc.code, _("Verificación de la eficacia"), "", v.round,
                   v.result.label if v.result else _("Pendiente"), v.verifier.full_name,
                   v.planned_on, v.result.label if v.result else _("Pendiente"),
                   v.verified_at, v.recorded_by.full_name if v.recorded_by else "",
                   v.evidence or ""]


def export_csv(filters: Filters) -> Iterator[str]:
    """The CSV, produced chunk by chunk as the NCs are read (streamed by the view): one
    row per NC, actions and verification summarised in their own columns."""
    return csv_chunks(export_columns(), export_rows(filters))


def _xlsx_title() -> str:
    return _("Registro de no conformidades · %(d)s", d=formats.local_date(today_local()))


def export_xlsx(filters: Filters) -> bytes:
    return xlsx_bytes(_xlsx_title(), _("No conformidades"), export_columns(),
                      export_rows(filters), _actions_sheet(filters))


def _actions_sheet(filters: Filters) -> Sheet:
    return Sheet(_("Acciones y verificaciones"), action_columns(), action_rows(filters))


def filters_params(filters: Filters, args: dict) -> dict:
    """What a background export needs to rebuild ``filters``: the query string, and the
    user "assigned to me" stands for."""
    return {"args": args, "assigned_to": filters.assigned_to}


@export_jobs.exporter("nc_register")
def build_export(params: dict, out: BinaryIO, progress) -> None:
    """The register export as a background job (see :mod:`qms.core.export_jobs`)."""
    filters = Filters.from_args(MultiDict(params["args"]))
    if filters.mine:
        filters.assigned_to = params.get("assigned_to")
    rows = export_jobs.counted(export_rows(filters), progress)
    if params["format"] == "xlsx":
        write_xlsx(out, _xlsx_title(), _("No conformidades"), export_columns(), rows,
                   _actions_sheet(filters))
    else:
        write_csv(out, export_columns(), rows)
