"""Fixtures: a fresh, migrated database per test, on SQLite or on the PostgreSQL in DATABASE_URL."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from inspect_app import create_app, kept
from inspect_app.extensions import db


def _per_worker(url: str) -> str:
    """Under pytest-xdist each worker gets a database of its own, beside the one named."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=f"{make_url(url).database}_{worker}").render_as_string(hide_password=False)


SHARED_POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")
POSTGRES_URL = _per_worker(SHARED_POSTGRES_URL)

# Cheap hashing: the cost parameters are tested apart; here they would only slow every login.
FAST_SETTINGS = {
    "TESTING": True,
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST": 8192,
    "RATELIMIT_ENABLED": False,
    "INSPECT_DEMO": True,
    "SECRET_KEY": "test-secret",
    "AUDIT_KEY": "test-audit-key-0123456789abcdef0123456789abcdef",
}


def database_url_for_engine(url: str) -> str:
    return re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)


LIBRARY_TABLES = ("checklist_template", "template_version", "checklist_section", "checklist_item")


def _migrate(app) -> dict:
    """Migrate to head and sync the checklist library, which nearly every test needs."""
    from flask_migrate import upgrade

    from inspect_app.services import checklists

    with app.app_context():
        upgrade()
        checklists.sync_library(db.session)
        baseline = {t: db.session.execute(text(f"SELECT COALESCE(MAX(id), 0) FROM {t}")).scalar()
                    for t in LIBRARY_TABLES}
        db.session.remove()
        return baseline


def _create_database(url: str) -> None:
    from sqlalchemy.engine import make_url

    target = make_url(database_url_for_engine(url))
    server = create_engine(target.set(database=make_url(database_url_for_engine(SHARED_POSTGRES_URL)).database),
                           isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    server.dispose()


@pytest.fixture(scope="session")
def _database(tmp_path_factory):
    """Migrate a database once per test session; each test then starts from a copy of it."""
    if POSTGRES_URL:
        url = POSTGRES_URL
        if url != SHARED_POSTGRES_URL:
            _create_database(url)
        engine = create_engine(database_url_for_engine(url))
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        os.environ["DATABASE_URL"] = url
        app = create_app({**FAST_SETTINGS})
        baseline = _migrate(app)
        with app.app_context():
            db.engine.dispose()
        yield {"kind": "postgresql", "url": url, "library": baseline}
        return
    template = tmp_path_factory.mktemp("db") / "template.db"
    os.environ.pop("DATABASE_URL", None)
    app = create_app({**FAST_SETTINGS, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{template}"})
    _migrate(app)
    with app.app_context():
        db.engine.dispose()
    yield {"kind": "sqlite", "template": template}


# The id sequences of these tables that handed out an id since they were last restarted, and the last one.
_USED_SEQUENCES = """
    SELECT format('%I.%I', s.schemaname, s.sequencename), s.last_value FROM pg_sequences s
      JOIN pg_class seq ON seq.relname = s.sequencename AND seq.relkind = 'S'
      JOIN pg_depend d ON d.objid = seq.oid AND d.deptype IN ('a', 'i')
      JOIN pg_class t ON t.oid = d.refobjid
     WHERE s.schemaname = 'public' AND s.last_value IS NOT NULL AND t.relname = ANY(:tables)
"""


def _reset_postgresql(app, library: dict) -> None:
    """Empty every table but the synced library, restart their ids, and take back whatever a test added to the
    library. Only the tables that hold rows are emptied, with DELETE: a TRUNCATE of all of them costs a fifth of
    a second a test, and one of a few takes along, by CASCADE, nearly all the others."""
    with app.app_context():
        tables = [t.name for t in db.metadata.sorted_tables if t.name not in LIBRARY_TABLES]
        with db.engine.begin() as conn:
            holding = set(conn.scalars(text(" UNION ALL ".join(
                f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM {t})" for t in tables))))
            for table in reversed(tables):  # those that refer before those they refer to
                if table in holding:
                    # The audit trail's trigger refuses DELETE; nothing refers to it.
                    conn.execute(text(f"TRUNCATE {table}" if table == "audit_record" else f"DELETE FROM {table}"))
            for sequence, _last in conn.execute(text(_USED_SEQUENCES), {"tables": tables}).all():
                conn.execute(text("SELECT setval(CAST(:s AS regclass), 1, false)"), {"s": sequence})
            conn.execute(text("INSERT INTO audit_head (id, last_id, last_hash) VALUES (1, 0, :h)"), {"h": "0" * 64})
            for table in reversed(LIBRARY_TABLES):
                conn.execute(text(f"DELETE FROM {table} WHERE id > :last"), {"last": library[table]})
            conn.execute(text("UPDATE template_version SET status = 'active', retired_at = NULL"))


@pytest.fixture(scope="session")
def seeded_demo(tmp_path_factory) -> dict[str, Path]:
    """The whole demo seeded once into SQLite, beside the instance folder holding its keys and files: a test on
    SQLite that needs the demo (full_demo, the browser tests) starts from a copy of both instead of seeding again."""
    from flask_migrate import upgrade

    from inspect_app.services import checklists
    from inspect_app.services import demo as demo_service

    folder = tmp_path_factory.mktemp("seeded-demo")
    instance, database = folder / "instance", folder / "demo.db"
    instance.mkdir()
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("INSPECT_INSTANCE", str(instance))
        monkeypatch.delenv("DATABASE_URL", raising=False)
        app = create_app({**FAST_SETTINGS, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
                          "ATTACHMENTS_DIR": str(instance / "attachments")})
        with app.app_context():
            upgrade()
            checklists.sync_library(db.session)
            demo_service.seed(db.session)
            db.session.remove()
            db.engine.dispose()
    return {"database": database, "instance": instance}


@pytest.fixture(scope="session")
def _postgresql_demo(_database, tmp_path_factory) -> dict:
    """The same on PostgreSQL: the demo seeded once into the worker's database and read out table by table with
    COPY, beside the instance folder holding its keys and files; a test that needs it gets it back by COPY."""
    from inspect_app.services import demo as demo_service

    instance = tmp_path_factory.mktemp("seeded-demo") / "instance"
    instance.mkdir()
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("INSPECT_INSTANCE", str(instance))
        app = create_app({**FAST_SETTINGS, "ATTACHMENTS_DIR": str(instance / "attachments")})
        _reset_postgresql(app, _database["library"])
        with app.app_context():
            demo_service.seed(db.session)
            db.session.remove()
            tables = [t.name for t in db.metadata.sorted_tables if t.name not in LIBRARY_TABLES]
            rows = {}
            with db.engine.begin() as conn, conn.connection.driver_connection.cursor() as cursor:
                for table in tables:
                    with cursor.copy(f"COPY {table} TO STDOUT") as copy:
                        rows[table] = b"".join(bytes(chunk) for chunk in copy)
                sequences = conn.execute(text(_USED_SEQUENCES), {"tables": tables}).all()
            db.engine.dispose()
    return {"instance": instance, "rows": {t: data for t, data in rows.items() if data}, "sequences": sequences}


def _restore_postgresql_demo(app, demo: dict) -> None:
    with app.app_context(), db.engine.begin() as conn, conn.connection.driver_connection.cursor() as cursor:
        conn.execute(text("DELETE FROM audit_head"))  # the empty chain's head, which the demo's replaces
        for table, data in demo["rows"].items():  # those referred to before those that refer
            with cursor.copy(f"COPY {table} FROM STDIN") as copy:
                copy.write(data)
        for sequence, last in demo["sequences"]:
            conn.execute(text("SELECT setval(CAST(:s AS regclass), :last)"), {"s": sequence, "last": last})


@pytest.fixture
def app(_database, tmp_path, monkeypatch, request):
    instance = tmp_path / "instance"
    settings = {**FAST_SETTINGS, "ATTACHMENTS_DIR": str(instance / "attachments")}
    # A test of the whole demo starts from a copy of it (seeded_demo, _postgresql_demo).
    seeded = None
    if "full_demo" in request.fixturenames:
        seeded = request.getfixturevalue("seeded_demo" if _database["kind"] == "sqlite" else "_postgresql_demo")
        shutil.copytree(seeded["instance"], instance)
    else:
        instance.mkdir()
    if _database["kind"] == "sqlite":
        copy = tmp_path / "test.db"
        shutil.copy(seeded["database"] if seeded else _database["template"], copy)
        settings["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{copy}"
    monkeypatch.setenv("INSPECT_INSTANCE", str(instance))
    app = create_app(settings)
    kept.clear_all()  # pages kept from another test's database
    if _database["kind"] == "postgresql":
        _reset_postgresql(app, _database["library"])
        if seeded:
            _restore_postgresql_demo(app, seeded)
    ctx = app.app_context()
    ctx.push()
    yield app
    db.session.remove()
    ctx.pop()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def make_app(tmp_path, monkeypatch):
    """Another app on the test's database (or another), with its connections closed afterwards."""
    monkeypatch.setenv("INSPECT_INSTANCE", str(tmp_path / "instance"))
    made = []

    def make(overrides: dict | None = None):
        made.append(create_app({**FAST_SETTINGS, **(overrides or {})}))
        return made[-1]

    yield make
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def scratch_database(tmp_path):
    """A new, empty database beside the test's: scratch_database("restore") gives its URL (SQLite, or
    PostgreSQL when the suite runs there), dropped afterwards."""
    from sqlalchemy.engine import make_url

    made = []
    server = None

    def make(name: str) -> str:
        nonlocal server
        if not POSTGRES_URL:
            return f"sqlite:///{tmp_path}/{name}.db"
        url = make_url(database_url_for_engine(POSTGRES_URL))
        database = f"{url.database}_{name}"
        server = server or create_engine(url, isolation_level="AUTOCOMMIT")
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{database}"'))
        made.append(database)
        return url.set(database=database).render_as_string(hide_password=False)

    yield make
    if server is not None:
        with server.connect() as conn:
            for database in made:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        server.dispose()


@pytest.fixture
def session(app):
    return db.session


@pytest.fixture
def demo(app):
    """The demo org tree and accounts (password Demo@2026), and no inspections yet."""
    from inspect_app.services import demo as demo_service

    demo_service.seed_org(db.session)
    return demo_service


@pytest.fixture
def full_demo(app):
    """Everything `seed-demo` makes: the org, the accounts and inspections in every state (the app starts from a
    copy of the demo seeded once, and seeding again finds it there)."""
    from inspect_app.services import demo as demo_service

    demo_service.seed(db.session)
    return demo_service


@pytest.fixture
def client(app):
    from .helpers import Browser

    return Browser(app)


@pytest.fixture
def browser_for(app):
    """More than one logged-in browser at once: browser_for("officer")."""
    from .helpers import Browser

    def make(username: str | None = None, password: str = "Demo@2026") -> Browser:
        browser = Browser(app)
        if username:
            browser.login(username, password)
        return browser

    return make


def pytest_report_header(config):
    return f"database: {'PostgreSQL ' + POSTGRES_URL.rsplit('@', 1)[-1] if POSTGRES_URL else 'SQLite'}"


def data_path(name: str) -> Path:
    return Path(__file__).parent / "data" / name
