"""Spanish first, English complete."""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]


def test_spanish_is_the_default(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="es">' in html
    assert "Iniciar sesión" in html and "Contraseña" in html


def test_english_on_request_and_back(client):
    from tests.conftest import post_form

    response = post_form(client, "/idioma", {"lang": "en", "next": "/login"}, token_from="/login")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in html and "Password" in html and "Contraseña" not in html
    post_form(client, "/idioma", {"lang": "es"}, token_from="/login")
    assert "Contraseña" in client.get("/login").get_data(as_text=True)


def test_language_switch_refuses_unknown_language_and_outside_redirects(client):
    from tests.conftest import post_form

    assert post_form(client, "/idioma", {"lang": "fr"}, token_from="/login").status_code == 400
    response = post_form(client, "/idioma", {"lang": "en", "next": "https://evil.example/"},
                         token_from="/login")
    assert response.headers["Location"] == "/"


def test_every_message_has_an_english_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l",
         "--ignore-dirs", ".* node_modules", "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with pot.open("rb") as handle:
        wanted = {m.id for m in read_po(handle) if m.id}
    with (ROOT / "translations/en/LC_MESSAGES/messages.po").open("rb") as handle:
        english = {m.id: m.string for m in read_po(handle) if m.id and not m.fuzzy}
    missing = sorted(str(m) for m in wanted if not english.get(m))
    assert not missing, f"run `make babel-extract` and translate in en/messages.po: {missing[:10]}"
