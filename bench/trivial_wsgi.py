"""The floor for the portal benchmark: a bare Flask endpoint, served the same way."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "ok"
