"""What a tablet does when the session ends mid-shift, and when two team members answer the same item."""

import time

import pytest
from sqlalchemy import select

from inspect_app.extensions import db
from inspect_app.models import Answer, User
from inspect_app.services.accounts import sessions

from ..factories import make_inspection
from .conftest import SYNC_TEXT, login, wait_until, watch

pytestmark = pytest.mark.e2e


def eventually(check, seconds: float = 15):
    """Poll a condition on the server's database until it holds."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.2)


def answers(inspection_id: int) -> dict[str, tuple[str, str | None, int]]:
    return {a.item.key: (a.value, a.finding_text, a.revision)
            for a in db.session.scalars(select(Answer).where(Answer.inspection_id == inspection_id))}


def test_a_session_that_ends_keeps_the_queue_until_the_user_logs_in_again(live_server, tablet):
    inspection_id = live_server.run(lambda: make_inspection("DH-JYJ", templates=["network"]).id)
    page = tablet.new_page()
    errors = watch(page)
    login(page, live_server.url, "inspector")
    page.goto(f"{live_server.url}/inspections/{inspection_id}/fill")
    wait_until(page, f"() => {SYNC_TEXT} === '已保存'")

    # Offline for a while; meanwhile the session ends on the server (say, the idle timeout).
    tablet.set_offline(True)
    first = page.locator("form.item[data-response=compliance]").first
    first.locator("label.choice-partial").tap()
    first.locator("textarea[name=finding_text]").fill("部分终端未检查")
    page.wait_for_timeout(1000)

    def end_sessions():
        inspector = db.session.scalar(select(User).where(User.username == "inspector"))
        from inspect_app.database import transaction

        with transaction(db.session):
            sessions.end_user_sessions(db.session, inspector, "idle")

    live_server.run(end_sessions)
    tablet.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    wait_until(page, "() => document.querySelector('[data-sync-text] a') !== null")
    assert "重新登录" in page.locator("[data-sync-text]").inner_text()
    # The bar redraws itself often (each change event, each online/offline); the link must stay the same
    # element, or a tap that blurs the note field lands on a link that is no longer there.
    page.evaluate("() => { window.loginLink = document.querySelector('[data-sync-text] a');"
                  " window.dispatchEvent(new Event('offline')); }")
    page.wait_for_timeout(300)
    assert page.evaluate("() => document.querySelector('[data-sync-text] a') === window.loginLink")
    assert live_server.run(lambda: answers(inspection_id)) == {}

    # Logging in again brings the user back to the page, and the queue goes out.
    page.locator("[data-sync-text] a").click()
    page.fill("#username", "inspector")
    page.fill("#password", "Demo@2026")
    page.click("button.primary")
    page.wait_for_url(f"**/inspections/{inspection_id}/fill")
    saved = eventually(lambda: live_server.run(lambda: answers(inspection_id)))
    assert list(saved.values()) == [("partial", "部分终端未检查", 1)]
    wait_until(page, f"() => {SYNC_TEXT} === '已保存'")
    # The refused API requests (and those the navigation to the login page cut short) show in the console
    # as failed loads; nothing else may.
    assert [e for e in errors if not ("Failed to load resource" in e and "/api/v1/" in e)] == []


def test_two_members_answering_one_item_see_the_conflict_and_choose(live_server, new_tablet):
    inspection_id = live_server.run(lambda: make_inspection("DH-JYJ", templates=["network"],
                                                            members=["inspector2"]).id)
    lead, member = new_tablet().new_page(), new_tablet().new_page()
    errors = watch(lead) + watch(member)
    for page, username in ((lead, "inspector"), (member, "inspector2")):
        login(page, live_server.url, username)
        page.goto(f"{live_server.url}/inspections/{inspection_id}/fill")
        wait_until(page, f"() => {SYNC_TEXT} === '已保存'")
    first = "form.item[data-response=compliance]"

    member.locator(first).first.locator("label.choice-compliant").tap()
    wait_until(member, f"() => {SYNC_TEXT} === '已保存'")
    # The lead's page was loaded before: the same item, answered differently.
    lead_item = lead.locator(first).first
    lead_item.locator("label.choice-noncompliant").tap()
    lead_item.locator("textarea[name=finding_text]").fill("发现一台机器接入互联网")
    conflict = lead_item.locator(".conflict")
    conflict.wait_for()
    assert "符合" in conflict.inner_text() or "compliant" in conflict.inner_text()
    conflict.get_by_role("button", name="保留我的答案").tap()
    saved = eventually(lambda: [a for a in live_server.run(lambda: answers(inspection_id)).values() if a[1]])
    ((value, finding, revision),) = saved
    assert (value, finding) == ("noncompliant", "发现一台机器接入互联网") and revision >= 2
    assert [e for e in errors if "status of 409" not in e] == []
