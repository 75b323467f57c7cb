"""The NC register's exports: CSV and XLSX of the filtered register, streamed in the
request or built in the background (:mod:`qms.core.export_jobs`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import BinaryIO, NamedTuple

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import aliased
from werkzeug.datastructures import MultiDict

from qms.auth.models import User
from qms.core import export_jobs, formats, geo
from qms.core.spreadsheets import Column, Sheet, csv_chunks, write_csv, write_xlsx, xlsx_file
from qms.core.time import local_zone, today_local
from qms.extensions import db
from qms.nonconformities.enums import (
    OPEN_STATUSES,
    ActionStatus,
    NCSeverity,
    NCSource,
    NCStatus,
    VerificationResult,
)
from qms.nonconformities.models import (
    CorrectiveAction,
    EffectivenessVerification,
    NCAnalysis,
    Nonconformity,
)
from qms.nonconformities.register import Filters, columns_query, count
from qms.processes.models import Process

#: NCs read per batch by the exports: the query count grows by a fixed step per batch
#: (the NCs' next rows, and their actions, verifications and analyses), memory stays
#: flat whatever the register's size.
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
    """How many NCs an export of ``filters`` holds: the register's own count (the
    maintained figures, or one count over the filter's index)."""
    return count(filters)


# ------------------------------------------------------------------ reading
#
# The export reads plain column tuples, never ORM objects: loading 20,000 NCs with their
# actions, verifications, analyses and users as objects (identity map, relationship
# collections, attribute instrumentation) was most of its time. The NCs come from one
# select in the register's filters and order, fetched EXPORT_BATCH rows at a time; each
# batch's actions, verifications and analyses from one select apiece (``nc_id IN``,
# the batch's ids). Labels are resolved once per export, not once per cell.

_Detector = aliased(User)
_Owner = aliased(User)
_Verifier = aliased(User)
_Recorder = aliased(User)

_NC_COLUMNS = (
    Nonconformity.id, Nonconformity.code, Nonconformity.title, Nonconformity.status,
    Nonconformity.analysis_round, Nonconformity.source, Nonconformity.severity,
    Process.code, Process.name, Nonconformity.department_code,
    Nonconformity.municipality_code, Nonconformity.detected_on, _Detector.full_name,
    Nonconformity.closed_at, Nonconformity.description,
)


class _NC(NamedTuple):
    id: int
    code: str
    title: str
    status: NCStatus
    analysis_round: int
    source: NCSource
    severity: NCSeverity
    process_code: str
    process_name: str
    department_code: str | None
    municipality_code: str | None
    detected_on: date
    detected_by: str
    closed_at: datetime | None
    description: str


class _Action(NamedTuple):
    nc_id: int
    number: int
    round: int
    description: str
    owner: str
    due_on: date
    status: ActionStatus
    completed_at: datetime | None
    evidence: str | None


class _Verification(NamedTuple):
    nc_id: int
    round: int
    planned_on: date
    verifier: str
    result: VerificationResult | None
    verified_at: datetime | None
    recorded_by: str | None
    evidence: str | None


class _Batch(NamedTuple):
    """One batch of NCs with their related rows, grouped by NC id in the order the NC's
    page shows them (actions by number, verifications as recorded, analyses by round)."""

    ncs: list[_NC]
    actions: dict[int, list[_Action]]
    verifications: dict[int, list[_Verification]]
    root_causes: dict[int, list[tuple[int, str | None]]]


def _grouped(rows) -> dict[int, list]:
    grouped: dict[int, list] = {}
    for row in rows:
        grouped.setdefault(row[0], []).append(row)
    return grouped


def _batches(filters: Filters) -> Iterator[_Batch]:
    """The filtered NCs in the register's order, ``EXPORT_BATCH`` at a time, each batch
    with its related rows: 1 + 3 queries per batch, none per NC."""
    # The register's own filters and order, reading columns instead of entities.
    query = columns_query(filters, *_NC_COLUMNS).join(
        _Detector, _Detector.id == Nonconformity.detected_by_id)
    result = db.session.execute(query.execution_options(yield_per=EXPORT_BATCH))
    for part in result.partitions():
        ncs = [_NC(*row) for row in part]
        ids = [nc.id for nc in ncs]
        actions = db.session.execute(
            select(CorrectiveAction.nc_id, CorrectiveAction.number, CorrectiveAction.round,
                   CorrectiveAction.description, _Owner.full_name, CorrectiveAction.due_on,
                   CorrectiveAction.status, CorrectiveAction.completed_at,
                   CorrectiveAction.evidence)
            .join(_Owner, _Owner.id == CorrectiveAction.owner_id)
            .where(CorrectiveAction.nc_id.in_(ids))
            .order_by(CorrectiveAction.nc_id, CorrectiveAction.number))
        verifications = db.session.execute(
            select(EffectivenessVerification.nc_id, EffectivenessVerification.round,
                   EffectivenessVerification.planned_on, _Verifier.full_name,
                   EffectivenessVerification.result, EffectivenessVerification.verified_at,
                   _Recorder.full_name, EffectivenessVerification.evidence)
            .join(_Verifier, _Verifier.id == EffectivenessVerification.verifier_id)
            .outerjoin(_Recorder, _Recorder.id == EffectivenessVerification.recorded_by_id)
            .where(EffectivenessVerification.nc_id.in_(ids))
            .order_by(EffectivenessVerification.nc_id, EffectivenessVerification.id))
        analyses = db.session.execute(
            select(NCAnalysis.nc_id, NCAnalysis.round, NCAnalysis.root_cause)
            .where(NCAnalysis.nc_id.in_(ids)).order_by(NCAnalysis.nc_id, NCAnalysis.round))
        yield _Batch(ncs, _grouped(_Action(*r) for r in actions),
                     _grouped(_Verification(*r) for r in verifications),
                     {nc_id: [(r[1], r[2]) for r in rows]
                      for nc_id, rows in _grouped(analyses).items()})


class _Labels:
    """Every label an export writes, resolved once in the reader's language."""

    def __init__(self) -> None:
        def of(enum_cls):
            return {member: member.label for member in enum_cls}

        self.status, self.source, self.severity = of(NCStatus), of(NCSource), of(NCSeverity)
        self.action, self.result = of(ActionStatus), of(VerificationResult)
        self.yes, self.no, self.overdue = _("Sí"), _("No"), _("vencida")
        self.action_kind = _("Acción correctiva")
        self.verification_kind = _("Verificación de la eficacia")
        self.pending = _("Pendiente")
        self.today = today_local()
        self.zone = local_zone()
        self._places: dict[str | None, str] = {}

    def place(self, code: str | None, lookup) -> str:
        """A department's or municipality's name (each looked up once per export)."""
        key = (lookup.__name__, code)
        if key not in self._places:
            found = lookup(code)
            self._places[key] = found.name if found else ""
        return self._places[key]


def _local_day(value: datetime | None, zone) -> date | None:
    return value.astimezone(zone).date() if value is not None else None


def export_rows(filters: Filters) -> Iterator[list]:
    """The register's rows for an export, one per NC (a fixed number of queries per
    batch, none per NC). The actions and the latest verification are summarised here;
    the XLSX lists them one by one on a second sheet (:func:`action_rows`)."""
    labels = _Labels()
    done = ActionStatus.DONE
    open_statuses = OPEN_STATUSES
    for batch in _batches(filters):
        for nc in batch.ncs:
            actions = batch.actions.get(nc.id, ())
            verifications = batch.verifications.get(nc.id, ())
            analyses = batch.root_causes.get(nc.id, ())
            open_due = [a.due_on for a in actions if a.status != done]
            # the current round's analysis, else the latest (as the NC page shows)
            root_cause = next((cause for round_, cause in analyses
                               if round_ == nc.analysis_round),
                              analyses[-1][1] if analyses else "")
            results = [v.result for v in verifications if v.result is not None]
            latest = verifications[-1] if verifications else None
            overdue = nc.status in open_statuses and any(d < labels.today for d in open_due)
            yield [
                nc.code, nc.title, labels.status[nc.status],
                labels.result[results[-1]] if results else "",
                labels.source[nc.source], labels.severity[nc.severity],
                f"{nc.process_code} {nc.process_name}",
                labels.place(nc.department_code, geo.department),
                labels.place(nc.municipality_code, geo.municipality),
                nc.detected_on, nc.detected_by, len(actions), len(open_due),
                labels.yes if overdue else labels.no,
                min(open_due, default=None), ", ".join(sorted({a.owner for a in actions})),
                latest.planned_on if latest else None, latest.verifier if latest else "",
                _local_day(latest.verified_at, labels.zone) if latest else None,
                root_cause or "", _local_day(nc.closed_at, labels.zone), nc.description,
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
    labels = _Labels()
    done = ActionStatus.DONE
    for batch in _batches(filters):
        for nc in batch.ncs:
            for a in batch.actions.get(nc.id, ()):
                status = labels.action[a.status]
                if a.status != done and a.due_on < labels.today:
                    status = f"{status} · {labels.overdue}"
                yield [nc.code, labels.action_kind, a.number, a.round, a.description, a.owner,
                       a.due_on, status, a.completed_at, "", a.evidence or ""]
            for v in batch.verifications.get(nc.id, ()):
                result = labels.result[v.result] if v.result else labels.pending
                yield [nc.code, labels.verification_kind, "", v.round, result, v.verifier,
                       v.planned_on, result, v.verified_at, v.recorded_by or "",
                       v.evidence or ""]


def export_csv(filters: Filters) -> Iterator[str]:
    """The CSV, produced chunk by chunk as the NCs are read (streamed by the view): one
    row per NC, actions and verification summarised in their own columns."""
    return csv_chunks(export_columns(), export_rows(filters))


def _xlsx_title() -> str:
    return _("Registro de no conformidades · %(d)s", d=formats.local_date(today_local()))


def export_xlsx(filters: Filters) -> BinaryIO:
    """The XLSX in a temporary file (see :func:`qms.core.spreadsheets.xlsx_file`)."""
    return xlsx_file(_xlsx_title(), _("No conformidades"), export_columns(),
                      export_rows(filters), _actions_sheet(filters))


def _actions_sheet(filters: Filters) -> Sheet:
    return Sheet(_("Acciones y verificaciones"), action_columns(), action_rows(filters))


def filters_params(filters: Filters, args: dict) -> dict:
    """What a background export needs to rebuild ``filters``: the query string, the
    user "assigned to me" stands for, and the processes the requester may read."""
    return {"args": args, "assigned_to": filters.assigned_to,
            "processes": None if filters.processes is None else sorted(filters.processes)}


@export_jobs.exporter("nc_register")
def build_export(params: dict, out: BinaryIO, progress) -> None:
    """The register export as a background job (see :mod:`qms.core.export_jobs`)."""
    filters = Filters.from_args(MultiDict(params["args"]))
    if filters.mine:
        filters.assigned_to = params.get("assigned_to")
    if params.get("processes") is not None:
        filters.processes = frozenset(params["processes"])
    rows = export_jobs.counted(export_rows(filters), progress)
    if params["format"] == "xlsx":
        write_xlsx(out, _xlsx_title(), _("No conformidades"), export_columns(), rows,
                   _actions_sheet(filters))
    else:
        write_csv(out, export_columns(), rows)
