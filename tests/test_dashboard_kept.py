"""The dashboard's board kept by data version: served again until a write that may change it moves the version,
and never shown once one has."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, update

from inspect_app.database import transaction
from inspect_app.extensions import db
from inspect_app.models import OrgNode
from inspect_app.services import analytics

from .factories import answer, make_inspection, submitted_inspection
from .helpers import node

PAGE = "/dashboard?period=12m"


@pytest.fixture
def statements(app):
    """The SQL statements sent while the block runs, as a list that fills."""
    sent: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    yield sent
    event.remove(db.engine, "before_cursor_execute", count)


def _page(browser) -> str:
    """The dashboard as served, but for its CSRF tokens, which carry the second they were made."""
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', browser.get(PAGE).get_data(as_text=True))


def _version() -> str | None:
    db.session.rollback()  # read what the requests committed
    return analytics.data_version(db.session)


def test_the_board_is_kept_until_a_submission_moves_the_version(demo, browser_for, statements):
    leader = browser_for("leader")
    first = _page(leader)
    version = _version()
    assert version is not None

    statements.clear()
    again = _page(leader)
    assert again == first and _version() == version
    kept_queries = len(statements)
    statements.clear()
    leader.get(PAGE + "&type=party_gov")  # other filters: rendered, not kept
    assert kept_queries < len(statements) // 2

    submitted_inspection("DH-ZFB", failing={"F3": "noncompliant"})
    assert _version() != version
    after = _page(leader)
    assert after != first


def test_filling_in_an_answer_keeps_the_version_and_the_board(demo, browser_for):
    inspection = make_inspection("DH-ZFB")
    answer(inspection, "F1", "compliant")  # the first answer may start the inspection: that moves it
    leader = browser_for("leader")
    first = _page(leader)
    version = _version()

    answer(inspection, "F2", "noncompliant", finding_text="检查发现：未落实。")
    assert _version() == version
    assert _page(leader) == first


def test_a_statement_past_the_unit_of_work_moves_the_version(demo, browser_for):
    leader = browser_for("leader")
    leader.get(PAGE)
    version = _version()
    unit = node("DH-ZFB")
    with transaction(db.session):
        db.session.execute(update(OrgNode).where(OrgNode.id == unit.id).values(name="东湖区政府办公室（新）"))
    assert _version() != version


def test_a_rebuild_of_the_rollups_moves_the_version(demo):
    version = _version()
    analytics.rebuild_all(db.session)
    assert _version() != version
