"""Forms of the audit domain. Field rules here; business rules (impartiality, dates,
locked audits) in the services, whose refusals the views show on these forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Optional

from qms.audits.enums import (
    AuditType,
    FindingType,
    ItemResult,
    MemberRole,
)
from qms.core.forms import VersionedForm
from qms.core.text import TextLength


class PlanForm(VersionedForm):
    audit_type = SelectField(_l("Tipo de auditoría"), choices=AuditType.choices,
                             validators=[DataRequired()])
    title = StringField(_l("Título"), validators=[DataRequired(), TextLength(200)])
    objectives = TextAreaField(_l("Objetivos"), validators=[TextLength(5000)])
    scope = TextAreaField(
        _l("Alcance"), validators=[DataRequired(), TextLength(5000)],
        description=_l("Unidades, oficinas, procesos y período que cubre la auditoría."))
    process_ids = SelectMultipleField(_l("Procesos auditados"), coerce=int,
                                      validators=[DataRequired()])
    criteria_clauses = SelectMultipleField(_l("Criterios: cláusulas de ISO 9001:2015"),
                                           validators=[Optional()])
    document_ids = SelectMultipleField(
        _l("Criterios: procedimientos"), coerce=int, validators=[Optional()],
        description=_l("Se fija la revisión vigente en la fecha de inicio planificada."))
    template_id = SelectField(_l("Lista de verificación"), coerce=int, validators=[Optional()])
    lead_id = SelectField(_l("Auditor líder"), coerce=int, validators=[Optional()],
                          description=_l("Nadie audita un proceso del que es dueño."))
    certification_body = StringField(_l("Organismo de certificación (auditorías externas)"),
                                     validators=[Optional(), TextLength(200)])
    location = StringField(_l("Lugar"), validators=[Optional(), TextLength(200)])
    planned_start = DateField(_l("Inicio planificado"), validators=[InputRequired()])
    planned_end = DateField(_l("Fin planificado"), validators=[InputRequired()])


class MemberForm(FlaskForm):
    user_id = SelectField(_l("Persona"), coerce=int, validators=[DataRequired()])
    role = SelectField(_l("Papel"), validators=[DataRequired()], choices=[
        SelectChoice(r.value, r.label) for r in MemberRole if r != MemberRole.LEAD])


class LeadForm(VersionedForm):
    lead_id = SelectField(_l("Nuevo auditor líder"), coerce=int, validators=[DataRequired()])


class TemplateForm(VersionedForm):
    template_id = SelectField(_l("Plantilla"), coerce=int, validators=[DataRequired()])


class StartForm(VersionedForm):
    actual_start = DateField(_l("Inicio real"), validators=[Optional()])


class AnswerForm(VersionedForm):
    result = RadioField(_l("Resultado"), validators=[Optional()], choices=[
        SelectChoice(r.value, r.label) for r in ItemResult])
    notes = TextAreaField(_l("Notas y evidencia observada"), validators=[TextLength(5000)])


class EvidenceForm(FlaskForm):
    item_id = SelectField(_l("Pregunta"), coerce=int, validators=[DataRequired()])
    file = FileField(_l("Archivo de evidencia"), validators=[FileRequired()])
    represents_on = DateField(_l("Fecha que representa"), validators=[InputRequired()],
                              description=_l("El día del registro, la reunión o la foto, no el "
                                             "de la carga."))
    description = StringField(_l("Descripción"), validators=[Optional(), TextLength(300)])


class FindingForm(FlaskForm):
    finding_type = SelectField(_l("Tipo de hallazgo"), choices=FindingType.choices,
                               validators=[DataRequired()])
    clause = SelectField(_l("Cláusula"), validators=[DataRequired()])
    process_id = SelectField(_l("Proceso"), coerce=int, validators=[DataRequired()])
    item_id = SelectField(_l("Pregunta de la lista (opcional)"), coerce=int,
                          validators=[Optional()])
    description = TextAreaField(_l("Descripción"), validators=[DataRequired(), TextLength(5000)],
                                description=_l("Qué requisito no se cumple y dónde."))
    evidence = TextAreaField(_l("Evidencia objetiva"), validators=[TextLength(5000)],
                             description=_l("Obligatoria para una no conformidad."))
    follows_up_id = SelectField(_l("Verifica el hallazgo (auditoría de seguimiento)"),
                                coerce=int, validators=[Optional()])
    follow_up_effective = SelectField(_l("¿Acciones eficaces?"), validators=[Optional()],
                                      choices=[SelectChoice("", "—"),
                                               SelectChoice("yes", _l("Sí, eficaces")),
                                               SelectChoice("no", _l("No eficaces"))])


class ResponseForm(VersionedForm):
    response = TextAreaField(_l("Respuesta del auditado"),
                             validators=[DataRequired(), TextLength(5000)])


class SignForm(VersionedForm):
    conclusion = TextAreaField(
        _l("Conclusiones"), validators=[DataRequired(), TextLength()],
        description=_l("Grado de cumplimiento de los criterios y eficacia del SGC en el alcance."))
    actual_end = DateField(_l("Fin real"), validators=[Optional()])
    password = PasswordField(_l("Su contraseña (firma electrónica)"),
                             validators=[DataRequired(), TextLength(200)])


class CancelForm(VersionedForm):
    reason = TextAreaField(_l("Motivo de la anulación"),
                           validators=[DataRequired(), TextLength(2000)])


class CorrectionForm(FlaskForm):
    text = TextAreaField(_l("Corrección"), validators=[DataRequired(), TextLength(500)],
                         description=_l("Queda en la pista de auditoría; el informe firmado no "
                                        "cambia."))


class SubmissionForm(FlaskForm):
    file = FileField(_l("Exportación de KoboToolbox u ODK (CSV o XLSX)"),
                     validators=[FileRequired()], render_kw={"data-types": "csv,xlsx"})


class ProgrammeForm(VersionedForm):
    objectives = TextAreaField(_l("Objetivos del programa"), validators=[TextLength(5000)])
