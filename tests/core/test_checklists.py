import re

import pytest

from qms.core.checklists import clause_titles, load_checklists, parse_checklist
from qms.core.errors import ValidationError


def test_repository_checklists_are_valid():
    checklists = load_checklists()
    assert {c.code for c in checklists} >= {"LV-SGC-01", "LV-PAG-01", "LV-QUE-01"}
    assert clause_titles()["7.5"] == "Información documentada"


@pytest.mark.parametrize("content, field", [
    ("code: X\ntitle: T\nstandard: ISO 9001:2015\nitems:\n  - clause: '4.9'\n    questions: [a]\n",
     "items[1].clause"),
    ("code: X\ntitle: T\nstandard: ISO 9001:2015\nitems:\n  - clause: '4.1'\n    questions: []\n",
     "items[1].questions"),
    ("title: T\nstandard: ISO 9001:2015\nitems: []\n", "code"),
    ("code: X\ntitle: T\nstandard: ISO 9001:2008\nitems: []\n", "standard"),
    ("code: [unclosed\n", "yaml"),
])
def test_a_bad_template_names_file_and_field(tmp_path, content, field):
    path = tmp_path / "mala.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValidationError) as error:
        parse_checklist(path)
    assert re.search(rf"mala\.yaml(:\d+)?: {re.escape(field)}", str(error.value))
