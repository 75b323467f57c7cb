"""Every transition of a revision and every guard, at the service level."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from qms.core import audit
from qms.core.db import frozen_clock
from qms.core.errors import ConflictError, PermissionDenied, TransitionError, ValidationError
from qms.core.time import today_local
from qms.documents import lifecycle, services
from qms.documents.models import DocumentType, RevisionStatus
from qms.extensions import db
from tests.conftest import PASSWORD, user
from tests.documents.conftest import (
    approve,
    bring_into_force,
    make_document,
    make_process,
    publish,
    submit,
)

S = RevisionStatus


def _events(revision):
    return [e.action for e in audit.history(db.session, revision)]


def test_draft_to_effective_records_each_step_in_the_audit_trail(app_ctx):
    _doc, revision = make_document()
    submit(revision)
    assert revision.status == S.IN_REVIEW and revision.submitted_by == user("duenio")
    approve(revision, "calidad")
    assert revision.status == S.APPROVED
    assert revision.approved_by == user("calidad") and revision.approval_meaning == "aprobado"
    assert revision.approved_at.tzinfo is not None
    publish(revision)
    assert revision.status == S.EFFECTIVE and revision.effective_from == today_local()
    assert _events(revision) == ["insert", "transition:in_review", "transition:approved",
                                 "transition:effective"]
    signature = audit.history(db.session, revision)[2]
    assert signature.actor_label == "calidad"
    assert "aprobado" in signature.note and "calidad" in signature.note
    assert signature.after["approval_meaning"] == "aprobado"


def test_submit_needs_content(app_ctx):
    _doc, revision = make_document(content="   ")
    with pytest.raises(ValidationError) as exc:
        submit(revision)
    assert exc.value.field == "content_md"
    assert revision.status == S.DRAFT


def test_author_cannot_approve_own_revision(app_ctx):
    _doc, revision = make_document(author="calidad")
    submit(revision, "duenio")
    with pytest.raises(PermissionDenied, match="separación de funciones"):
        approve(revision, "calidad")
    assert revision.status == S.IN_REVIEW


def test_submitter_and_editor_cannot_approve(app_ctx):
    _doc, revision = make_document(author="duenio")
    with audit.acting_as(user("direccion")):  # the manager edited the draft
        lifecycle.update_draft(revision, expected_version=revision.version,
                              content_md="# Texto corregido", change_summary="Corrección")
    submit(revision, "calidad")
    with pytest.raises(PermissionDenied):
        approve(revision, "calidad")   # submitted it
    with pytest.raises(PermissionDenied):
        approve(revision, "direccion")  # edited it
    assert not lifecycle.contributed(revision, user("auditor"))


def test_only_approver_roles_may_approve_and_policies_need_top_management(app_ctx):
    _doc, revision = make_document()
    submit(revision)
    with pytest.raises(PermissionDenied):
        approve(revision, "auditor")
    policy, policy_rev = make_document("POL-DIR-01", doc_type=DocumentType.POLICY)
    submit(policy_rev)
    with pytest.raises(PermissionDenied, match="Política"):
        approve(policy_rev, "calidad")
    approve(policy_rev, "direccion")
    assert policy_rev.status == S.APPROVED


def test_wrong_password_does_not_sign(app_ctx):
    _doc, revision = make_document()
    submit(revision)
    with audit.acting_as(user("calidad")), pytest.raises(ValidationError) as exc:
        lifecycle.approve(revision, user("calidad"), "no-es-la-clave")
    assert exc.value.field == "password"
    assert revision.status == S.IN_REVIEW and revision.approved_by is None


def test_approving_twice_is_refused_with_who_approved(app_ctx):
    _doc, revision = make_document()
    submit(revision)
    approve(revision, "calidad")
    with pytest.raises(TransitionError, match="ya fue aprobada por Usuario Calidad"):
        approve(revision, "direccion")
    assert revision.approved_by == user("calidad")


def test_approve_with_a_stale_version_is_a_conflict(app_ctx):
    _doc, revision = make_document()
    submit(revision)
    stale = revision.version - 1
    with audit.acting_as(user("calidad")), pytest.raises(ConflictError):
        lifecycle.approve(revision, user("calidad"), PASSWORD, expected_version=stale)


def test_draft_cannot_be_approved_or_published_directly(app_ctx):
    _doc, revision = make_document()
    with pytest.raises(TransitionError):
        approve(revision)
    with pytest.raises(TransitionError):
        publish(revision)


def test_return_to_draft_needs_a_reason_and_clears_the_submission(app_ctx):
    _doc, revision = make_document()
    submit(revision)
    with pytest.raises(ValidationError):
        lifecycle.return_to_draft(revision, user("calidad"), " ")
    with audit.acting_as(user("calidad")):
        lifecycle.return_to_draft(revision, user("calidad"), "Falta la sección de registros")
    assert revision.status == S.DRAFT and revision.submitted_by is None
    assert revision.status_reason == "Falta la sección de registros"
    # The author resubmits and the officer can approve: returning is not contributing.
    submit(revision)
    approve(revision, "calidad")
    assert revision.status == S.APPROVED


def test_new_effective_revision_supersedes_the_previous_in_the_same_transaction(app_ctx):
    document, first = make_document()
    bring_into_force(first, days_ago=40)
    with audit.acting_as(user("duenio")):
        second = lifecycle.new_revision(document, author=user("duenio"), content_md="# Nueva",
                                       change_summary="Cambio")
    submit(second)
    approve(second)
    publish(second)
    assert first.status == S.SUPERSEDED and first.effective_until == today_local()
    assert second.status == S.EFFECTIVE
    assert services.current_revision(document) is second
    effective = [r for r in document.revisions if r.status == S.EFFECTIVE]
    assert effective == [second]


def test_future_effective_date_keeps_the_old_revision_in_force_until_then(app_ctx):
    document, first = make_document()
    bring_into_force(first, days_ago=10)
    with audit.acting_as(user("duenio")):
        second = lifecycle.new_revision(document, author=user("duenio"), content_md="# Nueva")
    submit(second)
    approve(second)
    start = today_local() + timedelta(days=15)
    publish(second, effective_from=start)
    assert services.current_revision(document) is first
    assert services.scheduled_revision(document) is second
    assert services.in_force_on(document, start) is second
    assert services.in_force_on(document, start - timedelta(days=1)) is first
    assert services.document_status(document) == "effective"


def test_effective_date_in_the_past_or_before_the_current_one_is_refused(app_ctx):
    document, first = make_document()
    bring_into_force(first)
    with audit.acting_as(user("duenio")):
        second = lifecycle.new_revision(document, author=user("duenio"), content_md="# B")
    submit(second)
    approve(second)
    with pytest.raises(ValidationError) as exc:
        publish(second, effective_from=today_local() - timedelta(days=1))
    assert exc.value.field == "effective_from"
    assert second.status == S.APPROVED and first.status == S.EFFECTIVE


def test_in_force_on_a_date_answers_from_the_periods(app_ctx):
    document, first = make_document()
    bring_into_force(first, days_ago=100)
    with frozen_clock(datetime.now(UTC) - timedelta(days=30)):
        with audit.acting_as(user("duenio")):
            second = lifecycle.new_revision(document, author=user("duenio"), content_md="# B")
        submit(second)
        approve(second)
        publish(second)
    today = today_local()
    assert services.in_force_on(document, today - timedelta(days=101)) is None
    assert services.in_force_on(document, today - timedelta(days=100)) is first
    assert services.in_force_on(document, today - timedelta(days=31)) is first
    assert services.in_force_on(document, today - timedelta(days=30)) is second
    assert services.in_force_on(document, today) is second


def test_withdrawing_makes_the_document_obsolete_and_keeps_its_history(app_ctx):
    document, revision = make_document()
    bring_into_force(revision, days_ago=5)
    with pytest.raises(ValidationError):
        lifecycle.make_obsolete(revision, user("calidad"), "")
    with audit.acting_as(user("calidad")):
        lifecycle.make_obsolete(revision, user("calidad"), "Proceso suprimido")
    assert revision.status == S.OBSOLETE and revision.effective_until == today_local()
    assert services.current_revision(document) is None
    assert services.document_status(document) == "obsolete"
    assert services.in_force_on(document, today_local() - timedelta(days=1)) is revision
    with pytest.raises(TransitionError):
        publish(revision)


def test_a_draft_can_be_discarded_but_a_superseded_revision_is_final(app_ctx):
    document, first = make_document()
    bring_into_force(first, days_ago=3)
    with audit.acting_as(user("duenio")):
        second = lifecycle.new_revision(document, author=user("duenio"), content_md="# B")
        lifecycle.make_obsolete(second, user("duenio"), "Ya no es necesario")
    assert second.status == S.OBSOLETE and second.effective_from is None
    assert services.current_revision(document) is first
    assert services.document_status(document) == "effective"
    with audit.acting_as(user("duenio")):
        third = lifecycle.new_revision(document, author=user("duenio"), content_md="# C")
    submit(third)
    approve(third)
    publish(third)
    with pytest.raises(TransitionError):
        lifecycle.make_obsolete(first, user("calidad"), "x")


def test_only_one_revision_in_preparation(app_ctx):
    document, _first = make_document()
    with pytest.raises(TransitionError, match="aún está en preparación"):
        lifecycle.new_revision(document, author=user("duenio"), content_md="# otra")


def test_only_a_draft_can_be_edited_and_a_stale_edit_is_a_conflict(app_ctx):
    _doc, revision = make_document()
    version = revision.version
    lifecycle.update_draft(revision, expected_version=version, content_md="# A",
                          change_summary="uno")
    with pytest.raises(ConflictError, match="Otra persona"):
        lifecycle.update_draft(revision, expected_version=version, content_md="# B",
                              change_summary="dos")
    assert revision.content_md == "# A"
    submit(revision)
    with pytest.raises(TransitionError):
        lifecycle.update_draft(revision, expected_version=revision.version, content_md="# C",
                              change_summary="tres")


def test_duplicate_code_is_refused_on_the_code_field(app_ctx):
    make_document("PR-PAG-01")
    with pytest.raises(ValidationError) as exc:
        services.create_document(code="pr-pag-01", title="Otro", doc_type=DocumentType.FORM,
                                 process=None)
    assert exc.value.field == "code" and "PR-PAG-01" in exc.value.message


@pytest.mark.parametrize("code", ["", "X", "PR SGC 01", "ÁREA-01", "A" * 31])
def test_bad_codes_are_refused(app_ctx, code):
    with pytest.raises(ValidationError):
        services.create_document(code=code, title="T", doc_type=DocumentType.FORM, process=None)


@pytest.mark.parametrize("months", [0, 61, "doce"])
def test_review_interval_bounds(app_ctx, months):
    with pytest.raises(ValidationError) as exc:
        services.create_document(code="FO-X-01", title="T", doc_type=DocumentType.FORM,
                                 process=None, review_interval_months=months)
    assert exc.value.field == "review_interval_months"


def test_periodic_review_is_due_and_overdue_from_the_effective_date(app_ctx):
    process = make_process("SGC", "calidad")
    overdue_doc, overdue = make_document("PR-SGC-01", process=process, interval=12)
    bring_into_force(overdue, days_ago=400)
    due_doc, due = make_document("PR-SGC-02", process=process, interval=1)
    bring_into_force(due, days_ago=10)
    fine_doc, fine = make_document("PR-SGC-03", process=process, interval=12)
    bring_into_force(fine, days_ago=10)
    assert services.next_review_on(overdue_doc) == services.add_months(overdue.effective_from, 12)
    assert services.review_state(overdue_doc) == "overdue"
    assert services.review_state(due_doc) == "due"
    assert services.review_state(fine_doc) is None
    due_list = {d.code: state for d, _day, state in services.due_for_review()}
    assert due_list == {"PR-SGC-01": "overdue", "PR-SGC-02": "due"}
    later = today_local() + timedelta(days=400)
    assert {d.code for d, _day, _s in services.due_for_review(later)} == {
        "PR-SGC-01", "PR-SGC-02", "PR-SGC-03"}


def test_add_months_clamps_to_the_end_of_month():
    from datetime import date

    assert services.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert services.add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert services.add_months(date(2026, 11, 15), 14) == date(2028, 1, 15)


def test_revisions_to_approve_excludes_own_and_wrong_role(app_ctx):
    _doc, revision = make_document()
    submit(revision)
    assert lifecycle.revisions_to_approve(user("calidad")) == [revision]
    assert lifecycle.revisions_to_approve(user("duenio")) == []
    assert lifecycle.revisions_to_approve(user("auditor")) == []


def test_database_allows_only_one_effective_revision(app_ctx):
    from sqlalchemy.exc import IntegrityError

    document, first = make_document()
    bring_into_force(first)
    db.session.commit()
    with audit.acting_as(user("duenio")):
        second = lifecycle.new_revision(document, author=user("duenio"), content_md="# B")
    submit(second)
    approve(second)
    second.status = S.EFFECTIVE  # bypassing the service: the partial unique index refuses it
    second.effective_from = today_local()
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_two_approvers_at_once_the_second_gets_a_conflict_not_a_crash(app_ctx):
    from sqlalchemy import update

    from qms.documents.models import Revision

    _doc, revision = make_document()
    submit(revision)
    db.session.commit()
    # Another approver signs between our read and our write: the row's version moves on.
    db.session.execute(update(Revision).where(Revision.id == revision.id)
                       .values(version=Revision.version + 1)
                       .execution_options(synchronize_session=False))
    with audit.acting_as(user("direccion")), pytest.raises(ConflictError):
        lifecycle.approve(revision, user("direccion"), PASSWORD)
    db.session.rollback()
    assert db.session.get(Revision, revision.id).approved_by_id is None
