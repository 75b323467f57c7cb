"""Markdown to safe HTML, and a side-by-side diff of two revisions' Markdown.

Markdown is rendered with raw HTML disabled and the result is sanitised again with nh3
(an allow-list of tags and attributes), so a document can never carry a script, an
event handler, an inline style or a ``javascript:`` link into the page.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_md.enable("table").enable("strikethrough")

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "s", "del", "code",
    "pre", "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
    "img",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
}
#: Images only from the app itself (relative URLs): no tracking pixels, no outside hosts.
URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str | None) -> Markup:
    """Render Markdown to sanitised HTML that is safe to insert into a page."""
    html = _md.render(text or "")
    clean = nh3.clean(
        html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow", strip_comments=True,
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above


@dataclass(frozen=True)
class DiffRow:
    """One line pair of a side-by-side diff; text is plain (escaped by the template)."""

    kind: str  # "equal", "replace", "delete", "insert"
    left_no: int | None
    left: str
    right_no: int | None
    right: str


def side_by_side(old: str, new: str, context: int | None = 3) -> list[DiffRow | None]:
    """Rows for a two-column diff; ``None`` marks skipped unchanged lines."""
    a = (old or "").splitlines()
    b = (new or "").splitlines()
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    groups = matcher.get_grouped_opcodes(context) if context is not None else [matcher.get_opcodes()]
    rows: list[DiffRow | None] = []
    for index, group in enumerate(groups):
        if index:
            rows.append(None)
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                rows.extend(DiffRow("equal", i + 1, a[i], j + 1, b[j])
                            for i, j in zip(range(i1, i2), range(j1, j2), strict=True))
                continue
            left = list(range(i1, i2))
            right = list(range(j1, j2))
            for k in range(max(len(left), len(right))):
                li = left[k] if k < len(left) else None
                rj = right[k] if k < len(right) else None
                kind = tag if tag != "replace" else (
                    "replace" if li is not None and rj is not None else
                    ("delete" if rj is None else "insert"))
                rows.append(DiffRow(
                    kind, li + 1 if li is not None else None, a[li] if li is not None else "",
                    rj + 1 if rj is not None else None, b[rj] if rj is not None else ""))
    return rows
