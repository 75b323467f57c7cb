"""Staff read a wave's free-text answers: search, department filter, suppression, export."""

from __future__ import annotations

import csv
import io

from qms.core.settings import set_setting
from qms.extensions import db
from qms.surveys.models import Wave
from tests.surveys.conftest import csv_bytes, good_row, make_wave, run_import


def _rows() -> list[dict]:
    rows = [good_row(n, comentario=f"Atención buena número {n}") for n in range(1, 6)]
    rows.append(good_row(6, comentario='<script>alert("x")</script> el PAGO se atrasó'))
    rows += [good_row(n, **{"datos_generales/departamento": "05",
                            "datos_generales/municipio": "0501",
                            "comentario": "Solo dos en Cortés"}) for n in (7, 8)]
    rows.append(good_row(9, comentario=""))
    return rows


def _wave_with_comments(app, write) -> int:
    wave_id = make_wave(app)
    with app.app_context():
        set_setting("surveys.min_group_size", 3)
        db.session.commit()
        report = run_import(db.session.get(Wave, wave_id), write("c.csv", csv_bytes(_rows())))
        assert report.imported == 9
        db.session.remove()
    return wave_id


def test_comments_page_searches_filters_suppresses_and_escapes(app, login_as, write):
    wave_id = _wave_with_comments(app, write)
    client = login_as("auditor")
    url = f"/encuestas/rondas/{wave_id}/comentarios"
    html = client.get(url).get_data(as_text=True)
    assert "6 comentarios" in html  # Cortés (2 responses < 3) is hidden, the blank skipped
    assert "Solo dos en Cortés" not in html
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    found = client.get(url, query_string={"q": "pago se atraso"}).get_data(as_text=True)
    assert "1 comentario" in found and "atrasó" in found and "número 1" not in found
    hidden = client.get(url, query_string={"departamento": "05"}).get_data(as_text=True)
    assert 'id="comments-suppressed"' in hidden and "Solo dos" not in hidden
    assert client.get(url, query_string={"departamento": "99"}).status_code == 404
    assert client.get(f"/encuestas/rondas/{wave_id}").get_data(as_text=True).count(
        f"/encuestas/rondas/{wave_id}/comentarios") == 1


def test_comments_export_has_the_same_rows_and_neutralises_formulas(app, login_as, write):
    wave_id = _wave_with_comments(app, write)
    client = login_as("calidad")
    response = client.get(f"/encuestas/rondas/{wave_id}/comentarios.csv",
                          query_string={"q": "atención"})
    assert response.status_code == 200 and "attachment" in response.headers[
        "Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")),
                           delimiter=";"))
    assert rows[0] == ["fila", "departamento", "nombre_departamento", "fecha_envio",
                       "pregunta", "texto"]
    assert len(rows) == 6 and {r[1] for r in rows[1:]} == {"08"}
    assert rows[1][5] == "Atención buena número 1"


def test_the_counted_pages_equal_the_read_comments(app, write, monkeypatch):
    """Without a search the database counts and pages the comments: the same rows, with
    the same numbers, as reading every answer (which the search and the export do)."""
    from qms.surveys import comments

    wave_id = _wave_with_comments(app, write)
    monkeypatch.setattr(comments, "PAGE_SIZE", 4)
    with app.test_request_context():
        wave = db.session.get(Wave, wave_id)

        def shape(found):
            return [(c.number, c.department_code, c.submitted_on, c.question.code, c.text)
                    for c in found]

        for department in (None, "08", "05"):
            read = shape(comments.iter_comments(wave, department=department)[3])
            pages = [comments.comments(wave, department=department, page=p) for p in (1, 2, 3)]
            assert all(p.total == len(read) for p in pages)
            assert shape(pages[0].page) + shape(pages[1].page) + shape(pages[2].page) == read
        assert comments.comments(wave).total == 6
        assert comments.comments(wave, department="05").suppressed
