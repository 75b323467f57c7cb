"""Management reviews: compile, freeze when held, decide, track, approve the minutes."""

from __future__ import annotations

import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import select

from qms.core import audit as trail
from qms.core.audit import AuditEvent
from qms.core.errors import ConflictError, TransitionError, ValidationError
from qms.core.storage import blob_path
from qms.core.time import today_local
from qms.extensions import db
from qms.reviews import facts, minutes, services
from qms.reviews.compile import snapshot_hash
from qms.reviews.enums import DecisionKind, ReviewActionStatus, ReviewStatus
from qms.reviews.sections import SECTIONS
from tests.conftest import PASSWORD, user
from tests.nonconformities.conftest import make_nc, make_process
from tests.reviews.conftest import approved, held, make_review, with_inputs


def _xmp(pdf: bytes) -> bytes:
    """The XMP metadata stream of a PDF (WeasyPrint compresses it with Flate)."""
    import re
    import zlib

    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            text = zlib.decompress(match.group(1))
        except zlib.error:
            continue
        if b"x:xmpmeta" in text:
            return text
    return b""


def _figure(data: dict, section: str, key: str):
    return next(f["v"] for f in data["sections"][section]["figures"] if f["k"] == key)


def test_sections_mirror_the_reference_data(app_ctx):
    from pathlib import Path

    from qms.core.parsers import load_yaml

    data = load_yaml(Path("qms/data/iso9001_management_review.yaml").read_bytes())
    spanish = {i["id"]: i["es"] for i in data["inputs"]} | {
        s["id"]: s["es"] for i in data["inputs"] for s in i.get("sub_items", ())}
    assert str(SECTIONS[0].title) == spanish["a"]
    ids = [i["id"] for i in data["inputs"] if "sub_items" not in i] + \
        [s["id"] for i in data["inputs"] for s in i.get("sub_items", ())]
    assert sorted(s.id for s in SECTIONS) == sorted(ids)


def test_compile_counts_the_period_and_links_to_the_records(officer):
    process = make_process("PAG")
    inside = make_nc(process, detected_on=today_local() - timedelta(days=5))
    make_nc(process, detected_on=today_local() - timedelta(days=400), title="Antigua")
    review = services.compile_review(make_review())
    c4 = review.compiled["sections"]["c4"]
    assert _figure(review.compiled, "c4", "nc_opened") == 1
    assert _figure(review.compiled, "c4", "nc_major") == 1
    link = next(f["u"] for f in c4["figures"] if f["k"] == "nc_opened")
    assert link.startswith("/no-conformidades/") and "detected_from=" in link
    rows = review.compiled["sections"]["c3"]["tables"][0]["rows"]
    assert any(r["c"][0].startswith("PAG") and r["c"][1] == 1 for r in rows)
    assert set(review.compiled["sections"]) == {s.id for s in SECTIONS}
    from qms.reviews.sections import LABELS

    keys = {f["k"] for part in review.compiled["sections"].values() for f in part["figures"]}
    keys |= {k for part in review.compiled["sections"].values() for t in part["tables"]
             for k in (t["k"], *t["cols"])}
    assert keys - set(LABELS) == set(), "every figure and column key has a label"
    assert inside.code  # the NC stays where it is: compiling reads, never writes


def test_an_empty_or_reversed_period_is_refused(officer):
    today = today_local()
    with pytest.raises(ValidationError) as err:
        make_review(period_start=None)
    assert err.value.field == "period_start"
    with pytest.raises(ValidationError) as err:
        make_review(period_start=today, period_end=today - timedelta(days=1))
    assert err.value.field == "period_end"
    with pytest.raises(ValidationError) as err:
        make_review(period_start=today + timedelta(days=3), period_end=today + timedelta(days=9))
    assert "aún no ha empezado" in str(err.value.message)


def test_holding_needs_the_entered_inputs(officer):
    review = make_review()
    with pytest.raises(ValidationError) as err:
        services.hold_review(review, expected_version=review.version, held_on=today_local(),
                             actor=user("calidad"))
    assert "9.3.2 b)" in str(err.value.message) and "9.3.2 e)" in str(err.value.message)
    assert review.status == ReviewStatus.PLANNED


def test_held_review_is_frozen_and_records_its_hash(officer):
    process = make_process("PAG")
    nc = make_nc(process)
    review = held()
    frozen = review.snapshot
    assert _figure(frozen, "c4", "nc_opened") == 1
    assert review.snapshot_sha256 == snapshot_hash(frozen)
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == "management_review",
        AuditEvent.action == "transition:held")).one()
    assert review.snapshot_sha256 in event.note
    assert event.after["snapshot_sha256"] == review.snapshot_sha256
    # Records change afterwards: the held review does not.
    make_nc(process, title="Otra más")
    from qms.nonconformities import services as nc_services

    nc_services.cancel_nonconformity(nc, expected_version=nc.version, reason="Duplicada")
    db.session.flush()
    db.session.expire_all()
    stored = db.session.get(type(review), review.id)
    assert _figure(stored.snapshot, "c4", "nc_opened") == 1
    from qms.reviews.compile import compile_inputs

    assert _figure(compile_inputs(stored), "c4", "nc_opened") == 2  # live data moved on
    assert services.snapshot_intact(stored)
    assert [s.figures for s in minutes.section_views(stored.snapshot)] == \
        [s.figures for s in minutes.section_views(frozen)]


def test_editing_a_held_reviews_inputs_is_refused(officer):
    review = held()
    with pytest.raises(TransitionError):
        with_inputs(review, issues_changes="Cambiado después")
    with pytest.raises(TransitionError):
        services.compile_review(review)
    db.session.refresh(review)
    assert review.issues_changes.startswith("Nuevo reglamento")


def test_decision_actions_show_at_the_next_review(officer):
    first = held(with_inputs(make_review(days_back=400, period_end=today_local()
                                         - timedelta(days=40),
                                         planned_on=today_local() - timedelta(days=30))))
    # The first review was held "today" in the factory: hold it on its planned day.
    first.held_on = today_local() - timedelta(days=30)
    action = services.add_decision(first, kind=DecisionKind.RESOURCES, text="Dos técnicos",
                                   action_description="Contratar", owner=user("duenio"),
                                   due_on=today_local() - timedelta(days=1), actor=user("calidad"))
    services.add_decision(first, kind=DecisionKind.SGC_CHANGE, text="Sin acción",
                          actor=user("calidad"))
    with pytest.raises(ValidationError) as err:
        services.add_decision(first, kind="improvement", text="x", owner=user("duenio"),
                              actor=user("calidad"))
    assert err.value.field == "action_due_on"
    second = services.compile_review(make_review())
    a = second.compiled["sections"]["a"]
    assert _figure(second.compiled, "a", "actions_total") == 1
    assert _figure(second.compiled, "a", "actions_overdue") == 1
    assert "Dos técnicos" in a["tables"][0]["rows"][0]["c"][1]
    with pytest.raises(ValidationError) as err:
        services.update_action(action, expected_version=action.version,
                               status=ReviewActionStatus.DONE, actor=user("duenio"))
    assert err.value.field == "evidence"
    services.update_action(action, expected_version=action.version,
                           status=ReviewActionStatus.DONE, evidence="Contratos firmados",
                           actor=user("duenio"))
    second = services.compile_review(second)
    assert _figure(second.compiled, "a", "actions_done") == 1
    assert _figure(second.compiled, "a", "actions_overdue") == 0
    due = facts.due_review_actions(today_local())
    assert due == []


def test_approval_needs_the_password_and_a_manager(officer):
    review = held()
    with pytest.raises(ValidationError) as err:
        minutes.approve_minutes(review, expected_version=review.version,
                                actor=user("direccion"), password="")
    assert err.value.field == "password"
    from qms.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        minutes.approve_minutes(review, expected_version=review.version,
                                actor=user("calidad"), password=PASSWORD)
    assert review.status == ReviewStatus.HELD and review.minutes_file_id is None


def test_a_second_approval_is_a_conflict(officer):
    review = held()
    version = review.version
    approved(review)
    with pytest.raises((ConflictError, TransitionError)):
        minutes.approve_minutes(review, expected_version=version, actor=user("direccion"),
                                password=PASSWORD)
    with pytest.raises(TransitionError):
        minutes.approve_minutes(review, expected_version=review.version,
                                actor=user("direccion"), password=PASSWORD)
    approvals = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "transition:minutes_approved")).all()
    assert len(approvals) == 1


def test_minutes_pdf_holds_every_section_and_the_signature(officer, tmp_path):
    review = approved()
    pdf = facts.review_minutes_pdf(review.id)
    assert pdf is not None and pdf[:5] == b"%PDF-"
    assert blob_path(review.minutes_file.sha256).read_bytes() == pdf
    path = tmp_path / "acta.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    flat = " ".join(text.split())
    for s in SECTIONS:
        assert f"{s.clause} " in flat, s.clause
        assert " ".join(str(s.title).split())[:40] in flat, s.title
    assert "Usuario Direccion" in flat and "Apruebo esta acta" in flat
    assert review.snapshot_sha256[:20] in flat
    assert b'pdfaid:part="3" pdfaid:conformance="B"' in _xmp(pdf)  # PDF/A-3b identification


def test_reviews_in_period_for_evidence_packs(officer):
    review = approved()
    found = facts.reviews_in_period(today_local() - timedelta(days=1), today_local())
    assert [f.code for f in found] == [review.code]
    fact = found[0]
    assert fact.status_label == ReviewStatus.MINUTES_APPROVED.label
    assert fact.approved_by == "Usuario Direccion" and fact.snapshot_sha256
    assert fact.url == f"/revision-direccion/{review.id}"
    planned = make_review()
    assert facts.review_minutes_pdf(planned.id) is None
    assert facts.reviews_in_period(today_local() + timedelta(days=400),
                                   today_local() + timedelta(days=500)) == []


def test_cancel_needs_a_reason(officer):
    review = make_review()
    with pytest.raises(ValidationError):
        services.cancel_review(review, expected_version=review.version, reason=" ")
    services.cancel_review(review, expected_version=review.version, reason="Se reprogramó")
    assert review.status == ReviewStatus.CANCELLED
    with trail.acting_as(user("calidad")), pytest.raises(TransitionError):
        services.hold_review(review, expected_version=review.version,
                             held_on=today_local(), actor=user("calidad"))


def test_objectives_met_come_from_the_objectives_register(officer):
    from qms.objectives import services as objective_services
    from tests.objectives.conftest import make_objective

    today = today_local()
    month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    met = make_objective("OBJ-PAG-01", frequency="monthly", target=95.0)
    missed = make_objective("OBJ-PAG-02", frequency="monthly", target=90.0, name="Quejas a tiempo")
    objective_services.record_value(met, period=month, value="97.5", actor=user("calidad"))
    objective_services.record_value(missed, period=month, value="80", actor=user("calidad"))
    review = services.compile_review(make_review())
    data = review.compiled
    assert _figure(data, "c2", "objectives_total") == 2
    assert _figure(data, "c2", "objectives_met") == 1
    assert _figure(data, "c2", "objectives_not_met") == 1
    rows = data["sections"]["c2"]["tables"][0]["rows"]
    assert rows[0]["c"][0].startswith("OBJ-PAG-01") and rows[0]["c"][-1] == "Sí"
    assert rows[0]["c"][2:4] == ["≥ 95 %", "97,5 %"]  # the SGC's own notation
    assert rows[0]["u"] == f"/objetivos/{met.id}"
    process_rows = data["sections"]["c3"]["tables"][0]["rows"]
    assert next(r for r in process_rows if r["c"][0].startswith("PAG"))["c"][-1] == "1 / 2"
    assert _figure(data, "c5", "kpi_values") == 2
