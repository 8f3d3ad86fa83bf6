"""The app factory, configuration and the health check."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from inspect_app import create_app, keys
from inspect_app.config import ConfigurationError, audit_key, configured_audit_key, database_url, secret_key
from inspect_app.extensions import db

KEY = "k" * 64


def test_database_url_defaults_to_sqlite_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert database_url(str(tmp_path)) == f"sqlite:///{tmp_path}/inspect.db"
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db/inspect")
    assert database_url(str(tmp_path)) == "postgresql+psycopg://u:p@db/inspect"
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db/inspect")
    assert database_url(str(tmp_path)) == "postgresql+psycopg://u:p@db/inspect"


def test_secret_key_is_generated_once_and_kept_private(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = secret_key(str(tmp_path))
    assert len(first) == 64 and secret_key(str(tmp_path)) == first
    assert os.stat(tmp_path / "secret_key").st_mode & 0o077 == 0
    monkeypatch.setenv("SECRET_KEY", "from-env")
    assert secret_key(str(tmp_path)) == "from-env"


@pytest.fixture
def signing_key_dir(monkeypatch, tmp_path):
    """A production instance's signing key, made as docs/deploy.md says."""
    directory = tmp_path / "signing"
    keys.create_signing_key(directory)
    monkeypatch.setenv("SIGNING_KEY_DIR", str(directory))
    return directory


def test_demo_mode_follows_the_environment(monkeypatch, make_app, signing_key_dir):
    monkeypatch.setenv("INSPECT_DEMO", "1")
    assert create_app().config["INSPECT_DEMO"] is True
    monkeypatch.setenv("INSPECT_DEMO", "0")
    monkeypatch.setenv("AUDIT_KEY", KEY)
    assert create_app().config["INSPECT_DEMO"] is False


def test_the_command_line_says_what_to_set_without_a_traceback(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("AUDIT_KEY", "AUDIT_KEY_FILE", "INSPECT_DEMO")}
    env["INSPECT_INSTANCE"] = str(tmp_path)
    done = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "db", "heads"],
                          cwd=Path(__file__).parent.parent, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "保密检查 cannot start: no audit key: set AUDIT_KEY_FILE" in done.stderr
    assert "Traceback" not in done.stderr


def test_production_refuses_to_start_without_an_audit_key(monkeypatch, make_app, signing_key_dir):
    monkeypatch.delenv("AUDIT_KEY", raising=False)
    monkeypatch.delenv("AUDIT_KEY_FILE", raising=False)
    monkeypatch.setenv("INSPECT_DEMO", "0")
    with pytest.raises(ConfigurationError, match="no audit key: set AUDIT_KEY_FILE"):
        create_app()
    monkeypatch.setenv("AUDIT_KEY", "short")
    with pytest.raises(ConfigurationError, match="too short"):
        create_app()
    monkeypatch.setenv("AUDIT_KEY", KEY)
    assert create_app().config["AUDIT_KEY"] == KEY


def test_the_audit_key_file_must_be_the_app_users_alone(monkeypatch, tmp_path):
    monkeypatch.delenv("AUDIT_KEY", raising=False)
    key_file = tmp_path / "audit.key"
    key_file.write_text(KEY + "\n")
    monkeypatch.setenv("AUDIT_KEY_FILE", str(key_file))
    key_file.chmod(0o644)
    with pytest.raises(ConfigurationError, match=r"open to other users \(mode 644\): make it 0400"):
        configured_audit_key()
    key_file.chmod(0o400)
    assert configured_audit_key() == KEY
    monkeypatch.setenv("AUDIT_KEY_FILE", str(tmp_path / "missing.key"))
    with pytest.raises(ConfigurationError, match=r"missing\.key cannot be read"):
        configured_audit_key()
    monkeypatch.setenv("AUDIT_KEY", "from-the-environment-" + KEY)
    assert configured_audit_key() == "from-the-environment-" + KEY


def test_the_demo_generates_its_audit_key_once_into_the_instance_folder(tmp_path):
    first = audit_key(None, str(tmp_path), demo=True)
    assert len(first) == 64 and audit_key(None, str(tmp_path), demo=True) == first
    assert os.stat(tmp_path / "audit_key").st_mode & 0o077 == 0
    assert audit_key(KEY, str(tmp_path), demo=True) == KEY


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(app):
    if db.engine.dialect.name != "sqlite":
        return
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_an_unreachable_database(make_app, tmp_path):
    broken = make_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing-dir/x.db"})
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_unexpected_errors_answer_a_friendly_500(app, client):
    @app.route("/boom")
    def boom():
        raise RuntimeError("kaboom")

    app.view_functions["boom"].is_public = True
    response = client.get("/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "系统出错" in html and "kaboom" not in html
