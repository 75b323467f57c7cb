"""Numbers, percentages and dates as the reader's locale writes them, on the main pages;
the language picked on the login page survives logging in and is stored per user."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask_babel import force_locale

from qms.core import formats
from qms.extensions import db
from tests.conftest import login, post_form, user
from tests.surveys.conftest import make_wave

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.mark.parametrize("lang, figures", [
    ("es", ("1.790", "1,96", "1.234.567,5", "96,4\u00a0%", "2 dic 2026", "1 dic 2026, 21:05")),
    ("en", ("1,790", "1.96", "1,234,567.5", "96.4%", "Dec 2, 2026", "Dec 1, 2026, 9:05\u202fPM")),
])
def test_formats_follow_the_locale_and_the_programme_time_zone(app_ctx, lang, figures):
    with force_locale(lang):
        shown = (formats.number(1790), formats.number(1.96, 2), formats.number(1234567.5, 1),
                 formats.percent(96.43), formats.local_date(date(2026, 12, 2)),
                 # 03:05 UTC is 21:05 the day before in Tegucigalpa (UTC-6)
                 formats.local_datetime(datetime(2026, 12, 2, 3, 5, tzinfo=UTC)))
    assert shown == figures
    assert formats.number(None) == formats.percent(float("nan")) == "—"


def test_no_template_formats_numbers_or_dates_by_hand():
    """One place for formats: a template with '{:,}', strftime or a date format argument
    would bring back a second one."""
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            # (a progress bar's value attribute, |round|int, is a number for the browser)
            if re.search(r'"\{:[,.]|strftime\(|\|(date|datetime)\(|\|round\b(?!\|int)', line):
                offenders.append(f"{path.relative_to(TEMPLATES)}:{number}")
    assert not offenders, offenders


@pytest.mark.parametrize("lang, population, share", [("es", "200.000", "%"), ("en", "200,000", "%")])
def test_wave_results_and_home_in_both_locales(app, client, lang, population, share):
    wave_id = make_wave(app, import_sample=True)
    assert login(client, "calidad").status_code == 302
    post_form(client, "/idioma", {"lang": lang}, token_from="/inicio")
    html = client.get(f"/encuestas/rondas/{wave_id}").get_data(as_text=True)
    assert population in html  # the population N card
    other = "200,000" if lang == "es" else "200.000"
    assert other not in html
    percents = re.findall(r"\d+[.,]\d\u00a0%|\d+[.,]\d%", html)
    assert percents and all(("\u00a0%" in p) == (lang == "es") for p in percents), percents
    decimal = "," if lang == "es" else "."
    assert all(decimal in p for p in percents)
    assert client.get("/inicio").status_code == 200


def test_nc_register_dates_in_both_locales(app, client):
    from tests.nonconformities.conftest import make_nc, make_process

    with app.app_context():
        from qms.core import audit

        with audit.acting_as(user("calidad")):
            make_nc(make_process(), detected_on=date(2026, 3, 5))
            db.session.commit()
    assert login(client, "calidad").status_code == 302
    assert "5 mar 2026" in client.get("/no-conformidades/").get_data(as_text=True)
    post_form(client, "/idioma", {"lang": "en"}, token_from="/inicio")
    english = client.get("/no-conformidades/").get_data(as_text=True)
    assert "Mar 5, 2026" in english and "2026-03-05" not in english


def test_the_language_chosen_on_the_login_page_is_kept_and_stored(app, client):
    post_form(client, "/idioma", {"lang": "en", "next": "/login"}, token_from="/login")
    assert login(client, "direccion").status_code == 302
    assert '<html lang="en">' in client.get("/inicio").get_data(as_text=True)
    with app.app_context():
        assert user("direccion").locale == "en"
    # Another browser, no choice made: the stored language is used.
    other = app.test_client()
    assert login(other, "direccion").status_code == 302
    assert '<html lang="en">' in other.get("/inicio").get_data(as_text=True)
    # Switching while logged in is stored too.
    post_form(other, "/idioma", {"lang": "es"}, token_from="/inicio")
    with app.app_context():
        assert user("direccion").locale == "es"


def test_a_previous_users_language_does_not_change_the_next_ones(app, client):
    with app.app_context():
        assert user("calidad").locale == "es"
    assert login(client, "direccion").status_code == 302
    post_form(client, "/idioma", {"lang": "en"}, token_from="/inicio")
    post_form(client, "/logout", token_from="/inicio")
    assert login(client, "calidad").status_code == 302  # on the same browser
    assert '<html lang="es">' in client.get("/inicio").get_data(as_text=True)
    with app.app_context():
        assert user("calidad").locale == "es"


@pytest.mark.parametrize("lang, shown, typed", [("es", 'value="1,96"', "2,58"),
                                                ("en", 'value="1.96"', "2.58")])
def test_settings_fields_show_and_read_the_locale_format(app, client, lang, shown, typed):
    from qms.core.settings import get_setting

    assert login(client, "calidad").status_code == 302
    post_form(client, "/idioma", {"lang": lang}, token_from="/inicio")
    page = client.get("/encuestas/configuracion").get_data(as_text=True)
    assert shown in page
    response = post_form(client, "/encuestas/configuracion",
                         {"min_group_size": "10", "confidence_z": typed})
    assert response.status_code == 302
    with app.app_context():
        assert get_setting("surveys.confidence_z") == 2.58
    refused = post_form(client, "/encuestas/configuracion",
                        {"min_group_size": "10", "confidence_z": "dos"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 200 and ("Escriba un número" in text or "Write a number" in text)
