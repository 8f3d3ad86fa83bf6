"""The WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

import sys

from inspect_app import create_app
from inspect_app.config import ConfigurationError

try:
    app = create_app()
except ConfigurationError as exc:
    # A setting the operator must fix: say which, without a traceback around it.
    sys.exit(f"保密检查 cannot start: {exc}")
