"""The anonymous login page is light: rendered once per language and handed out with
each visitor's own CSRF token, no session rewrite for a returning visitor, no limiter
on the GET — and still exactly the page it was."""

from __future__ import annotations

import re

from tests.conftest import PASSWORD, csrf_token, login, post_form

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _page(client, path="/login"):
    answer = client.get(path)
    assert answer.status_code == 200
    return answer, answer.get_data(as_text=True)


def test_two_visitors_get_their_own_working_tokens_in_the_same_page(app):
    first, second = app.test_client(), app.test_client()
    _, one = _page(first)
    _, two = _page(second)
    tokens_one, tokens_two = set(TOKEN.findall(one)), set(TOKEN.findall(two))
    assert len(tokens_one) == 1 and len(tokens_two) == 1  # login and language forms
    assert tokens_one != tokens_two
    assert TOKEN.sub("", one) == TOKEN.sub("", two)  # the same page otherwise
    assert "Iniciar sesión" in one and 'name="username"' in one
    for client, token in ((first, tokens_one.pop()), (second, tokens_two.pop())):
        answer = client.post("/login", data={"username": "calidad", "password": PASSWORD,
                                             "csrf_token": token})
        assert answer.status_code == 302 and answer.headers["Location"] == "/inicio"


def test_a_returning_visitor_keeps_its_token_and_its_session_is_not_rewritten(client):
    first, page = _page(client)
    assert "Set-Cookie" in first.headers  # the new session holds the CSRF token
    again, page_again = _page(client)
    assert "Set-Cookie" not in again.headers  # nothing changed: nothing written
    assert TOKEN.findall(page) == TOKEN.findall(page_again)  # two tabs both work


def test_a_refused_login_shows_its_message_then_the_plain_page_again(client):
    answer = post_form(client, "/login", {"username": "calidad", "password": "mala"})
    assert answer.status_code == 200 and "Usuario o contraseña incorrectos" in \
        answer.get_data(as_text=True)
    _, page = _page(client)
    assert "Usuario o contraseña incorrectos" not in page


def test_a_waiting_message_and_a_next_page_are_rendered_not_kept(client):
    answer = client.get("/no-conformidades/")
    assert answer.status_code == 302
    _, page = _page(client, answer.headers["Location"])
    assert "Inicie sesión para continuar." in page  # the flashed message
    assert 'value="/no-conformidades/"' in page  # where to go back to
    _, plain = _page(client)
    assert "Inicie sesión para continuar." not in plain and 'value="/no-conformidades/"' not in plain
    response = post_form(client, "/login?next=/no-conformidades/",
                         {"username": "calidad", "password": PASSWORD,
                          "next": "/no-conformidades/"})
    assert response.headers["Location"] == "/no-conformidades/"


def test_each_language_has_its_own_page(client):
    post_form(client, "/idioma", {"lang": "en", "next": "/login"}, token_from="/login")
    _, english = _page(client)
    assert '<html lang="en">' in english and "Password" in english
    post_form(client, "/idioma", {"lang": "es"}, token_from="/login")
    _, spanish = _page(client)
    assert '<html lang="es">' in spanish and "Contraseña" in spanish


def test_the_limiter_still_guards_the_post(client):
    for _ in range(5):
        post_form(client, "/login", {"username": "calidad", "password": "mala"})
    answer = post_form(client, "/login", {"username": "calidad", "password": "mala"})
    assert answer.status_code == 429
    assert client.get("/login").status_code == 200  # the page itself is not limited


def test_a_signed_in_visitor_is_sent_home(client):
    assert login(client, "calidad").status_code == 302
    assert client.get("/login").headers["Location"] == "/inicio"
    assert csrf_token(client, "/inicio")
