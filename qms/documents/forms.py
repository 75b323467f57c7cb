"""Forms of the document register. Status, author and approver are never form fields."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from qms.auth.models import Role
from qms.core.forms import VersionedForm
from qms.core.text import MAX_DOCUMENT_TEXT, TextLength
from qms.documents.models import Confidentiality, DocumentType

CONTENT_HELP = _l("Markdown: # Título, ## Subtítulo, **negrita**, listas con «-», tablas. "
                  "No se admite HTML.")
FILE_HELP = _l("Opcional. El tipo se comprueba por el contenido, no por el nombre.")


class DocumentForm(VersionedForm):
    code = StringField(_l("Código"), validators=[DataRequired(), TextLength(30, min=2)],
                       description=_l("Único y estable, p. ej. PR-SGC-01."))
    title = StringField(_l("Título"), validators=[DataRequired(), TextLength(250)])
    doc_type = SelectField(_l("Tipo de documento"), choices=DocumentType.choices,
                           default=DocumentType.PROCEDURE.value, validators=[DataRequired()])
    process_id = SelectField(_l("Proceso"), coerce=int, validators=[DataRequired()])
    owner_id = SelectField(_l("Responsable del documento"), coerce=int, default=0,
                           validators=[Optional()])
    confidentiality = SelectField(_l("Confidencialidad"), choices=Confidentiality.choices,
                                  default=Confidentiality.INTERNAL.value,
                                  validators=[DataRequired()])
    review_interval_months = IntegerField(
        _l("Intervalo de revisión (meses)"), default=12,
        validators=[InputRequired(), NumberRange(min=1, max=60)],
        description=_l("Próxima revisión = fecha de entrada en vigor + este intervalo."))
    distribution_roles = SelectMultipleField(
        _l("Distribución por rol"), choices=Role.choices, validators=[Optional()],
        description=_l("Todas las personas con estos roles deben confirmar la lectura."),
        render_kw={"size": 6})
    distribution_users = SelectMultipleField(_l("Distribución a personas"), coerce=int,
                                             validators=[Optional()], render_kw={"size": 6})


class NewDocumentForm(DocumentForm):
    change_summary = StringField(_l("Resumen de la revisión"), default="Emisión inicial",
                                 validators=[TextLength(1000)])
    content_md = TextAreaField(_l("Contenido"), validators=[TextLength(MAX_DOCUMENT_TEXT)],
                               description=CONTENT_HELP, render_kw={"rows": 14})
    file = FileField(_l("Archivo adjunto"), description=FILE_HELP)


class RevisionForm(VersionedForm):
    change_summary = StringField(_l("Resumen de los cambios"),
                                 validators=[DataRequired(), TextLength(1000)])
    content_md = TextAreaField(_l("Contenido"), validators=[TextLength(MAX_DOCUMENT_TEXT)],
                               description=CONTENT_HELP, render_kw={"rows": 20})
    file = FileField(_l("Archivo adjunto"), description=FILE_HELP)
    remove_file = BooleanField(_l("Quitar el archivo adjunto"))


class ActionForm(VersionedForm):
    """A bare POST with CSRF (submit for review, acknowledge)."""



class ReviewUnchangedForm(VersionedForm):
    note = TextAreaField(_l("Qué se revisó"), validators=[DataRequired(), TextLength(1000)],
                         description=_l("Queda en el historial del documento."),
                         render_kw={"rows": 2})


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Motivo"), validators=[DataRequired(), TextLength(1000)],
                           render_kw={"rows": 2})


class ApproveForm(VersionedForm):
    password = PasswordField(
        _l("Su contraseña (firma electrónica)"), validators=[DataRequired(), TextLength(200)],
        description=_l("Al firmar declara «aprobado» el contenido de esta revisión; se registran "
                       "su nombre, la fecha y la hora."),
        render_kw={"autocomplete": "current-password"})


class EffectiveForm(FlaskForm):
    effective_from = DateField(_l("Fecha de entrada en vigor"), validators=[DataRequired()],
                               description=_l("Hoy o una fecha futura. La revisión vigente queda "
                                              "sustituida desde esa fecha."))
