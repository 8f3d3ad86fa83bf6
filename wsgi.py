"""The WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

from inspect_app import create_app

app = create_app()
