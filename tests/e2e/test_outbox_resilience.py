"""The outbox under a failing server and a failing network: a 500 in the middle, a reply lost after the
server stored the batch. Nothing is lost and nothing is stored twice."""


import pytest
from sqlalchemy import func, select

from inspect_app.extensions import db
from inspect_app.models import Answer, AnswerRevision

from ..factories import make_inspection
from .conftest import SYNC_TEXT, login, wait_until, watch

pytestmark = pytest.mark.e2e




def stored(inspection_id: int) -> tuple[int, int]:
    return (db.session.scalar(select(func.count()).select_from(Answer).where(Answer.inspection_id == inspection_id)),
            db.session.scalar(select(func.count()).select_from(AnswerRevision)
                              .where(AnswerRevision.inspection_id == inspection_id)))


def test_a_server_error_and_a_lost_reply_lose_nothing_and_store_nothing_twice(live_server, tablet):
    inspection_id = live_server.run(lambda: make_inspection("DH-JYJ", templates=["network"]).id)
    page = tablet.new_page()
    errors = watch(page)
    login(page, live_server.url, "inspector")
    page.goto(f"{live_server.url}/inspections/{inspection_id}/fill")
    wait_until(page, f"() => {SYNC_TEXT} === '已保存'")

    calls = []

    def flaky(route):
        calls.append(route.request.post_data)
        if len(calls) == 1:
            route.fulfill(status=500, body="server error")  # the server fails outright
        elif len(calls) == 2:
            route.fetch()  # the server stores the batch ...
            route.abort("connectionreset")  # ... and the reply is lost on the way back
        else:
            route.continue_()

    page.route("**/api/v1/inspections/*/answers", flaky)
    forms = page.locator("form.item[data-response=compliance]")
    for index in range(3):
        forms.nth(index).locator("label.choice-compliant").tap()
    wait_until(page, f"() => {SYNC_TEXT} === '已保存'", seconds=40)
    answers, revisions = live_server.run(lambda: stored(inspection_id))
    assert answers == 3 and revisions == 3  # each write once, although one batch arrived twice
    assert len(calls) >= 3
    # The retried batch carried the very same write UUIDs as the one whose reply was lost.
    import json

    sent = [json.loads(body)["answers"] for body in calls if body]
    lost, retried = sent[1], sent[2]
    assert {w["client_uuid"] for w in lost} <= {w["client_uuid"] for w in retried}
    assert [e for e in errors if "status of 500" not in e and "ERR_CONNECTION_RESET" not in e
            and "Failed to load resource" not in e] == []
