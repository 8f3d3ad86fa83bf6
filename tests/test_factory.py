"""The app factory, configuration and the health check."""

import os

from sqlalchemy import text

from inspect_app import create_app
from inspect_app.config import database_url, secret_key
from inspect_app.extensions import db


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


def test_demo_mode_follows_the_environment(monkeypatch, make_app):
    monkeypatch.setenv("INSPECT_DEMO", "1")
    assert create_app().config["INSPECT_DEMO"] is True
    monkeypatch.setenv("INSPECT_DEMO", "0")
    assert create_app().config["INSPECT_DEMO"] is False


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
