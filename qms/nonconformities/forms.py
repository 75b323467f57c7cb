"""Forms of the NC register. Field rules here; business rules in services."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Optional

from qms.core import geo
from qms.core.forms import VersionedForm, choices
from qms.core.text import TextLength
from qms.nonconformities.enums import (
    IshikawaCategory,
    NCOrigin,
    NCSeverity,
    NCSource,
    VerificationResult,
)

ORIGIN_TYPES = [
    SelectChoice("", _l("— Sin origen vinculado —")),
    *(SelectChoice(origin.value, origin.lazy_label) for origin in NCOrigin),
]


class NCForm(VersionedForm):
    title = StringField(_l("Título"), validators=[DataRequired(), TextLength(200)],
                        description=_l("Qué no se cumplió, en una frase."))
    description = TextAreaField(
        _l("Descripción"), validators=[DataRequired(), TextLength()],
        description=_l("Hechos y evidencia: qué requisito no se cumplió, dónde, a quién afectó."))
    source = SelectField(_l("Origen"), choices=NCSource.choices, validators=[DataRequired()])
    process_id = SelectField(_l("Proceso"), coerce=int, validators=[DataRequired()])
    severity = SelectField(_l("Severidad"), choices=NCSeverity.choices,
                           validators=[DataRequired()])
    severity_reason = TextAreaField(
        _l("Motivo del cambio de severidad"), validators=[Optional(), TextLength(500)],
        description=_l("Obligatorio si cambia la severidad: queda en el historial."))
    detected_on = DateField(_l("Fecha de detección"), validators=[InputRequired()])
    detected_by_id = SelectField(_l("Detectada por"), coerce=int, validators=[DataRequired()])
    department_code = SelectField(_l("Departamento"), validators=[Optional()])
    municipality_code = SelectField(
        _l("Municipio"), validators=[Optional()],
        description=_l("Debe pertenecer al departamento elegido."))
    origin_type = SelectField(_l("Vinculada a"), choices=ORIGIN_TYPES, validators=[Optional()])
    origin_id = StringField(_l("Identificador del registro de origen"),
                            validators=[Optional(), TextLength(60)])
    origin_label = StringField(_l("Descripción del origen"),
                               validators=[Optional(), TextLength(200)],
                               description=_l("P. ej. «Auditoría interna 2026-02, hallazgo 3»."))

    def set_place_choices(self) -> None:
        self.department_code.choices = choices([("", "—"), *geo.department_choices()])
        self.municipality_code.choices = choices([("", "—"), *geo.municipality_choices()])


class CorrectionForm(VersionedForm):
    correction = TextAreaField(
        _l("Corrección o contención"), validators=[DataRequired(), TextLength(5000)],
        description=_l("Lo que se hizo de inmediato para controlar y corregir la no conformidad "
                       "y hacer frente a sus consecuencias [10.2.1 a)]."))
    correction_on = DateField(_l("Fecha de la corrección"), validators=[Optional()])


WHY_COUNT = 5


class AnalysisForm(VersionedForm):
    root_cause = TextAreaField(
        _l("Causa raíz"), validators=[Optional(), TextLength(5000)],
        description=_l("Obligatoria para pasar al plan de acción."))

    def whys(self):
        return [getattr(self, f"why_{i}") for i in range(1, WHY_COUNT + 1)]

    def ishikawa_fields(self):
        return [getattr(self, f"ishikawa_{c.value}") for c in IshikawaCategory]

    def fill(self, analysis) -> None:
        for field, text in zip(self.whys(), analysis.whys if analysis else [], strict=False):
            field.data = text
        for category in IshikawaCategory:
            causes = (analysis.ishikawa if analysis else {}).get(category.value, [])
            getattr(self, f"ishikawa_{category.value}").data = "\n".join(causes)
        self.root_cause.data = analysis.root_cause if analysis else ""


for _i in range(1, WHY_COUNT + 1):
    setattr(AnalysisForm, f"why_{_i}", StringField(
        _l("¿Por qué? (%(n)s)", n=_i), validators=[Optional(), TextLength(500)]))
for _category in IshikawaCategory:
    setattr(AnalysisForm, f"ishikawa_{_category.value}", TextAreaField(
        _category.lazy_label, validators=[Optional(), TextLength(3000)],
        description=_l("Una causa por línea.")))


class TransitionForm(VersionedForm):
    target = HiddenField(validators=[DataRequired()])


class ActionForm(VersionedForm):
    description = TextAreaField(_l("Acción correctiva"),
                                validators=[DataRequired(), TextLength(5000)])
    owner_id = SelectField(_l("Responsable"), coerce=int, validators=[DataRequired()])
    due_on = DateField(_l("Fecha límite"), validators=[InputRequired()])


class ActionUpdateForm(VersionedForm):
    evidence = TextAreaField(_l("Evidencia"), validators=[Optional(), TextLength(5000)],
                             description=_l("Qué se hizo y dónde se puede comprobar."))
    file = FileField(_l("Archivo de evidencia (opcional)"))
    on_behalf_reason = TextAreaField(
        _l("Motivo de registrarla en nombre del responsable"),
        validators=[Optional(), TextLength(1000)])
    status = HiddenField()
    #: The action this form was posted for (set by the view), so a refused step shows
    #: what was typed in that action's row.
    action_id: int | None = None


class ReplanForm(VersionedForm):
    due_on = DateField(_l("Nueva fecha límite"), validators=[Optional()])
    owner_id = SelectField(_l("Responsable"), coerce=int, validators=[Optional()])
    reason = TextAreaField(_l("Motivo de la replanificación"),
                           validators=[DataRequired(), TextLength(1000)],
                           description=_l("Queda en el historial de la acción."))
    action_id: int | None = None


class VerificationPlanForm(VersionedForm):
    planned_on = DateField(_l("Fecha prevista de verificación"), validators=[InputRequired()])
    verifier_id = SelectField(_l("Verificador"), coerce=int, validators=[DataRequired()],
                              description=_l("No puede ser el dueño del proceso."))


class VerificationResultForm(VersionedForm):
    result = RadioField(_l("Resultado"), choices=VerificationResult.choices,
                        validators=[DataRequired()])
    evidence = TextAreaField(_l("Evidencia de la verificación"),
                             validators=[DataRequired(), TextLength(5000)],
                             description=_l("Datos que muestran si la no conformidad se repitió."))
    file = FileField(_l("Archivo de evidencia (opcional)"))
    confirm_early = BooleanField(_l("Confirmo que registro el resultado antes de la fecha "
                                    "prevista"))
    early_reason = TextAreaField(_l("Motivo de registrarlo antes de la fecha prevista"),
                                 validators=[TextLength(1000)])


class ReassignVerifierForm(VersionedForm):
    verifier_id = SelectField(_l("Nuevo verificador"), coerce=int, validators=[DataRequired()],
                              description=_l("No puede ser el dueño del proceso."))
    reason = TextAreaField(_l("Motivo de la reasignación"),
                           validators=[DataRequired(), TextLength(1000)])


class CloseForm(VersionedForm):
    password = PasswordField(_l("Su contraseña (firma electrónica)"),
                             validators=[DataRequired(), TextLength(200)])


class CancelForm(VersionedForm):
    reason = TextAreaField(_l("Motivo de la anulación"),
                           validators=[DataRequired(), TextLength(2000)])


class AttachmentForm(FlaskForm):
    file = FileField(_l("Archivo"), validators=[FileRequired()])
