"""Staff pages: the payment periods held, the imports, and the import form."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import func, select

from qms.core.permissions import authorize
from qms.core.uow import commit, rollback
from qms.extensions import db
from qms.payments import importer
from qms.payments.models import PaymentAggregate, PaymentImport, PaymentPeriod

bp = Blueprint("payments", __name__, url_prefix="/pagos")


class ImportForm(FlaskForm):
    file = FileField(_l("Archivo del sistema de pagos (CSV o XLSX)"),
                     validators=[FileRequired(_l("Elija un archivo."))],
                     render_kw={"data-types": "csv,xlsx"})


@bp.get("/", endpoint="list")
@login_required
def list_periods():
    authorize("payments.view")
    periods = db.session.execute(
        select(PaymentPeriod, func.count(PaymentAggregate.id),
               func.sum(PaymentAggregate.households_scheduled),
               func.sum(PaymentAggregate.households_paid),
               func.sum(PaymentAggregate.amount_paid))
        .outerjoin(PaymentAggregate, PaymentAggregate.period_id == PaymentPeriod.id)
        .group_by(PaymentPeriod.id).order_by(PaymentPeriod.code.desc())).all()
    imports = db.session.scalars(
        select(PaymentImport).order_by(PaymentImport.id.desc()).limit(20)).all()
    return render_template("payments/list.html", periods=periods, imports=imports)


@bp.route("/importar", methods=["GET", "POST"])
@login_required
def upload():
    authorize("payments.import")
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            report = importer.import_payments(upload.stream, upload.filename or "pagos.csv")
        except importer.ImportRejected as exc:
            rollback()
            report = exc.report
            importer.record_rejected(report)
            commit()  # the refused attempt is a record too; the 422 below rolls back nothing
            return render_template("payments/upload.html", form=form, report=report), 422
        flash(_("Archivo %(f)s importado: %(n)s filas, %(p)s periodos.", f=report.file_name,
                n=report.rows_read, p=len(report.periods)), "success")
        return redirect(url_for("payments.list"))
    return render_template("payments/upload.html", form=form, report=report)
