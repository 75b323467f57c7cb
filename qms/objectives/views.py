"""Objectives register and KPI pages: list, create, edit, the KPI page with its trend,
entering and importing values, computing and recomputing, exports."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from qms.auth.models import User
from qms.auth.services import people_choices
from qms.core import audit
from qms.core.forms import EmptyForm, choices
from qms.core.permissions import authorize, can, get_or_404_authorized
from qms.core.spreadsheets import send_export
from qms.core.time import today_local
from qms.core.uow import attempt
from qms.extensions import db
from qms.objectives import computations, exports, facts, importer, services
from qms.objectives.forms import ComputeForm, ImportForm, ObjectiveForm, ValueForm
from qms.objectives.models import KPIValue, Objective
from qms.objectives.periods import example
from qms.processes.facts import process_choices
from qms.processes.models import Process

bp = Blueprint("objectives", __name__, url_prefix="/objetivos")
#: The KPI page and its chart show every value since this date.
SINCE = date(2000, 1, 1)


def _form(objective: Objective | None = None) -> ObjectiveForm:
    form = ObjectiveForm(obj=objective)
    form.process_id.choices = [("", _("— Todo el SGC —")),
                               *process_choices(keep=objective.process_id if objective else None)]
    form.owner_id.choices = people_choices(roles=services.OWNER_ROLES,
                                           keep=objective.owner if objective else None)
    form.computation.choices = choices([("", _("— Ninguno (valores a mano) —")),
                                        *computations.choices()])
    if objective is not None and request.method == "GET":
        form.direction.data = objective.direction.value
        form.frequency.data = objective.frequency.value
        form.method.data = objective.method.value
        form.computation.data = objective.computation or ""
        form.target.data = f"{objective.target:g}"
        params = objective.computation_params or {}
        form.param_target_days.data = params.get("target_days")
        form.param_process_code.data = params.get("process_code", "")
        form.param_department_code.data = params.get("department_code", "")
        form.read_version(objective)
    return form


def _fields(form: ObjectiveForm) -> dict:
    params = {}
    found = computations.get(form.computation.data)
    if found is not None:
        for p in found.parameters:
            raw = getattr(form, f"param_{p.name}").data
            if raw not in (None, ""):
                params[p.name] = raw
    return dict(
        name=form.name.data, process=db.session.get(Process, form.process_id.data)
        if form.process_id.data else None, owner=db.session.get(User, form.owner_id.data),
        unit=form.unit.data, direction=form.direction.data, target=form.target.data,
        method=form.method.data, computation=form.computation.data or None,
        computation_params=params, plan_what=form.plan_what.data,
        plan_resources=form.plan_resources.data, plan_who=form.plan_who.data,
        plan_due_on=form.plan_due_on.data, plan_evaluation=form.plan_evaluation.data)


@bp.get("/", endpoint="list")
@login_required
def list_objectives():
    authorize("objective.view")
    today = today_local()
    results = facts.objective_results(date(today.year - 1, 1, 1), today)
    process = request.args.get("proceso", "").strip().upper()
    state = request.args.get("estado", "")
    if process:
        results = [r for r in results if r.process_code == process]
    if state in ("met", "not_met", "no_data"):
        wanted = {"met": True, "not_met": False, "no_data": None}[state]
        results = [r for r in results if r.met is wanted]
    return render_template("objectives/list.html", results=results, process=process,
                           state=state, since=date(today.year - 1, 1, 1))


@bp.route("/nuevo", methods=["GET", "POST"])
@login_required
def new():
    authorize("objective.manage")
    form = _form()
    if form.validate_on_submit() and (done := attempt(lambda: services.create_objective(
            code=form.code.data, frequency=form.frequency.data, **_fields(form)), form)):
        flash(_("Objetivo %(code)s creado.", code=done.value.code), "success")
        return redirect(url_for("objectives.detail", objective_id=done.value.id))
    return render_template("objectives/form.html", form=form, objective=None,
                           computations=computations.REGISTRY)


@bp.route("/<int:objective_id>/editar", methods=["GET", "POST"])
@login_required
def edit(objective_id: int):
    objective = get_or_404_authorized(Objective, objective_id, "objective.manage")
    form = _form(objective)
    form.code.render_kw = {"readonly": True}
    form.frequency.render_kw = {"disabled": True}
    form.frequency.data = objective.frequency.value
    if form.validate_on_submit() and attempt(lambda: services.update_objective(
            objective, expected_version=form.version.data, active=form.active.data,
            **_fields(form)), form):
        flash(_("Objetivo %(code)s actualizado.", code=objective.code), "success")
        return redirect(url_for("objectives.detail", objective_id=objective.id))
    return render_template("objectives/form.html", form=form, objective=objective,
                           computations=computations.REGISTRY)


def _detail(objective: Objective, value_form: ValueForm | None = None,
            compute_form: ComputeForm | None = None, status: int = 200):
    today = today_local()
    value_form = value_form or ValueForm()
    value_form.period.render_kw = {"placeholder": example(objective.frequency)}
    values = db.session.scalars(db.select(KPIValue).where(KPIValue.objective_id == objective.id)
                                .order_by(KPIValue.period_start.desc())).all()
    return render_template(
        "objectives/detail.html", objective=objective, values=values,
        chart=facts.objective_chart_svg(objective.id, SINCE, today),
        computation=computations.get(objective.computation),
        value_form=value_form, compute_form=compute_form or ComputeForm(),
        button=EmptyForm(), period_example=example(objective.frequency),
        events=audit.history(db.session, objective)), status


@bp.get("/<int:objective_id>")
@login_required
def detail(objective_id: int):
    return _detail(get_or_404_authorized(Objective, objective_id, "objective.view"))


@bp.post("/<int:objective_id>/valores")
@login_required
def record_value(objective_id: int):
    objective = get_or_404_authorized(Objective, objective_id, "objective.record")
    form = ValueForm()
    if form.validate_on_submit() and (done := attempt(lambda: services.record_value(
            objective, period=form.period.data, value=form.value.data, actor=current_user,
            note=form.note.data), form)):
        flash(_("Valor de %(period)s registrado.", period=done.value.period), "success")
        return redirect(url_for("objectives.detail", objective_id=objective.id))
    return _detail(db.session.get(Objective, objective_id), value_form=form, status=422)


@bp.post("/<int:objective_id>/calcular")
@login_required
def compute(objective_id: int):
    objective = get_or_404_authorized(Objective, objective_id, "objective.compute")
    form = ComputeForm()
    if form.validate_on_submit() and (done := attempt(lambda: services.compute_value(
            objective, period=form.period.data, actor=current_user), form)):
        if done.value is None:
            flash(_("El periodo %(period)s no tiene datos para calcular el indicador.",
                    period=form.period.data), "warning")
        else:
            flash(_("Valor de %(period)s calculado: %(value)s.", period=done.value.period,
                    value=f"{done.value.value:g}"), "success")
        return redirect(url_for("objectives.detail", objective_id=objective.id))
    return _detail(db.session.get(Objective, objective_id), compute_form=form, status=422)


@bp.post("/<int:objective_id>/calcular-pendientes")
@login_required
def compute_missing(objective_id: int):
    objective = get_or_404_authorized(Objective, objective_id, "objective.compute")
    today = today_local()
    made = services.compute_missing(objective, since=date(today.year - 1, 1, 1), today=today,
                                    actor=current_user)
    flash(_("%(n)d periodos calculados.", n=len(made)), "success")
    return redirect(url_for("objectives.detail", objective_id=objective.id))


@bp.post("/valores/<int:value_id>/recalcular")
@login_required
def recompute(value_id: int):
    value = db.get_or_404(KPIValue, value_id)
    authorize("objective.compute", value.objective)
    difference = services.recompute_value(value)
    if value.recomputed_value is None:
        flash(_("El recálculo de %(period)s no encontró datos; el valor guardado se mantiene.",
                period=value.period), "warning")
    elif difference is None:
        flash(_("Recalculado %(period)s: el valor no cambió (%(value)s).", period=value.period,
                value=f"{value.value:g}"), "success")
    else:
        flash(_("Recalculado %(period)s: ahora da %(new)s en lugar de %(old)s "
                "(diferencia %(diff)s). El valor guardado se mantiene.", period=value.period,
                new=f"{value.recomputed_value:g}", old=f"{value.value:g}",
                diff=f"{difference:+g}"), "warning")
    return redirect(url_for("objectives.detail", objective_id=value.objective_id))


@bp.get("/<int:objective_id>/valores.<any(csv, xlsx):fmt>")
@login_required
def export(objective_id: int, fmt: str):
    objective = get_or_404_authorized(Objective, objective_id, "objective.view")
    body = exports.values_csv(objective) if fmt == "csv" else exports.values_xlsx(objective)
    return send_export(body, f"{objective.code}-valores-{today_local().isoformat()}.{fmt}")


@bp.route("/importar", methods=["GET", "POST"])
@login_required
def import_values():
    authorize("objective.import")
    form = ImportForm()
    problems = None
    if form.validate_on_submit():
        data = form.file.data.read()
        done = attempt(lambda: importer.import_values(
            data, actor=current_user,
            may_record=lambda o: can(current_user, "objective.record", o)))
        if done:
            flash(_("%(n)d valores importados.", n=len(done.value.values)), "success")
            return redirect(url_for("objectives.list"))
        problems = getattr(done.error, "problems", None)
        return render_template("objectives/import.html", form=form, problems=problems), 422
    return render_template("objectives/import.html", form=form, problems=problems)

