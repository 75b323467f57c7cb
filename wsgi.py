"""Entry point for `flask --app wsgi` and `gunicorn wsgi:app`."""

from qms import create_app

app = create_app()
