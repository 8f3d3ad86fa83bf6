"""Configuration read from the environment, with an instance folder for secrets and data.

Everything that differs between a laptop, CI and a bureau's server is an environment variable;
see README.md ("Configuration").
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from types import MappingProxyType


def database_url(instance_path: str) -> str:
    """`DATABASE_URL`, normalised to the drivers we ship; SQLite in the instance folder by default."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{Path(instance_path) / 'inspect.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class ConfigurationError(RuntimeError):
    """A setting the app cannot start without; the message says what to set."""


def _generated_once(path: Path) -> str:
    """A random key kept in `path` (readable by its owner only), made the first time it is asked for.

    Written whole under a temporary name and then linked into place, so processes starting together on a new
    instance folder all read the one key that won, never a half-written file."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
        try:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            os.unlink(temporary)
    return path.read_text().strip()


def secret_key(instance_path: str) -> str:
    """`SECRET_KEY` from the environment, else one generated once into the instance folder."""
    return os.environ.get("SECRET_KEY") or _generated_once(Path(instance_path) / "secret_key")


AUDIT_KEY_MIN_LENGTH = 32


def _audit_key_file(path: Path) -> str:
    try:
        mode = path.stat().st_mode
        key = path.read_text().strip()
    except OSError as exc:
        raise ConfigurationError(f"AUDIT_KEY_FILE {path} cannot be read: {exc.strerror}") from exc
    if mode & 0o077:
        raise ConfigurationError(f"AUDIT_KEY_FILE {path} is open to other users (mode {mode & 0o777:o}): "
                                 f"make it 0400, owned by the app's user")
    return key


def configured_audit_key() -> str | None:
    """`AUDIT_KEY`, else the content of the file `AUDIT_KEY_FILE` names, else None."""
    key = os.environ.get("AUDIT_KEY", "").strip()
    if key:
        return key
    path = os.environ.get("AUDIT_KEY_FILE", "").strip()
    return _audit_key_file(Path(path)) if path else None


def audit_key(configured: str | None, instance_path: str, demo: bool) -> str:
    """The key of the audit chain's HMAC. In demo mode one is generated once into the instance folder; anywhere
    else it must come from outside the data (the environment or a file): a key kept beside the database would
    let whoever rewrites the trail re-chain it."""
    key = configured or (_generated_once(Path(instance_path) / "audit_key") if demo else None)
    if not key:
        raise ConfigurationError(
            "no audit key: set AUDIT_KEY_FILE to a file of at least 32 random characters, readable by the app's "
            "user only (openssl rand -hex 32 > /etc/inspect/audit.key; chmod 0400), or AUDIT_KEY; "
            "see docs/deploy.md (\"The audit key\")")
    if len(key) < AUDIT_KEY_MIN_LENGTH:
        raise ConfigurationError(f"the audit key is too short: at least {AUDIT_KEY_MIN_LENGTH} characters "
                                 f"(openssl rand -hex 32)")
    return key


AUDIT_ALGORITHMS = ("HMAC-SM3", "HMAC-SHA256")


def _flag(name: str, default: str = "") -> bool:
    return (os.environ.get(name, "").strip() or default).lower() in {"1", "true", "yes", "on"}


def crypto_keys(config, instance_path: str) -> None:
    """Check the 国密 settings and load the keys they name into `config` (SIGNING_KEYS, ATTACHMENT_KEYS). In demo mode
    missing keys are made once in the instance folder; anywhere else a key the settings need must be there, outside
    the data, or the app does not start. See docs/deploy.md ("国密")."""
    from . import keys

    if config["AUDIT_ALGORITHM"] not in AUDIT_ALGORITHMS:
        raise ConfigurationError(f"AUDIT_ALGORITHM is {config['AUDIT_ALGORITHM']!r}: set it to one of "
                                 f"{', '.join(AUDIT_ALGORITHMS)} (HMAC-SM3 unless the trail must stay as it was)")
    demo = config["INSPECT_DEMO"]
    try:
        config["SIGNING_KEYS"] = None
        if config["DOCUMENT_SIGNING"]:
            if config["SIGNING_KEY_DIR"]:
                config["SIGNING_KEYS"] = keys.load_signing_keys(config["SIGNING_KEY_DIR"])
            elif demo:
                config["SIGNING_KEYS"] = keys.demo_signing_keys(instance_path)
            else:
                raise ConfigurationError(
                    "no document signing key: make the bureau's SM2 key pair as the app's user with "
                    "`.venv/bin/python -m inspect_app.keys_cli new-signing-key --dir /etc/inspect/signing` and set "
                    "SIGNING_KEY_DIR=/etc/inspect/signing, or set DOCUMENT_SIGNING=off to issue documents unsigned; "
                    "see docs/deploy.md (\"国密\")")
        config["ATTACHMENT_KEYS"] = None
        if config["ATTACHMENT_ENCRYPTION"] and config["ATTACHMENT_KEY_FILE"]:
            config["ATTACHMENT_KEYS"] = keys.load_attachment_keys(config["ATTACHMENT_KEY_FILE"])
        elif config["ATTACHMENT_ENCRYPTION"] and demo:
            config["ATTACHMENT_KEYS"] = keys.demo_attachment_keys(instance_path)
    except keys.KeyFileError as exc:
        raise ConfigurationError(str(exc)) from exc


def from_environment(instance_path: str) -> dict:
    return {
        "SECRET_KEY": secret_key(instance_path),
        # None when neither AUDIT_KEY nor AUDIT_KEY_FILE is set; create_app decides once overrides are in.
        "AUDIT_KEY": configured_audit_key(),
        "AUDIT_ALGORITHM": os.environ.get("AUDIT_ALGORITHM", "").strip() or "HMAC-SM3",
        # Each issued document is signed with the bureau's SM2 key in SIGNING_KEY_DIR unless DOCUMENT_SIGNING=off.
        "DOCUMENT_SIGNING": _flag("DOCUMENT_SIGNING", "on"),
        "SIGNING_KEY_DIR": os.environ.get("SIGNING_KEY_DIR", "").strip() or None,
        # Attachments are stored encrypted with SM4-GCM when this names the key file (in demo mode: always, unless
        # ATTACHMENT_ENCRYPTION=off, for an instance that has never sealed a file).
        "ATTACHMENT_KEY_FILE": os.environ.get("ATTACHMENT_KEY_FILE", "").strip() or None,
        "ATTACHMENT_ENCRYPTION": _flag("ATTACHMENT_ENCRYPTION", "on"),
        "SQLALCHEMY_DATABASE_URI": database_url(instance_path),
        "INSPECT_DEMO": _flag("INSPECT_DEMO"),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        # The job queue's Redis (redis://…); unset: the embedded SQLite queue and local worker (inspect_app/tasks).
        "QUEUE_URL": os.environ.get("QUEUE_URL", "").strip(),
        "ATTACHMENTS_DIR": os.environ.get("ATTACHMENTS_DIR") or str(Path(instance_path) / "attachments"),
        # Rendered PDFs, by SHA-256; on shared storage beside the attachments when a queue worker on another
        # machine renders them (docs/deploy.md). Unset: the instance folder's documents/.
        "DOCUMENTS_DIR": os.environ.get("DOCUMENTS_DIR", "").strip() or None,
        "SESSION_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE"),
        "PROXY_COUNT": int(os.environ.get("PROXY_COUNT", "0")),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        # The address users reach the app at (https://inspect.bureau.internal): the QR code on documents links there.
        "DOCUMENTS_BASE_URL": os.environ.get("INSPECT_BASE_URL", "").strip(),
    }


# The demo bureaus' lines, used in demo mode when CONTACT_PHONES is not configured.
DEMO_CONTACT_PHONES = MappingProxyType({"BC-BMJ": "88012345", "BC-DH": "86203311", "BC-XS": "83156020"})


class Defaults:
    """Settings that rarely change; `instance/config.py` may override any of them."""

    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh", "en")

    # Sessions: server-side records; the cookie only names one.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_IDLE_MINUTES = 30
    SESSION_MAX_HOURS = 12

    # Responses: gzip at level 5 (the fill page's 206 KB to about 29 KB; level 1 leaves 36 KB) for pages and
    # their scripts and styles; documents and photos are sent as they are, and so is the API's JSON, which
    # nginx compresses in a deployment (its clients and tests read it as sent).
    COMPRESS_ALGORITHM = "gzip"
    COMPRESS_MIMETYPES = ("text/html", "text/css", "text/javascript", "application/javascript")
    COMPRESS_LEVEL = 5
    COMPRESS_MIN_SIZE = 1024

    # Logins
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCK_MINUTES = 15
    LOGIN_RATE_LIMIT = "20/minute;100/hour"
    # Requests per API token (machine clients); the tablets' session requests are not counted against it.
    API_RATE_LIMIT = "120/minute;3000/hour"
    PASSWORD_MIN_LENGTH = 10
    # argon2id; about 100 ms a hash on a 2-core server (see services/accounts/passwords.py).
    ARGON2_TIME_COST = 2
    ARGON2_MEMORY_COST = 65536
    ARGON2_PARALLELISM = 1

    # CSRF tokens live as long as the session, so an offline tablet's queue can replay.
    WTF_CSRF_TIME_LIMIT = None

    # Uploads: the request cap, and the cap per file that users see explained.
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024
    ATTACHMENT_MAX_BYTES = 15 * 1024 * 1024

    PERMANENT_SESSION_LIFETIME = 12 * 3600
    SEND_FILE_MAX_AGE_DEFAULT = 365 * 24 * 3600  # static URLs carry a content version

    PER_PAGE = 25

    # Rectification: days to fix a finding by severity, and 文号 prefixes by bureau code (default: the first
    # character of the bureau's name + 保检, e.g. 宝保检〔2026〕12号).
    RECTIFICATION_DAYS = MappingProxyType({"critical": 7, "serious": 30, "general": 60})
    NOTICE_PREFIXES = MappingProxyType({})  # e.g. {"BC-BMJ": "宝保检"} in instance/config.py
    BULLETIN_PREFIXES = MappingProxyType({})  # the 通报's, e.g. {"BC-BMJ": "宝保通"} (default: 宝保通〔2026〕2号)
    # The telephone the 附注 of a notice gives beside the contact's name, by bureau code (the inspection section's
    # line), e.g. {"BC-BMJ": "88012345"}; without one the 附注 names the contact only.
    CONTACT_PHONES = MappingProxyType({})
    # Incidents: the days a case is to be concluded in, counted from the day the incident was found (the bureau
    # may set another target when it opens the investigation); whether a report may name the people involved
    # (False: their posts or roles only).
    INCIDENT_CASE_DAYS = 90
    INCIDENT_PERSON_NAMES = False
    # E-mail for notifications, off unless MAIL_SERVER ("host" or "host:port") is set.
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    MAIL_FROM = "noreply@localhost"
    MAIL_TIMEOUT = 5
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_STRATEGY = "moving-window"
