"""Every main page, for every role, at 1280 px and on a 390 px phone: nothing scrolls
sideways, the navigation is one line on a desktop and marks the current section, chart
labels stay legible on a phone.

The pages and their records are the route matrix's (tests/matrix): its builders create one
record of every kind once, and its login sessions are replayed as cookies, so the whole
walk is one browser, one context per role, one page each.
"""

from __future__ import annotations

import shutil
import time
from urllib.parse import urlsplit

import pytest

from tests.conftest import ROLE_USER, reset_database
from tests.matrix import ROLES, PerActor
from tests.matrix.test_route_matrix import FILE_DIRS, ROWS
from tests.matrix.test_route_matrix import matrix_world as matrix_world_fixture

#: The route matrix's world (built once per session and worker, shared with its tests).
matrix_world = matrix_world_fixture

pytestmark = pytest.mark.browser

#: The list pages and one detail page per domain: what people open every day.
MAIN_PAGES = (
    "/inicio", "/procesos/", "/procesos/<int:process_id>", "/documentos/",
    "/documentos/<int:document_id>", "/documentos/revisiones/<int:revision_id>",
    "/documentos/por-leer", "/no-conformidades/", "/no-conformidades/<int:nc_id>",
    "/encuestas/", "/encuestas/<int:survey_id>", "/encuestas/rondas/<int:wave_id>",
    "/encuestas/<int:survey_id>/tendencia", "/encuestas/rondas/<int:wave_id>/comentarios",
    "/auditorias/", "/auditorias/programa/<int:year>", "/auditorias/<int:audit_id>",
    "/auditorias/hallazgos/<int:finding_id>", "/quejas/", "/quejas/<int:complaint_id>",
    "/pagos/", "/auditoria", "/admin/usuarios", "/avisos/", "/cuenta",
)
WIDTHS = (1280, 390)
#: The walk (6 roles, 136 page loads, 272 layouts) took 83 s with the 2 cores shared at a
#: load average of 12, 159 s at 21; the bound catches a page gone slow without failing on
#: a busy box.
BUDGET_S = 240

MEASURE = """() => {
  const doc = document.documentElement;
  const nav = document.querySelector('#mainnav > .navbar-nav');
  const items = nav ? [...nav.querySelectorAll(':scope > .nav-item')] : [];
  const tops = new Set(items.filter(i => i.offsetParent).map(i => Math.round(i.getBoundingClientRect().top)));
  // a chart's text as drawn: its font size times the scale the SVG is shown at
  const smallest = [...document.querySelectorAll('svg.qms-chart text')].filter(t => t.textContent.trim())
    .map(t => parseFloat(getComputedStyle(t).fontSize) * t.ownerSVGElement.getScreenCTM().a);
  return {scroll: doc.scrollWidth, client: doc.clientWidth, navRows: tops.size,
          current: [...document.querySelectorAll('#mainnav [aria-current]')].length,
          smallestChartText: smallest.length ? Math.min(...smallest) : null};
}"""


def _pages_for(role: str, placeholders: dict) -> list[str]:
    actor = ROLE_USER[role]
    paths = []
    for row in ROWS:
        if row.method != "GET" or row.rule not in MAIN_PAGES or row.note:
            continue
        if row.allowed != "public" and role not in row.allowed:
            continue
        values = {k: (v[actor] if isinstance(v, PerActor) else v)
                  for k, v in placeholders.items()}
        path = row.url.format(**values)
        if path not in paths:
            paths.append(path)
    return paths


def test_no_page_scrolls_sideways_and_the_navigation_fits(app, live_server, browser,
                                                           matrix_world, monkeypatch):
    layout_world = matrix_world
    reset_database(app, layout_world.database)
    shutil.rmtree(layout_world.live_files, ignore_errors=True)
    shutil.copytree(layout_world.files, layout_world.live_files)
    for key in FILE_DIRS:
        monkeypatch.setitem(app.config, key, layout_world.live_files / key.lower())
    # Static files may be cached for the walk: each context fetches the stylesheets and
    # scripts once and then lays out every page from its memory cache, where revalidating
    # them (or intercepting them) cost a round trip each on every page load.
    monkeypatch.setitem(app.config, "SEND_FILE_MAX_AGE_DEFAULT", 3600)
    host = urlsplit(live_server).hostname
    problems, measured = [], 0
    started = time.monotonic()
    for role in ROLES:
        session = layout_world.sessions[ROLE_USER[role]]
        context = browser.new_context(viewport={"width": WIDTHS[0], "height": 900})
        context.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"],
                              "value": session.cookie, "domain": host, "path": "/"}])
        page = context.new_page()
        widths, current = WIDTHS, WIDTHS[0]
        for path in _pages_for(role, layout_world.placeholders):
            # the stylesheets are loaded by then: the script at the end of <body> waits
            response = page.goto(live_server + path, wait_until="domcontentloaded")
            assert response is not None and response.status == 200, (role, path,
                                                                      response.status)
            for width in widths:  # the same page, laid out again at the other width
                if width != current:
                    page.set_viewport_size({"width": width, "height": 900})
                    current = width
                m = page.evaluate(MEASURE)
                measured += 1
                where = f"{role} {path} at {width} px"
                if m["scroll"] > m["client"]:
                    problems.append(f"{where}: page is {m['scroll']} px wide")
                if width == 1280 and m["navRows"] != 1:
                    problems.append(f"{where}: navigation on {m['navRows']} lines")
                if width == 1280 and path.startswith(("/procesos/", "/no-conformidades/")) \
                        and not m["current"]:
                    problems.append(f"{where}: no navigation entry marks the section")
                if width == 390 and m["smallestChartText"] is not None \
                        and m["smallestChartText"] < 11:
                    problems.append(f"{where}: chart text {m['smallestChartText']:.1f} px")
            widths = widths[::-1]  # the next page is loaded at the width this one ended at
        context.close()
    elapsed = time.monotonic() - started
    assert not problems, "\n".join(problems)
    assert measured > 200, measured  # every role saw its pages at both widths
    assert elapsed < BUDGET_S, f"{measured} pages took {elapsed:.0f} s"
