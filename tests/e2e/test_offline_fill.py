"""An inspector fills a checklist with no network, reloads, comes back online, and submits."""

import pytest
from sqlalchemy import func, select

from inspect_app.extensions import db
from inspect_app.models import Answer, AnswerRevision, Attachment, Finding, Inspection

from ..factories import answer, default_value, jpeg, make_inspection
from .conftest import SYNC_TEXT, login, sign_and_submit, wait_until, watch

pytestmark = pytest.mark.e2e






def test_offline_answers_and_photo_survive_a_reload_and_reach_the_server_once(live_server, tablet, tmp_path):
    inspection_id = live_server.run(lambda: make_inspection("DH-FY", templates=["network"]).id)
    photo = tmp_path / "cabinet.jpg"
    photo.write_bytes(jpeg(1600, 1200))
    page = tablet.new_page()
    errors = watch(page)
    login(page, live_server.url, "inspector")
    page.goto(f"{live_server.url}/inspections/{inspection_id}/fill")
    # The service worker keeps a copy of the page as soon as it is opened.
    wait_until(page, "async () => (await (await caches.open('pages-v1')).keys()).some(r => r.url.includes('/fill'))")
    wait_until(page, f"() => {SYNC_TEXT} === '已保存'")

    tablet.set_offline(True)
    forms = page.locator("form.item[data-response=compliance]")
    keys = []
    for index in range(10):
        form = forms.nth(index)
        if not form.is_visible():  # the next section: one tap on its tab
            page.locator(f"[data-section-link='{form.get_attribute('data-section')}']").tap()
        keys.append(form.locator(".item-key").inner_text())
        if index == 3:
            form.locator("label.choice-noncompliant").tap()
            form.locator("textarea[name=finding_text]").fill("一台涉密计算机旁放有上网用U盘")
            form.locator("[data-photo-input]").set_input_files(str(photo))
            form.locator("figure.thumb").wait_for()
        else:
            form.locator("label.choice-compliant").tap()
    page.wait_for_timeout(1200)  # the finding text's autosave delay
    wait_until(page, f"() => {SYNC_TEXT} === '离线 — 11 条待同步'")

    page.reload()
    wait_until(page, f"() => {SYNC_TEXT}.includes('待同步')")
    assert forms.nth(3).locator("input[value=noncompliant]").is_checked()
    assert forms.nth(3).locator("textarea[name=finding_text]").input_value() == "一台涉密计算机旁放有上网用U盘"
    assert all(forms.nth(i).locator("input[value=compliant]").is_checked() for i in (0, 1, 2, 4, 9))
    assert forms.nth(3).locator("figure.thumb").count() == 1
    assert page.locator("[data-sync-state]").inner_text() == "离线 — 11 条待同步"
    assert live_server.run(lambda: db.session.scalar(
        select(func.count()).select_from(Answer).where(Answer.inspection_id == inspection_id))) == 0

    tablet.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    wait_until(page, f"() => {SYNC_TEXT} === '已保存'", seconds=20)

    def on_the_server():
        answers = db.session.scalars(select(Answer).where(Answer.inspection_id == inspection_id)).all()
        photos = db.session.scalars(select(Attachment).where(Attachment.kind == "photo",
                                                             Attachment.inspection_id == inspection_id)).all()
        revisions = db.session.scalar(select(func.count()).select_from(AnswerRevision)
                                      .where(AnswerRevision.inspection_id == inspection_id))
        return ([(a.item.key, a.value, a.revision, a.finding_text, a.item_id) for a in answers],
                [(p.item_id, p.width, p.size) for p in photos], revisions)

    answers, photos, revisions = live_server.run(on_the_server)
    assert sorted(key for key, *_ in answers) == sorted(keys)
    assert all(revision == 1 for _k, _v, revision, _f, _i in answers) and revisions == 10
    failing = next(a for a in answers if a[1] == "noncompliant")
    assert failing[3] == "一台涉密计算机旁放有上网用U盘"
    assert len(photos) == 1 and photos[0][0] == failing[4]
    assert photos[0][1] <= 1600 and photos[0][2] < photo.stat().st_size  # shrunk on the device

    # The rest of the checklist, then sign and submit on the tablet.
    def answer_the_rest():
        inspection = db.session.get(Inspection, inspection_id)
        for section in inspection.versions[0].sections:
            for item in section.items:
                if item.key not in keys:
                    answer(inspection, item.key, default_value(item))

    live_server.run(answer_the_rest)
    sign_and_submit(page, live_server.url, inspection_id, "法院保密办主任")
    assert "一台涉密计算机旁放有上网用U盘" in page.locator("#findings").inner_text()
    status, findings = live_server.run(lambda: (
        db.session.get(Inspection, inspection_id).status,
        db.session.scalar(select(func.count()).select_from(Finding).where(Finding.inspection_id == inspection_id))))
    assert (status, findings) == ("submitted", 1)
    assert errors == []


def test_the_login_page_drops_the_pages_and_photos_kept_for_whoever_used_the_tablet_before(live_server, tablet):
    inspection_id = live_server.run(lambda: make_inspection("DH-FY", templates=["network"]).id)
    page = tablet.new_page()
    errors = watch(page)
    login(page, live_server.url, "inspector")
    page.goto(f"{live_server.url}/inspections/{inspection_id}/fill")
    kept = "async () => (await (await caches.open('pages-v1')).keys()).map(r => new URL(r.url).pathname)"
    # The page, its data and its registers all kept, the page's work done, as on a tablet left behind. (Leaving
    # sooner raced the page's own requests still under way, whose copies were then kept after the login page.)
    wait_until(page, f"async () => ({kept})().then(paths => paths.length === 3)")
    tablet.clear_cookies()  # the session ends without a logout: it timed out, or the tab was left open
    page.goto(f"{live_server.url}/login")
    wait_until(page, f"async () => ({kept})().then(paths => paths.length === 0)")
    assert errors == []
