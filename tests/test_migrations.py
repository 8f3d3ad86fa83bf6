"""Migrations upgrade an empty database to the models, downgrade back to nothing, and have no drift."""

import pytest
from sqlalchemy import inspect

from inspect_app import create_app
from inspect_app.extensions import db

from .conftest import FAST_SETTINGS


@pytest.fixture
def empty_database(scratch_database):
    return scratch_database("migrations")


def test_upgrade_downgrade_and_no_drift(empty_database, tmp_path, monkeypatch):
    monkeypatch.setenv("INSPECT_INSTANCE", str(tmp_path))
    app = create_app({**FAST_SETTINGS, "SQLALCHEMY_DATABASE_URI": empty_database})
    runner = app.test_cli_runner()
    with app.app_context():
        result = runner.invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        tables = set(inspect(db.engine).get_table_names())
        assert set(db.metadata.tables) <= tables

        check = runner.invoke(args=["db", "check"])
        assert check.exit_code == 0, check.output

        result = runner.invoke(args=["db", "downgrade", "base"])
        assert result.exit_code == 0, result.output
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}

        result = runner.invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        # The migrated schema works: the demo seeds and its audit chain verifies.
        seeded = runner.invoke(args=["seed-demo"])
        assert seeded.exit_code == 0 and "9 new versions" in seeded.output
        assert runner.invoke(args=["audit", "verify"]).exit_code == 0
        db.session.remove()
        db.engine.dispose()
