"""Flask extensions, created here and bound to the app in create_app()."""

from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from .models.base import db

__all__ = ["babel", "compress", "csrf", "db", "limiter", "migrate"]

migrate = Migrate()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address)
compress = Compress()  # gzip in the app too, so a server without nginx in front (make run) sends pages compressed
