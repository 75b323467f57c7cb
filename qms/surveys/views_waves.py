"""Waves: create and edit, open and close, results, trend, exports, imports from the browser."""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from qms.core import audit, charts, export_jobs, geo
from qms.core.errors import ServiceError
from qms.core.formats import shorten
from qms.core.forms import EmptyForm, apply_service_error
from qms.core.limits import body_limit
from qms.core.permissions import authorize, get_or_404_authorized
from qms.core.spreadsheets import export_filename, send_export, xlsx_file
from qms.core.uow import after_commit, attempt, write_first
from qms.extensions import db
from qms.processes.facts import process_choices
from qms.processes.models import Process
from qms.surveys import columns, exports, findings, jobs, results, services
from qms.surveys import comments as survey_comments
from qms.surveys.forms import (
    ImportStartForm,
    RaiseNCForm,
    UploadForm,
    WaveForm,
    wave_edit_form,
)
from qms.surveys.models import ImportBatch, QuestionType, Survey, Wave, WaveStatus
from qms.surveys.views import bp


@bp.route("/<int:survey_id>/rondas/nueva", methods=["GET", "POST"])
@login_required
def new_wave(survey_id: int):
    survey = get_or_404_authorized(Survey, survey_id, "survey.manage")
    form = WaveForm()
    if form.validate_on_submit() and (done := attempt(lambda: services.create_wave(
            survey, code=form.code.data, name=form.name.data, starts_on=form.starts_on.data,
            ends_on=form.ends_on.data, population=form.population.data), form)):
        flash(_("Ronda %(code)s creada: indique la muestra objetivo por departamento.",
                code=done.value.code), "success")
        return redirect(url_for("surveys.edit_wave", wave_id=done.value.id))
    return render_template("surveys/wave_form.html", form=form, survey=survey, wave=None,
                           departments=[])


@bp.route("/rondas/<int:wave_id>/editar", methods=["GET", "POST"])
@login_required
def edit_wave(wave_id: int):
    wave = get_or_404_authorized(Wave, wave_id, "survey.manage")
    form = wave_edit_form(request.form if request.method == "POST" else None, obj=wave)
    form.code.render_kw = {"readonly": True}
    if request.method == "GET":
        form.version.data = wave.version
        for target in wave.targets:
            getattr(form, f"target_{target.department_code}").data = target.target_sample
            getattr(form, f"population_{target.department_code}").data = target.population
    if request.method == "POST":
        form.code.data = wave.code
    if form.validate_on_submit():
        targets = {code: (getattr(form, f"target_{code}").data,
                          getattr(form, f"population_{code}").data)
                   for code, _name in geo.department_choices()}
        if attempt(lambda: services.update_wave(
                wave, expected_version=form.version.data, name=form.name.data,
                starts_on=form.starts_on.data, ends_on=form.ends_on.data,
                population=form.population.data, targets=targets), form):
            flash(_("Ronda %(code)s actualizada.", code=wave.code), "success")
            return redirect(url_for("surveys.wave", wave_id=wave.id))
    departments = [(code, name, getattr(form, f"target_{code}"),
                    getattr(form, f"population_{code}")) for code, name in
                   ((d.code, d.name) for d in geo.departments().values())]
    return render_template("surveys/wave_form.html", form=form, survey=wave.survey, wave=wave,
                           departments=departments)


@bp.post("/rondas/<int:wave_id>/estado")
@login_required
def move_wave(wave_id: int):
    wave = get_or_404_authorized(Wave, wave_id, "survey.manage")
    try:
        target = WaveStatus(request.form.get("target", ""))
    except ValueError:
        abort(400)
    if EmptyForm().validate_on_submit() and attempt(lambda: services.move_wave(wave, target)):
        flash(_("Ronda %(code)s: %(state)s.", code=wave.code, state=target.label), "success")
    return redirect(url_for("surveys.wave", wave_id=wave.id))


def _results_charts(data: results.WaveResults) -> dict:
    likert = [r for r in data.questions if r.question.type == QuestionType.LIKERT]
    suppressed = _("suprimido")
    by_question = charts.bar_chart(
        [(r.question.text, None if r.summary.suppressed else r.summary.pct_satisfied)
         for r in likert], title=_("Satisfechos (4–5) por pregunta"), unit=" %",
        max_value=100, empty_label=suppressed)
    title = _("Índice de satisfacción por municipio") if data.department else \
        _("Índice de satisfacción por departamento")
    by_group = charts.bar_chart(
        [(g.name, None if g.index.suppressed else g.index.index) for g in data.groups],
        title=title, max_value=100, empty_label=suppressed, color=charts.PALETTE[2])
    focus = None
    if data.focus_question is not None:
        key = "pct_satisfied" if data.focus_question.type in (QuestionType.LIKERT,
                                                               QuestionType.YES_NO) else "mean"
        focus = charts.bar_chart(
            [(g.name, None if g.focus is None or g.focus.suppressed else getattr(g.focus, key))
             for g in data.groups], title=shorten(data.focus_question.text, 80),
            max_value=100 if key == "pct_satisfied" else None, empty_label=suppressed,
            color=charts.PALETTE[1])
    return {"by_question": by_question, "by_group": by_group, "focus": focus}


@bp.get("/rondas/<int:wave_id>")
@login_required
def wave(wave_id: int):
    wave = get_or_404_authorized(Wave, wave_id, "survey.view")
    department = request.args.get("departamento") or None
    if department and geo.department(department) is None:
        abort(404)
    data = results.wave_results(wave, department=department,
                                focus=request.args.get("pregunta") or None)
    batches = db.session.scalars(select(ImportBatch).where(ImportBatch.wave_id == wave.id)
                                 .order_by(ImportBatch.id.desc()).limit(20)).all()
    return render_template("surveys/wave.html", wave=wave, data=data, charts=_results_charts(data),
                           department=geo.department(department) if department else None,
                           batches=batches, button=EmptyForm(),
                           events=audit.history(db.session, wave),
                           findings=findings.findings(data), nc_form=findings_form(),
                           linked_ncs=findings.linked_nonconformities(wave),
                           raised=findings.raised_for_findings(wave, department))


@bp.get("/<int:survey_id>/tendencia")
@login_required
def trend(survey_id: int):
    survey = get_or_404_authorized(Survey, survey_id, "survey.view")
    points = results.trend(survey)
    labels = [p.wave.code for p in points]
    index_chart = charts.line_chart({
        _("Índice"): [(p.wave.code, None if p.index.suppressed else p.index.index)
                      for p in points],
        _("Hogares con queja"): [(p.wave.code, None if not p.complaint or p.complaint.suppressed
                                  else p.complaint.pct_satisfied) for p in points],
    }, title=_("Tendencia entre rondas"), y_max=100)
    codes = sorted({c for p in points for c in p.satisfied})
    texts = results.question_texts(survey)
    question_chart = charts.line_chart(
        {texts.get(c, c): [(p.wave.code, None if c not in p.satisfied or p.satisfied[c].suppressed
              else p.satisfied[c].pct_satisfied) for p in points] for c in codes},
        title=_("Satisfechos (4–5) por pregunta"), unit=" %", y_max=100, height=320)
    return render_template("surveys/trend.html", survey=survey, points=points, labels=labels,
                           codes=codes, texts=texts, index_chart=index_chart,
                           question_chart=question_chart)


@bp.get("/rondas/<int:wave_id>/resultados.<fmt>")
@login_required
def export_results(wave_id: int, fmt: str):
    wave = get_or_404_authorized(Wave, wave_id, "survey.view")
    if fmt not in ("csv", "xlsx"):
        abort(404)
    department = request.args.get("departamento") or None
    if department and geo.department(department) is None:
        abort(404)
    data = results.wave_results(wave, department=department)
    rows = list(exports.result_rows(data))
    place = geo.department(department).name if department else _("nacional")
    return _send(fmt, [_("resultados"), wave.survey.code, wave.code, department or ""],
                 _("Resultados de la ronda %(w)s de «%(s)s» (%(p)s)", w=wave.code,
                   s=wave.survey.title, p=place),
                 exports.RESULT_HEADER, rows)


@bp.get("/rondas/<int:wave_id>/respuestas.<fmt>")
@login_required
def export_responses(wave_id: int, fmt: str):
    wave = get_or_404_authorized(Wave, wave_id, "survey.export_responses")
    if fmt not in ("csv", "xlsx"):
        abort(404)
    name = [_("respuestas anonimizadas"), wave.survey.code, wave.code]
    # A national wave is hundreds of thousands of responses: above the format's threshold
    # (``EXPORT_BACKGROUND_ROWS_*``) the file is built in the background, with progress.
    total = exports.response_count(wave)
    if total > current_app.config[f"EXPORT_BACKGROUND_ROWS_{fmt.upper()}"]:
        token = export_jobs.start("survey_responses", params={"wave_id": wave.id,
                                                              "format": fmt},
                                  filename=export_filename(*name, ext=fmt), total=total,
                                  back=url_for("surveys.wave", wave_id=wave.id))
        return redirect(url_for("exports.progress", token=token))
    return _send(fmt, name, exports.response_title(wave), exports.response_header(wave),
                 exports.response_rows(wave))


def _send(fmt: str, name: list[str], title: str, header, rows):
    """Survey CSVs keep the ``;`` of Kobo's exports (they read back into the importer and
    into the analysts' scripts); the XLSX has the shape of every other export."""
    if fmt == "csv":
        return send_export(exports.csv_stream(header, rows), export_filename(*name, ext="csv"))
    return send_export(xlsx_file(title, _("Datos"), exports.columns(header), rows),
                       export_filename(*name, ext="xlsx"))


# ---------------------------------------------------------------- import from the browser


@bp.route("/rondas/<int:wave_id>/importar", methods=["GET", "POST"])
@body_limit("SURVEY_IMPORT_MAX_BYTES", "survey.import", model=Wave, id_arg="wave_id")
@login_required
def upload(wave_id: int):
    wave = get_or_404_authorized(Wave, wave_id, "survey.import")
    form = UploadForm()
    if form.validate_on_submit():
        if wave.status == WaveStatus.CLOSED:
            flash(_("La ronda %(code)s está cerrada: no admite más respuestas.", code=wave.code),
                  "danger")
        else:
            try:
                token, _header = jobs.receive_upload(wave, form.file.data, current_user)
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                return redirect(url_for("surveys.mapping", token=token))
    return render_template("surveys/upload.html", form=form, wave=wave)


def _job(token: str) -> tuple[dict, Wave]:
    authorize("survey.import")
    status = jobs.status(token)
    if status is None:
        abort(404)
    wave = get_or_404_authorized(Wave, status["wave_id"], "survey.import")
    return status, wave


@bp.route("/importaciones/<token>", methods=["GET", "POST"])
@login_required
def mapping(token: str):
    status, wave = _job(token)
    if status.get("state") != "uploaded":
        return redirect(url_for("surveys.progress", token=token))
    questions = wave.questionnaire.questions
    header = status["header"]
    resolution = columns.resolve(header, questions, services.saved_mapping(wave.survey))
    valid = columns.valid_targets(questions)
    form = ImportStartForm()
    if form.validate_on_submit():
        chosen = {}
        for index, key in enumerate(resolution.keys):
            value = request.form.get(f"col_{index}", "")
            if value not in valid:
                abort(400)
            chosen[key] = value
        if form.save_mapping.data:
            services.save_mapping(wave.survey, chosen)
        # The saved mapping is committed first: the import runs in its own units.
        after_commit(lambda: jobs.start(
            token, mapping=chosen, skip_invalid=form.skip_invalid.data,
            allow_outside_period=form.allow_outside_period.data, channel=form.channel.data))
        return redirect(url_for("surveys.progress", token=token))
    rows = [(i, key, target, key in resolution.unknown, resolution.ambiguous.get(key))
            for i, (key, target) in enumerate(zip(resolution.keys, resolution.targets,
                                                  strict=True))]
    return render_template("surveys/mapping.html", form=form, wave=wave, rows=rows,
                           choices=columns.target_choices(questions), status=status,
                           token=token, unknown=resolution.unknown,
                           ambiguous=resolution.ambiguous)


@bp.get("/importaciones/<token>/progreso")
@login_required
def progress(token: str):
    status, wave = _job(token)
    return render_template("surveys/progress.html", status=status, wave=wave, token=token)


@bp.get("/importaciones/<token>/estado")
@login_required
def progress_status(token: str):
    status, _wave = _job(token)
    keep = ("state", "done", "total", "rows", "summary", "problem_count", "error")
    return jsonify({k: status.get(k) for k in keep})


@bp.get("/rondas/<int:wave_id>/comentarios")
@login_required
def comments(wave_id: int):
    """The free-text answers of a wave: search, department filter, small groups hidden."""
    wave = get_or_404_authorized(Wave, wave_id, "survey.read_comments")
    filters = _comment_filters(wave)
    page = request.args.get("pagina", 1, type=int) or 1
    data = survey_comments.comments(wave, page=page, **filters)
    pages = max(1, -(-data.total // survey_comments.PAGE_SIZE))
    return render_template("surveys/comments.html", wave=wave, data=data, page=min(page, pages),
                           pages=pages, departments=geo.department_choices(), **filters)


@bp.get("/rondas/<int:wave_id>/comentarios.csv")
@login_required
def export_comments(wave_id: int):
    wave = get_or_404_authorized(Wave, wave_id, "survey.read_comments")
    filters = _comment_filters(wave)
    return _send("csv", [_("comentarios"), wave.survey.code, wave.code],
                 _("Comentarios de la ronda %(w)s", w=wave.code), survey_comments.EXPORT_HEADER,
                 survey_comments.export_rows(wave, **filters))


def _comment_filters(wave: Wave) -> dict:
    department = request.args.get("departamento") or None
    if department and geo.department(department) is None:
        abort(404)
    question = request.args.get("pregunta") or None
    if question and question not in {q.code for q in survey_comments.text_questions(wave)}:
        abort(404)
    return {"department": department, "query": (request.args.get("q") or "").strip()[:200],
            "question": question}


@bp.post("/rondas/<int:wave_id>/no-conformidad")
@login_required
def raise_nc(wave_id: int):
    """A low score or the complaints of a wave become a nonconformity linked to it."""
    wave = get_or_404_authorized(Wave, wave_id, "survey.raise_nc")
    form = findings_form()
    department = form.department_code.data or None
    back = url_for("surveys.wave", wave_id=wave.id, departamento=department)
    if not form.validate_on_submit():
        flash(_("Elija el proceso y la gravedad de la no conformidad."), "danger")
        return redirect(back)

    def work():
        return findings.raise_nonconformity(
            db.session.get(Wave, wave_id), form.finding.data, department_code=department,
            process=db.session.get(Process, form.process_id.data),
            severity=form.severity.data, detected_by=current_user,
            confirm_duplicate=bool(form.confirm_duplicate.data))

    done = attempt(lambda: write_first(work))
    if not done:
        return redirect(back)
    nc = done.value
    flash(_("No conformidad %(code)s registrada a partir de la encuesta.", code=nc.code),
          "success")
    return redirect(url_for("nonconformities.detail", nc_id=nc.id))


def findings_form() -> RaiseNCForm:
    form = RaiseNCForm()
    form.process_id.choices = process_choices()
    return form
