"""Markdown rendering is sanitised; the diff pairs lines and keeps text plain."""

import re

from qms.documents.rendering import render_markdown, side_by_side


def test_markdown_renders_tables_and_drops_anything_active():
    html = str(render_markdown(
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n[x](javascript:alert(1)) [ok](https://sedis.gob.hn)"
        "\n\n<div style=\"color:red\" onclick=\"x()\">hola</div>\n\n![i](data:image/png;base64,AA)"))
    assert "<table>" in html and "<td>1</td>" in html
    assert 'href="https://sedis.gob.hn"' in html and 'rel="noopener noreferrer nofollow"' in html
    tags = re.findall(r"<[a-z][^>]*>", html)  # real tags only; escaped text is inert
    assert not [t for t in tags if re.search(r"\s(style|on\w+)=|javascript:|data:", t)], tags
    assert "<div" not in html and "&lt;div" in html
    assert '<img alt="i">' in html  # the data: source is stripped


def test_side_by_side_marks_changes_and_skips_far_context():
    old = "\n".join(f"línea {i}" for i in range(1, 21))
    new = old.replace("línea 2\n", "línea dos\n") + "\nlínea 21"
    rows = side_by_side(old, new, context=1)
    kinds = [r.kind if r else None for r in rows]
    assert "replace" in kinds and "insert" in kinds and None in kinds
    changed = next(r for r in rows if r and r.kind == "replace")
    assert (changed.left_no, changed.left, changed.right_no, changed.right) == (
        2, "línea 2", 2, "línea dos")
    full = side_by_side(old, new, context=None)
    assert None not in full and len(full) == 21
