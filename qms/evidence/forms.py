"""Forms of the evidence packs: a pack's scope, a share, widening and revoking it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Optional

from qms.core.forms import VersionedForm, choices
from qms.core.text import TextLength
from qms.evidence.sections import CLAUSES


def clause_choices():
    from qms.core.checklists import clause_titles

    titles = clause_titles()
    return choices((c, f"{c} {titles.get(c, '')}") for c in CLAUSES)


def process_code_choices():
    from qms.processes.facts import active_processes

    return choices((p.code, f"{p.code} · {p.name}") for p in active_processes())


class PackForm(FlaskForm):
    start = DateField(_l("Desde"), validators=[InputRequired()])
    end = DateField(_l("Hasta"), validators=[InputRequired()])
    process_codes = SelectMultipleField(_l("Procesos (ninguno = todos)"), validate_choice=True)
    clauses = SelectMultipleField(_l("Cláusulas (ninguna = 4 a 10)"), validate_choice=True)
    attach_files = BooleanField(_l("Incrustar los archivos originales en el PDF (PDF/A-3)"))
    as_zip = BooleanField(_l("Entregar como ZIP: PDF, archivos y manifest.json"))


class ShareForm(FlaskForm):
    certifier_id = SelectField(_l("Auditor externo"), coerce=int,
                               validators=[DataRequired(_l("Elija el auditor externo."))])
    starts_on = DateField(_l("Inicio de la ventana de auditoría"), validators=[InputRequired()])
    ends_on = DateField(_l("Fin de la ventana de auditoría"), validators=[InputRequired()])
    process_codes = SelectMultipleField(_l("Procesos que puede consultar"), validate_choice=True)


class WidenForm(VersionedForm):
    ends_on = DateField(_l("Nuevo fin de la ventana"), validators=[Optional()])
    add_process_codes = SelectMultipleField(_l("Añadir procesos"), validate_choice=True)


class RevokeForm(VersionedForm):
    reason = TextAreaField(_l("Motivo"), validators=[DataRequired(_l("Escriba el motivo.")),
                                                     TextLength(500)])
