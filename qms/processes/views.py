"""Process register: list, create, detail, edit."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from qms.auth.models import Role, User
from qms.auth.services import people_choices
from qms.core import audit
from qms.core.dashboard import Card, Figure, card_provider
from qms.core.permissions import authorize, can, get_or_404_authorized, readable_processes
from qms.core.uow import attempt
from qms.extensions import db
from qms.processes import services
from qms.processes.forms import ProcessForm
from qms.processes.models import Process
from qms.processes.sections import sections_for

bp = Blueprint("processes", __name__, url_prefix="/procesos")


def _form(process: Process | None = None) -> ProcessForm:
    form = ProcessForm(obj=process)
    form.owner_id.choices = people_choices(roles=services.OWNER_ROLES,
                                           keep=process.owner if process else None)
    return form


@bp.get("/", endpoint="list")
@login_required
def list_processes():
    authorize("process.view")
    show_all = request.args.get("todos") == "1"
    search = request.args.get("q", "").strip()
    mine = request.args.get("mios") == "1"
    query = services.list_processes(include_inactive=show_all, search=search)
    if mine:
        query = query.where(Process.owner_id == current_user.id)
    if (scope := readable_processes(current_user)) is not None:  # a certifier's share
        query = query.where(Process.code.in_(sorted(scope)))
    page = db.paginate(query, per_page=50)
    return render_template("processes/list.html", page=page, show_all=show_all, search=search,
                           mine=mine)


@bp.route("/nuevo", methods=["GET", "POST"])
@login_required
def new():
    authorize("process.create")
    form = _form()
    form.active.render_kw = {"disabled": True}
    if form.validate_on_submit() and (done := attempt(lambda: services.create_process(
            code=form.code.data, name=form.name.data, category=form.category.data,
            owner=db.session.get(User, form.owner_id.data), description=form.description.data,
    ), form)):
        flash(_("Proceso %(code)s creado.", code=done.value.code), "success")
        return redirect(url_for("processes.detail", process_id=done.value.id))
    return render_template("processes/form.html", form=form, process=None)


@bp.get("/<int:process_id>")
@login_required
def detail(process_id: int):
    process = get_or_404_authorized(Process, process_id, "process.view")
    events = audit.history(db.session, process)
    return render_template("processes/detail.html", process=process, events=events,
                           sections=sections_for(process.id, current_user))


@bp.route("/<int:process_id>/editar", methods=["GET", "POST"])
@login_required
def edit(process_id: int):
    process = get_or_404_authorized(Process, process_id, "process.edit")
    may_reassign = can(current_user, "process.reassign", process)
    form = _form(process)
    form.code.render_kw = {"readonly": True}
    if not may_reassign:
        form.owner_id.render_kw = {"disabled": True}
        form.active.render_kw = {"disabled": True}
    if request.method == "GET":
        form.version.data = process.version
        form.category.data = process.category.value
    if not may_reassign:  # disabled fields are not posted: keep what is stored
        form.owner_id.data = process.owner_id
        form.owner_id.raw_data = None
    if form.validate_on_submit() and attempt(lambda: services.update_process(
            process, expected_version=form.version.data, name=form.name.data,
            category=form.category.data, description=form.description.data,
            owner=db.session.get(User, form.owner_id.data) if may_reassign else None,
            active=form.active.data if may_reassign else None,
    ), form):
        flash(_("Proceso %(code)s actualizado.", code=process.code), "success")
        return redirect(url_for("processes.detail", process_id=process.id))
    return render_template("processes/form.html", form=form, process=process)


@card_provider
def _processes_card(user) -> Card | None:
    """For who acts on processes: document control, and the owners of processes."""
    if not can(user, "process.create") and user.role != Role.PROCESS_OWNER:
        return None
    own = db.session.scalar(select(func.count(Process.id)).where(
        Process.owner_id == user.id, Process.active.is_(True)))
    total = db.session.scalar(select(func.count(Process.id)).where(Process.active.is_(True)))
    return Card(title=_("Procesos"), url=url_for("processes.list"), order=10,
                figures=[Figure(_("Procesos vigentes"), total, url_for("processes.list")),
                         Figure(_("Bajo su responsabilidad"), own,
                                url_for("processes.list", mios=1))])
