"""Forms of the management-review domain. Field rules here; business rules (frozen
inputs, required inputs, signatures) in the services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Optional

from qms.core.forms import VersionedForm
from qms.core.text import TextLength
from qms.reviews.enums import DecisionKind, ReviewActionStatus
from qms.reviews.sections import SECTION_BY_ID

LONG = [Optional(), TextLength()]


def _entered(section_id: str):
    s = SECTION_BY_ID[section_id]
    return TextAreaField(s.title, validators=LONG,
                         description=s.prompt, render_kw={"rows": 4})


class ReviewForm(VersionedForm):
    title = StringField(_l("Título"), validators=[DataRequired(), TextLength(200)],
                        default=_l("Revisión por la dirección"))
    planned_on = DateField(_l("Fecha prevista de la reunión"), validators=[InputRequired()])
    location = StringField(_l("Lugar"), validators=[Optional(), TextLength(200)])
    period_start = DateField(_l("Periodo revisado: desde"), validators=[InputRequired()])
    period_end = DateField(_l("Periodo revisado: hasta"), validators=[InputRequired()])
    attendee_ids = SelectMultipleField(
        _l("Asistentes (usuarios del SGC)"), coerce=int, validators=[Optional()],
        description=_l("La alta dirección y los dueños de proceso que participan."))
    external_attendees = TextAreaField(
        _l("Asistentes externos"), validators=[Optional(), TextLength(5000)],
        description=_l("Uno por línea: nombre — cargo, entidad."), render_kw={"rows": 2})
    issues_changes = _entered("b")
    satisfaction_notes = _entered("c1")
    providers_notes = _entered("c7")
    resources_adequacy = _entered("d")
    risks_actions = _entered("e")
    improvement_notes = _entered("f")


class HoldForm(VersionedForm):
    held_on = DateField(_l("Fecha de la reunión"), validators=[InputRequired()])


class CancelForm(VersionedForm):
    reason = TextAreaField(_l("Motivo de la anulación"),
                           validators=[DataRequired(), TextLength(2000)])


class ConclusionsForm(VersionedForm):
    conclusions = TextAreaField(
        _l("Conclusiones sobre la conveniencia, adecuación y eficacia del SGC"),
        validators=[Optional(), TextLength()], render_kw={"rows": 4})


class DecisionForm(FlaskForm):
    kind = SelectField(_l("Tipo de decisión (9.3.3)"), choices=DecisionKind.choices,
                       validators=[DataRequired()])
    text = TextAreaField(_l("Decisión"), validators=[DataRequired(), TextLength(5000)],
                         render_kw={"rows": 2})
    action_description = TextAreaField(
        _l("Acción que se encarga"), validators=[Optional(), TextLength(5000)],
        render_kw={"rows": 2},
        description=_l("Con responsable y fecha límite se sigue como acción; aparece en la "
                       "próxima revisión."))
    action_owner_id = SelectField(_l("Responsable de la acción"), coerce=int,
                                  validators=[Optional()])
    action_due_on = DateField(_l("Fecha límite"), validators=[Optional()])


class ActionForm(VersionedForm):
    status = SelectField(_l("Estado de la acción"), choices=ReviewActionStatus.choices,
                         validators=[DataRequired()])
    evidence = TextAreaField(_l("Evidencia"), validators=[Optional(), TextLength(5000)],
                             render_kw={"rows": 2})
    evidence_file = FileField(_l("Archivo de evidencia"))


class ApproveForm(VersionedForm):
    password = PasswordField(
        _l("Su contraseña (firma electrónica)"), validators=[DataRequired(), TextLength(200)],
        description=_l("Al firmar declara: «Apruebo esta acta en nombre de la alta dirección: "
                       "refleja los datos de entrada revisados, las conclusiones y las "
                       "decisiones de la revisión.»"))
