"""Survey definitions: list, create, load YAML, questions, publish, webhook secret, settings."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from qms.core import audit
from qms.core.dashboard import Card, Figure, card_provider
from qms.core.forms import EmptyForm
from qms.core.permissions import authorize, can, get_or_404_authorized
from qms.core.settings import get_setting, set_setting
from qms.core.uow import attempt
from qms.extensions import db
from qms.surveys import aggregates, columns, services
from qms.surveys.forms import QuestionForm, SettingsForm, SurveyForm, YamlForm
from qms.surveys.models import ImportBatch, Question, Survey, VersionStatus, Wave, WaveStatus

bp = Blueprint("surveys", __name__, url_prefix="/encuestas")


@bp.get("/", endpoint="list")
@login_required
def list_surveys():
    authorize("survey.view")
    surveys = db.session.scalars(services.list_surveys()).all()
    open_only = request.args.get("rondas") == "abiertas"
    if open_only:  # the home card's figure: only surveys with an open wave, only those waves
        surveys = [s for s in surveys if any(w.status == WaveStatus.OPEN for w in s.waves)]
    wave_ids = [w.id for s in surveys for w in s.waves]
    totals = aggregates.response_totals(wave_ids) if wave_ids else {}
    open_count = sum(1 for s in surveys for w in s.waves if w.status == WaveStatus.OPEN)
    return render_template("surveys/list.html", surveys=surveys, totals=totals,
                           yaml_form=YamlForm(), published=services.published_version,
                           open_only=open_only, open_count=open_count)


@bp.route("/nueva", methods=["GET", "POST"])
@login_required
def new():
    authorize("survey.manage")
    form = SurveyForm()
    if form.validate_on_submit() and (done := attempt(lambda: services.create_survey(
            code=form.code.data, title=form.title.data, description=form.description.data),
            form)):
        flash(_("Encuesta %(code)s creada: agregue sus preguntas y publíquela.",
                code=done.value.code), "success")
        return redirect(url_for("surveys.detail", survey_id=done.value.id))
    return render_template("surveys/form.html", form=form)


@bp.post("/cargar")
@login_required
def load_yaml():
    authorize("survey.manage")
    form = YamlForm()
    if not form.validate_on_submit():
        flash(_("Elija un archivo YAML."), "danger")
        return redirect(url_for("surveys.list"))
    try:
        text = form.file.data.read(1024 * 1024).decode("utf-8")
    except UnicodeDecodeError:
        flash(_("El archivo YAML debe estar en UTF-8."), "danger")
        return redirect(url_for("surveys.list"))
    done = attempt(lambda: services.load_yaml(text, actor=current_user))
    if not done:
        return redirect(url_for("surveys.list"))
    version = done.value
    flash(_("Cuestionario cargado como versión %(n)s en borrador.", n=version.number), "success")
    return redirect(url_for("surveys.detail", survey_id=version.survey_id))


@bp.get("/<int:survey_id>")
@login_required
def detail(survey_id: int):
    survey = get_or_404_authorized(Survey, survey_id, "survey.view")
    totals = aggregates.response_totals([w.id for w in survey.waves]) if survey.waves else {}
    batches = db.session.scalars(select(ImportBatch).join(Wave).where(
        Wave.survey_id == survey.id).order_by(ImportBatch.id.desc()).limit(20)).all()
    return render_template(
        "surveys/detail.html", survey=survey, draft=services.draft_version(survey),
        published=services.published_version(survey), totals=totals, batches=batches,
        mapping=services.saved_mapping(survey), open_wave=services.open_wave(survey),
        field_labels={k: str(v) for k, v in columns.FIELD_LABELS.items()},
        events=audit.history(db.session, survey), button=EmptyForm(),
        webhook_url=url_for("surveys_webhook.kobo", code=survey.code, _external=True))


def _question_data(form: QuestionForm) -> dict:
    return {f: getattr(form, f).data for f in ("code", "text", "type", "required", "in_index",
                                               "is_complaint", "choices", "min_value",
                                               "max_value")}


@bp.route("/<int:survey_id>/preguntas/nueva", methods=["GET", "POST"])
@login_required
def new_question(survey_id: int):
    survey = get_or_404_authorized(Survey, survey_id, "survey.manage")
    draft = services.draft_version(survey)
    if draft is None:
        flash(_("Cree una nueva versión en borrador para cambiar las preguntas."), "warning")
        return redirect(url_for("surveys.detail", survey_id=survey.id))
    form = QuestionForm()
    if form.validate_on_submit() and attempt(
            lambda: services.add_question(draft, _question_data(form)), form):
        flash(_("Pregunta agregada."), "success")
        return redirect(url_for("surveys.detail", survey_id=survey.id))
    return render_template("surveys/question_form.html", form=form, survey=survey, question=None)


@bp.route("/preguntas/<int:question_id>/editar", methods=["GET", "POST"])
@login_required
def edit_question(question_id: int):
    question = db.get_or_404(Question, question_id)
    survey = question.version.survey
    authorize("survey.manage", survey)
    if request.method == "GET" and question.version.status != VersionStatus.DRAFT:
        flash(_("Una versión publicada no se modifica: cree una nueva versión."), "warning")
        return redirect(url_for("surveys.detail", survey_id=survey.id))
    form = QuestionForm(obj=question)
    if request.method == "GET":
        form.type.data = question.type.value
        form.choices.data = "\n".join(f"{k} = {v}" for k, v in (question.choices or {}).items())
    if form.validate_on_submit() and attempt(
            lambda: services.update_question(question, _question_data(form)), form):
        flash(_("Pregunta actualizada."), "success")
        return redirect(url_for("surveys.detail", survey_id=survey.id))
    return render_template("surveys/question_form.html", form=form, survey=survey,
                           question=question)


@bp.post("/preguntas/<int:question_id>/quitar")
@login_required
def remove_question(question_id: int):
    question = db.get_or_404(Question, question_id)
    survey_id = question.version.survey_id
    authorize("survey.manage", question.version.survey)
    if EmptyForm().validate_on_submit() and attempt(lambda: services.remove_question(question)):
        flash(_("Pregunta quitada del borrador."), "success")
    return redirect(url_for("surveys.detail", survey_id=survey_id))


@bp.post("/<int:survey_id>/publicar")
@login_required
def publish(survey_id: int):
    survey = get_or_404_authorized(Survey, survey_id, "survey.manage")
    draft = services.draft_version(survey)
    if EmptyForm().validate_on_submit() and draft is not None and attempt(
            lambda: services.publish_version(draft, current_user)):
        flash(_("Versión %(n)s publicada: ya no se modifica.", n=draft.number), "success")
    return redirect(url_for("surveys.detail", survey_id=survey.id))


@bp.post("/<int:survey_id>/nueva-version")
@login_required
def new_version(survey_id: int):
    survey = get_or_404_authorized(Survey, survey_id, "survey.manage")
    if EmptyForm().validate_on_submit() and (done := attempt(lambda: services.new_draft(survey))):
        flash(_("Versión %(n)s creada en borrador.", n=done.value.number), "success")
    return redirect(url_for("surveys.detail", survey_id=survey.id))


@bp.post("/<int:survey_id>/secreto")
@login_required
def rotate_secret(survey_id: int):
    survey = get_or_404_authorized(Survey, survey_id, "survey.manage")
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("surveys.detail", survey_id=survey.id))
    secret = services.rotate_webhook_secret(survey)
    return render_template("surveys/secret.html", survey=survey, secret=secret,
                           webhook_url=url_for("surveys_webhook.kobo", code=survey.code,
                                               _external=True))


@bp.route("/configuracion", methods=["GET", "POST"])
@login_required
def settings():
    authorize("survey.manage")
    form = SettingsForm()
    if request.method == "GET":
        form.min_group_size.data = get_setting("surveys.min_group_size")
        form.confidence_z.data = get_setting("surveys.confidence_z")
    if form.validate_on_submit() and attempt(lambda: (
            set_setting("surveys.min_group_size", form.min_group_size.data),
            set_setting("surveys.confidence_z", form.confidence_z.data))):
        flash(_("Configuración guardada."), "success")
        return redirect(url_for("surveys.settings"))
    return render_template("surveys/settings.html", form=form)


@card_provider
def _surveys_card(user) -> Card | None:
    """For who runs the surveys; the figure links to the open waves, each with its count
    of responses."""
    if not can(user, "survey.manage"):
        return None
    waves = db.session.scalar(select(func.count(Wave.id)).where(Wave.status == WaveStatus.OPEN))
    return Card(title=_("Satisfacción de participantes"), url=url_for("surveys.list"), order=50,
                figures=[Figure(_("Rondas abiertas"), waves,
                                url_for("surveys.list", rondas="abiertas"))])
