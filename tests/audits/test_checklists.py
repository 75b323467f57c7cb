"""Checklist templates: every clause 4–10 covered, loaded versioned and idempotently, a
malformed file named by file, line and field and loaded not at all."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import func, select

from qms.audits import checklists
from qms.audits.models import ChecklistTemplate
from qms.core.checklists import AUDITS_DIR, parse_checklist
from qms.core.errors import ValidationError
from qms.extensions import db

SECOND_LEVEL = ["4.1", "4.2", "4.3", "4.4", "5.1", "5.2", "5.3", "6.1", "6.2", "6.3", "7.1",
                "7.2", "7.3", "7.4", "7.5", "8.1", "8.2", "8.3", "8.4", "8.5", "8.6", "8.7",
                "9.1", "9.2", "9.3", "10.1", "10.2", "10.3"]


def test_the_general_checklist_asks_about_every_clause_4_to_10():
    checklist = parse_checklist(AUDITS_DIR / "lv-sgc-general.yaml")
    clauses = {item.clause for item in checklist.items}
    assert [c for c in SECOND_LEVEL if c not in clauses] == []


def _count():
    return db.session.scalar(select(func.count(ChecklistTemplate.id)))


def test_sync_is_idempotent_and_a_changed_file_becomes_a_new_version(app_ctx, tmp_path):
    for path in AUDITS_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    first = checklists.sync_checklists(tmp_path)
    assert sorted(first.created) == ["LV-PAG-01", "LV-QUE-01", "LV-SGC-01"]
    again = checklists.sync_checklists(tmp_path)
    assert again.created == again.updated == [] and len(again.unchanged) == 3
    path = tmp_path / "lv-atencion-quejas.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "  - clause: \"7.4\"\n    questions:\n"
                    "      - ¿Se informa a la ciudadanía del resultado de su queja?\n",
                    encoding="utf-8")
    changed = checklists.sync_checklists(tmp_path)
    assert changed.updated == ["LV-QUE-01"]
    versions = db.session.scalars(select(ChecklistTemplate).where(
        ChecklistTemplate.code == "LV-QUE-01").order_by(ChecklistTemplate.version_no)).all()
    assert [v.version_no for v in versions] == [1, 2]
    assert len(versions[1].items) == len(versions[0].items) + 1


HEAD = ("code: LV-X\ntitle: Mala\nstandard: ISO 9001:2015\nitems:\n"
        "  - clause: '8.1'\n    questions:\n      - ¿Se planifica?\n")


@pytest.mark.parametrize("body, where", [
    ("  - clause: '11.1'\n    questions:\n      - ¿Algo?\n", "mala.yaml:8: items[2].clause"),
    ("  - clause: '3'\n    questions:\n      - ¿Algo?\n", "mala.yaml:8: items[2].clause"),
    ("  - clause: '8.2'\n    questions:\n      - ¿Se  planifica?\n",
     "mala.yaml:8: items[2].questions: duplicate question"),
    ("  - questions:\n      - ¿Otra?\n", "mala.yaml:8: items[2].clause: missing"),
    ("  - clause: '8.2'\n", "mala.yaml:8: items[2].questions"),
])
def test_a_malformed_template_names_file_line_and_field_and_loads_nothing(app_ctx, tmp_path,
                                                                            body, where):
    (tmp_path / "mala.yaml").write_text(HEAD + body, encoding="utf-8")
    shutil.copy(AUDITS_DIR / "lv-entrega-bono.yaml", tmp_path / "buena.yaml")
    with pytest.raises(ValidationError) as error:
        checklists.sync_checklists(tmp_path)
    assert str(error.value).startswith(where)
    assert _count() == 0


def test_the_cli_command_loads_and_reports(app, tmp_path):
    from click.testing import CliRunner  # noqa: F401 - the app's runner wraps it

    runner = app.test_cli_runner()
    result = runner.invoke(args=["qms", "sync-checklists"])
    assert result.exit_code == 0, result.output
    assert "3 new" in result.output
    result = runner.invoke(args=["qms", "sync-checklists"])
    assert "3 unchanged" in result.output
    (tmp_path / "mala.yaml").write_text("code: X\ntitle: T\nstandard: ISO 9001:2015\nitems:\n"
                                        "  - clause: '4.9'\n    questions: [a]\n",
                                        encoding="utf-8")
    result = runner.invoke(args=["qms", "sync-checklists", "--path", str(tmp_path)])
    assert result.exit_code == 1
    assert "mala.yaml:5: items[1].clause" in result.output
