from datetime import date

from werkzeug.datastructures import FileStorage

from qms.surveys import jobs, services
from qms.surveys.models import WaveStatus
from tests.matrix import ANY_USER, EDITORS, Row
from tests.surveys.conftest import SAMPLE

ORDER = 50

RESPONSES = EDITORS | {"manager"}

ROUTES = [
    Row("GET", "/encuestas/", ANY_USER),
    Row("GET", "/encuestas/nueva", EDITORS),
    Row("POST", "/encuestas/nueva", EDITORS),
    Row("POST", "/encuestas/cargar", EDITORS),
    Row("GET", "/encuestas/configuracion", EDITORS),
    Row("POST", "/encuestas/configuracion", EDITORS),
    Row("GET", "/encuestas/<int:survey_id>", ANY_USER, "/encuestas/{survey}"),
    Row("GET", "/encuestas/<int:survey_id>/tendencia", ANY_USER, "/encuestas/{survey}/tendencia"),
    Row("GET", "/encuestas/<int:survey_id>/preguntas/nueva", EDITORS,
        "/encuestas/{survey}/preguntas/nueva"),
    Row("POST", "/encuestas/<int:survey_id>/preguntas/nueva", EDITORS,
        "/encuestas/{survey}/preguntas/nueva"),
    Row("GET", "/encuestas/preguntas/<int:question_id>/editar", EDITORS,
        "/encuestas/preguntas/{draft_question}/editar"),
    Row("POST", "/encuestas/preguntas/<int:question_id>/editar", EDITORS,
        "/encuestas/preguntas/{draft_question}/editar"),
    Row("POST", "/encuestas/preguntas/<int:question_id>/quitar", EDITORS,
        "/encuestas/preguntas/{draft_question}/quitar"),
    Row("POST", "/encuestas/<int:survey_id>/publicar", EDITORS, "/encuestas/{survey}/publicar"),
    Row("POST", "/encuestas/<int:survey_id>/nueva-version", EDITORS,
        "/encuestas/{survey}/nueva-version"),
    Row("POST", "/encuestas/<int:survey_id>/secreto", EDITORS, "/encuestas/{survey}/secreto"),
    Row("GET", "/encuestas/<int:survey_id>/rondas/nueva", EDITORS,
        "/encuestas/{survey}/rondas/nueva"),
    Row("POST", "/encuestas/<int:survey_id>/rondas/nueva", EDITORS,
        "/encuestas/{survey}/rondas/nueva"),
    Row("GET", "/encuestas/rondas/<int:wave_id>", ANY_USER, "/encuestas/rondas/{wave}"),
    Row("POST", "/encuestas/rondas/<int:wave_id>/no-conformidad", EDITORS,
        "/encuestas/rondas/{wave}/no-conformidad", note="raise an NC from a finding"),
    Row("GET", "/encuestas/rondas/<int:wave_id>/editar", EDITORS,
        "/encuestas/rondas/{wave}/editar"),
    Row("POST", "/encuestas/rondas/<int:wave_id>/editar", EDITORS,
        "/encuestas/rondas/{wave}/editar"),
    Row("POST", "/encuestas/rondas/<int:wave_id>/estado", EDITORS,
        "/encuestas/rondas/{wave}/estado", data={"target": "closed"}),
    Row("GET", "/encuestas/rondas/<int:wave_id>/resultados.<fmt>", ANY_USER,
        "/encuestas/rondas/{wave}/resultados.csv"),
    Row("GET", "/encuestas/rondas/<int:wave_id>/respuestas.<fmt>", RESPONSES,
        "/encuestas/rondas/{wave}/respuestas.csv", note="anonymised responses"),
    # Beneficiaries' own words are never shown to an external certifier (evidence domain).
    Row("GET", "/encuestas/rondas/<int:wave_id>/comentarios", ANY_USER - {"certifier"},
        "/encuestas/rondas/{wave}/comentarios", note="free-text answers, small groups hidden"),
    Row("GET", "/encuestas/rondas/<int:wave_id>/comentarios.csv", ANY_USER - {"certifier"},
        "/encuestas/rondas/{wave}/comentarios.csv"),
    Row("GET", "/encuestas/rondas/<int:wave_id>/importar", EDITORS,
        "/encuestas/rondas/{wave}/importar"),
    Row("POST", "/encuestas/rondas/<int:wave_id>/importar", EDITORS,
        "/encuestas/rondas/{wave}/importar"),
    Row("GET", "/encuestas/importaciones/<token>", EDITORS,
        "/encuestas/importaciones/{import_token}"),
    Row("POST", "/encuestas/importaciones/<token>", EDITORS,
        "/encuestas/importaciones/{import_token}"),
    Row("GET", "/encuestas/importaciones/<token>/progreso", EDITORS,
        "/encuestas/importaciones/{import_token}/progreso"),
    Row("GET", "/encuestas/importaciones/<token>/estado", EDITORS,
        "/encuestas/importaciones/{import_token}/estado"),
    # API
    Row("GET", "/api/v1/surveys/", ANY_USER),
    Row("GET", "/api/v1/surveys/waves/<int:wave_id>/results", ANY_USER,
        "/api/v1/surveys/waves/{wave}/results"),
    Row("POST", "/api/v1/surveys/<code>/kobo", frozenset(), "/api/v1/surveys/SAT-BVM/kobo",
        data={"_uuid": "x"}, note="a user's API token is not the survey's webhook secret"),
]


#: The smallest questionnaire with an index question and a complaint question.
QUESTIONNAIRE_YAML = """
code: SAT-BVM
title: Encuesta de satisfacción
questions:
  - {code: p1_trato, text: Trato recibido, type: likert5, required: true, index: true}
  - {code: presento_queja, text: "Presentó una queja", type: yes_no, complaint: true}
"""


def objects(users: dict) -> dict:
    version = services.load_yaml(QUESTIONNAIRE_YAML, publish=True)
    survey = version.survey
    wave = services.create_wave(survey, code="2024-1", name="Ronda", starts_on=date(2024, 3, 1),
                                ends_on=date(2024, 3, 31))
    services.move_wave(wave, WaveStatus.OPEN)
    draft = services.new_draft(survey)
    with SAMPLE.open("rb") as handle:
        token, _header = jobs.receive_upload(
            wave, FileStorage(handle, filename="kobo.csv"), users["calidad"])
    return {"survey": survey.id, "wave": wave.id, "draft_question": draft.questions[0].id,
            "import_token": token}
