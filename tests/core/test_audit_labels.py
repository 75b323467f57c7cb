"""Every kind of record, every audited field and every step the code can write into the
audit trail has a label, in Spanish and in English, declared beside its model."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from flask_babel import lazy_gettext
from sqlalchemy import String, inspect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from qms.core import history
from qms.core.audit import AUDITED, RECORD_TYPES, Audited
from qms.core.workflow import WORKFLOWS

ROOT = Path(__file__).resolve().parents[2]
#: Calls that name an event (``audit.annotate(session, obj, "publish")``).
NAMING_CALLS = {"annotate", "record"}


@pytest.fixture(scope="module")
def english() -> dict[tuple[str | None, str], str]:
    with (ROOT / "translations/en/LC_MESSAGES/messages.po").open("rb") as handle:
        return {(m.context, m.id): m.string for m in read_po(handle)
                if m.id and not m.fuzzy}


def _msgids(label: Any) -> list[tuple[str | None, str]]:
    """The catalogue keys a lazy label needs, including those of labels it embeds."""
    args = getattr(label, "_args", None)
    if not args:
        return []
    keys = [(args[0], args[1]) if len(args) == 2 else (None, args[0])]
    for value in getattr(label, "_kwargs", {}).values():
        keys += _msgids(value)
    return keys


def _check(where: str, label: Any, english: dict, problems: list[str]) -> None:
    if label is None or not str(label).strip():
        problems.append(f"{where}: no label")
        return
    keys = _msgids(label)
    if not keys:
        problems.append(f"{where}: {str(label)!r} is not translatable (use _l)")
    for context, msgid in keys:
        if not english.get((context, msgid)):
            problems.append(f"{where}: no English translation of {msgid!r}")


def audited_columns(cls: type) -> list[str]:
    return [a.key for a in inspect(cls).column_attrs if a.key not in cls.__audit_skip__]


def _state_values(cls: type) -> list[str]:
    states = history.state_enum(cls)
    workflow = WORKFLOWS.get(states.__name__) if states is not None else None
    return [f"transition:{s.value}" for s in workflow.states] if workflow else []


def missing_labels(record_types: dict[str, type], english: dict) -> list[str]:
    """What a reader of the trail would see raw: one line per missing label."""
    problems: list[str] = []
    for table, cls in sorted(record_types.items()):
        _check(f"{table}: record type", cls.__dict__.get("__audit_label__"), english, problems)
        if issubclass(cls, Audited):
            for key in audited_columns(cls):
                _check(f"{table}.{key}", history.lazy_field_label_of(cls, key), english,
                       problems)
        actions = dict.fromkeys([*history.GENERIC_ACTIONS, *cls.__audit_actions__,
                                 *_state_values(cls)])
        for action in actions:
            _check(f"{table} «{action}»", history.lazy_action_label_of(cls, action), english,
                   problems)
        for key, label in cls.__audit_note_fields__.items():
            _check(f"{table} note «{key}»", label, english, problems)
    return problems


def written_actions() -> set[str]:
    """Every action name the code passes to ``annotate``/``record``: literals, and the
    literal head of an f-string ("result:" of ``f"result:{result.value}"``) plus "*"."""
    found: set[str] = set()
    for path in (ROOT / "qms").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name not in NAMING_CALLS or len(node.args) < 3:
                continue
            action = node.args[2]
            if isinstance(action, ast.Constant) and isinstance(action.value, str):
                found.add(action.value)
            elif isinstance(action, ast.JoinedStr) and isinstance(action.values[0], ast.Constant):
                found.add(f"{action.values[0].value}*")
            else:
                found.add(f"<not a literal in {path.relative_to(ROOT)}:{node.lineno}>")
    return found


def test_every_record_type_field_and_step_has_a_label_in_both_languages(app, english):
    assert {"nonconformity", "document_revision", "survey_wave", "user", "setting"} <= set(AUDITED)
    problems = missing_labels(RECORD_TYPES, english)
    assert not problems, "declare __audit_label__/__audit_fields__/__audit_actions__ beside " \
        "the model and translate in en/messages.po:\n" + "\n".join(problems)


def test_every_step_the_code_writes_is_declared_by_some_record_type(app):
    declared = {action for cls in RECORD_TYPES.values() for action in cls.__audit_actions__}
    declared |= set(history.GENERIC_ACTIONS)
    written = written_actions()
    assert {"publish", "login", "report", "transition:*", "result:*"} <= written  # the scan works
    missing = []
    for action in sorted(written):
        if action == "transition:*":
            continue  # named from the state enums, checked per record type above
        prefix = action.removesuffix("*")
        if not (action in declared or (prefix != action and any(
                d.startswith(prefix) for d in declared))):
            missing.append(action)
    assert not missing, f"steps written to the trail with no label anywhere: {missing}"


def test_every_workflow_names_its_transitions_from_its_own_states(app):
    """Each workflow's states are the ``status`` of an audited record, and a wave's
    closing is named as a wave's, not as an NC's."""
    owners = {history.state_enum(cls) for cls in AUDITED.values()}
    assert all(workflow.states in owners for workflow in WORKFLOWS.values()), WORKFLOWS
    with app.test_request_context():
        wave = history.action_label("survey_wave", "transition:closed")
        nc = history.action_label("nonconformity", "transition:closed")
        assert wave == "Pasa a «Cerrada»" and nc == "Pasa a «Cerrada»"
        assert history.action_label("survey_wave", "transition:draft") == "Pasa a «En preparación»"
        assert history.action_label("document_revision", "transition:draft") == \
            "Devuelta a borrador"
        assert history.action_label("survey_version", "transition:draft") == \
            "Pasa a «Borrador»"


class _ThrowawayBase(DeclarativeBase):
    """A metadata of its own, so the broken model below never reaches the app's tables."""


@pytest.fixture
def broken_model():
    class Gadget(Audited, _ThrowawayBase):
        __tablename__ = "throwaway_gadget"
        __audit_label__ = lazy_gettext("Proceso")  # translated: no complaint
        __audit_fields__ = {
            "name": lazy_gettext("Nombre"),
            # A label nobody translated (a variable, so babel does not extract it):
            "colour": lazy_gettext(UNTRANSLATED),
        }
        __audit_actions__ = {"paint": "Pintado"}  # a plain str: not translatable

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(40))
        colour: Mapped[str] = mapped_column(String(40))
        #: Audited, but nobody wrote its label.
        size: Mapped[str] = mapped_column(String(40))

    try:
        yield Gadget
    finally:
        AUDITED.pop("throwaway_gadget", None)
        RECORD_TYPES.pop("throwaway_gadget", None)


UNTRANSLATED = "Color de un artefacto que no existe"


def test_a_model_missing_labels_is_caught_and_named(app, english, broken_model):
    problems = missing_labels({"throwaway_gadget": broken_model}, english)
    assert "throwaway_gadget.size: no label" in problems
    assert f"throwaway_gadget.colour: no English translation of {UNTRANSLATED!r}" in problems
    assert "throwaway_gadget «paint»: 'Pintado' is not translatable (use _l)" in problems
    assert not any(p.startswith(("throwaway_gadget.name", "throwaway_gadget: record"))
                   for p in problems), problems
    assert "throwaway_gadget" in AUDITED  # it is registered, so the real test would see it
