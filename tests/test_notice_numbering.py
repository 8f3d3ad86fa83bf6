"""Notice numbers under concurrent issuing: two issues for the same bureau at the same moment, each in its
own thread and app context, get distinct consecutive numbers with no gap (SQLite and PostgreSQL)."""

import threading

from sqlalchemy import select

from inspect_app.clock import local_today
from inspect_app.extensions import db
from inspect_app.models import Inspection, Notice, NoticeCounter, User
from inspect_app.services import rectification

from .factories import submitted_inspection


def _issue_at_once(make_app, app, inspection_ids: list[int], lead_id: int) -> list[str]:
    apps = [make_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                      "ATTACHMENTS_DIR": app.config["ATTACHMENTS_DIR"]}) for _ in inspection_ids]
    barrier = threading.Barrier(len(inspection_ids))
    numbers: list[str] = []
    errors: list[BaseException] = []

    def issue(other_app, inspection_id: int) -> None:
        try:
            with other_app.app_context():
                inspection = db.session.get(Inspection, inspection_id)
                lead = db.session.get(User, lead_id)
                _ = inspection.bureau, inspection.unit, lead.org_node  # loaded before the race starts
                db.session.commit()
                barrier.wait(timeout=10)
                numbers.append(rectification.issue_notice(db.session, lead, inspection).number)
                db.session.remove()
        except BaseException as exc:  # reported to the test below
            errors.append(exc)

    threads = [threading.Thread(target=issue, args=(a, i)) for a, i in zip(apps, inspection_ids, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return numbers


def test_concurrent_issues_get_consecutive_numbers_without_gaps(demo, app, make_app):
    inspections = [submitted_inspection(unit, failing={"F3": "noncompliant"})[0]
                   for unit in ("DH-ZFB", "DH-JYJ", "DH-FY", "DH-DL")]
    lead_id = inspections[0].lead_id
    ids = [i.id for i in inspections]
    db.session.commit()
    db.session.remove()
    year = local_today().year
    # First round: the year's counter does not exist yet, so both race to create it too.
    first = _issue_at_once(make_app, app, ids[:2], lead_id)
    # Second round: the counter exists and is locked row by row.
    second = _issue_at_once(make_app, app, ids[2:], lead_id)
    expected = {f"宝保检〔{year}〕{n}号" for n in (1, 2, 3, 4)}
    assert set(first) == {f"宝保检〔{year}〕{n}号" for n in (1, 2)}
    assert set(first + second) == expected and len(first + second) == 4
    notices = db.session.scalars(select(Notice).order_by(Notice.sequence)).all()
    assert [n.sequence for n in notices] == [1, 2, 3, 4]
    assert {n.inspection_id for n in notices} == set(ids)
    counter = db.session.scalar(select(NoticeCounter))
    assert (counter.year, counter.last_sequence) == (year, 4)
