"""Surveys through the API: read results (token auth) and KoboToolbox's REST-service webhook.

The webhook is not called by a user: KoboToolbox POSTs one JSON body per submission and
authenticates with the survey's own secret, sent as the password of HTTP basic auth
(Kobo's "Basic" option) or in an ``X-QMS-Secret`` custom header. It is idempotent on
``_uuid`` (Kobo retries after 60 s, 600 s and 6,000 s) and updates the aggregates in the
same transaction as the response, a write-first transaction that waits its turn behind a
large import's short publishing transactions (it never waits for a whole import).
"""

from __future__ import annotations

import base64
import binascii

from flask import Flask, jsonify, request
from flask.views import MethodView
from flask_babel import gettext as _
from marshmallow import Schema, fields

from qms.api import Blueprint
from qms.core.permissions import authorize, get_or_404_authorized
from qms.core.text import Text
from qms.core.uow import write_first
from qms.extensions import csrf, db
from qms.surveys import aggregates, importer, publishing, results, services
from qms.surveys.models import Wave

blp = Blueprint("surveys_api", __name__, url_prefix="/surveys",
                description="Satisfaction surveys [ISO 9001:2015 9.1.2]")
webhook = Blueprint("surveys_webhook", __name__, url_prefix="/surveys",
                    description="KoboToolbox REST-service webhook (per-survey secret)")


class WaveSchema(Schema):
    id = fields.Int()
    code = Text()
    name = Text()
    status = Text(attribute="status.value")
    starts_on = fields.Date()
    ends_on = fields.Date()
    responses = fields.Int()


class SurveySchema(Schema):
    id = fields.Int()
    code = Text()
    title = Text()
    waves = fields.List(fields.Nested(WaveSchema))


def _summary(s) -> dict | None:
    if s is None:
        return None
    if s.suppressed:
        return {"suppressed": True}
    return {"suppressed": False, "n": s.n, "mean": s.mean, "moe_mean": s.moe_mean,
            "pct_satisfied": s.pct_satisfied, "moe_pct": s.moe_pct, "index": s.index,
            "moe_index": s.moe_index}


@blp.route("/")
class Surveys(MethodView):
    @blp.response(200, SurveySchema(many=True))
    def get(self):
        """List surveys and their waves (with response counts)"""
        authorize("survey.view")
        surveys = db.session.scalars(services.list_surveys()).all()
        totals = aggregates.response_totals([w.id for s in surveys for w in s.waves] or [0])
        for s in surveys:
            for w in s.waves:
                w.responses = totals.get(w.id, 0)
        return surveys


@blp.route("/waves/<int:wave_id>/results")
class WaveResultsResource(MethodView):
    @blp.response(200)
    def get(self, wave_id):
        """Results of a wave: index, complaint share, per question and per department"""
        wave = get_or_404_authorized(Wave, wave_id, "survey.view")
        data = results.wave_results(wave)
        return {
            "wave": wave.code, "responses": data.responses, "target": data.target,
            "response_rate": data.response_rate, "min_group_size": data.min_n,
            "index": _summary(data.index), "complaint": _summary(data.complaint),
            "questions": {r.question.code: _summary(r.summary) for r in data.questions},
            "departments": {g.code: {"responses": g.responses if g.responses >= data.min_n
                                     else None, "index": _summary(g.index)}
                            for g in data.groups},
        }


def _secret() -> str | None:
    header = request.headers.get("X-QMS-Secret")
    if header:
        return header.strip()
    scheme, _sep, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2]
    return None


def _submission(body: dict) -> dict | None:
    """The submission itself, also inside a custom wrapper ({"registro": %SUBMISSION%})."""
    if "_uuid" in body or "meta/instanceID" in body:
        return body
    for value in body.values():
        if isinstance(value, dict) and ("_uuid" in value or "meta/instanceID" in value):
            return value
    return body


@webhook.route("/<code>/kobo", methods=["POST"])
@webhook.doc(security=[{"basicAuth": []}])
def kobo(code: str):
    """Receive one KoboToolbox submission (JSON). 201 created, 200 already received."""
    given = _secret()
    if not (request.headers.get("X-QMS-Secret") or request.headers.get("Authorization")):
        response = jsonify(code=401, status="Unauthorized", message="Missing survey secret.")
        response.headers["WWW-Authenticate"] = 'Basic realm="kobo"'
        return response, 401
    survey = services.survey_by_code(code)
    if survey is None or not services.webhook_secret_matches(survey, given):
        # A user's API token is not a survey secret either: 403, never a way in.
        return jsonify(code=403, status="Forbidden", message="Wrong survey secret."), 403
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify(code=400, status="Bad Request",
                       message="The body must be a JSON object."), 400
    wave = services.open_wave(survey)
    if wave is None:
        return jsonify(code=409, status="Conflict",
                       message=_("La encuesta %(code)s no tiene una ronda abierta.",
                                 code=survey.code)), 409
    wave_id, wave_code = wave.id, wave.code
    # Write-first: a large import publishes in short transactions; this post queues for
    # the write lock between two of them instead of failing on a stale snapshot.
    with publishing.waiting_writer():
        outcome, problems = write_first(
            lambda: importer.receive_submission(wave_id, _submission(body)))
    if outcome == "invalid":
        return jsonify(code=422, status="Unprocessable Entity", message=_("Envío no válido."),
                       errors=[p.as_dict() for p in problems]), 422
    if outcome == "pending":
        return jsonify(code=409, status="Conflict", message=_(
            "Una importación en curso contiene este envío; reintente más tarde.")), 409
    status = 201 if outcome == "created" else 200
    return jsonify(status=outcome, wave=wave_code), status


def register(app: Flask) -> None:
    from qms.api import register_api_blueprint

    register_api_blueprint(app, blp)
    csrf.exempt(webhook)
    api = app.extensions["qms.api"]
    if "basicAuth" not in api.spec.to_dict().get("components", {}).get("securitySchemes", {}):
        api.spec.components.security_scheme("basicAuth", {"type": "http", "scheme": "basic"})
    api.register_blueprint(webhook, url_prefix=f"/api/v1{webhook.url_prefix}")
