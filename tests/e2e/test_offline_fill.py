"""An inspector fills a checklist with no network, reloads, comes back online, and submits."""

import re

import pytest
from sqlalchemy import func, select

from inspect_app.extensions import db
from inspect_app.models import Answer, AnswerRevision, Attachment, Finding, Inspection

from ..factories import answer, jpeg, make_inspection
from .conftest import fresh_session, log_in

pytestmark = pytest.mark.e2e


def wait_until(page, function: str, seconds: float = 15) -> None:
    """Poll a function in the page. (Playwright's wait_for_function compiles strings, which the strict CSP
    refuses, as it should.)"""
    import time

    deadline = time.monotonic() + seconds
    while not page.evaluate(function):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {function}")
        page.wait_for_timeout(100)


def test_offline_answers_and_photo_survive_a_reload_and_reach_the_server_once(demo, live_server, tablet, tmp_path):
    inspection = make_inspection("DH-ZFB", templates=["network"])
    inspection_id = inspection.id
    photo = tmp_path / "cabinet.jpg"
    photo.write_bytes(jpeg(1600, 1200))
    page = tablet.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, live_server, "inspector")
    page.goto(f"{live_server.url}/inspections/{inspection_id}/fill")
    # The service worker takes the page under its wing: wait until it keeps a copy.
    wait_until(page, "async () => (await (await caches.open('pages-v1')).keys()).some(r => r.url.includes('/fill'))")
    status = page.locator("[data-sync-state]")
    wait_until(page, "() => document.querySelector('[data-sync-state]').textContent === '已保存'")

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
    wait_until(page, "() => document.querySelector('[data-sync-state]').textContent.includes('待同步')")
    page.wait_for_timeout(1200)  # the finding text's debounce
    assert re.fullmatch(r"离线 — \d+ 条待同步", status.inner_text())

    page.reload()
    wait_until(page, "() => document.querySelector('[data-sync-state]').textContent.includes('待同步')")
    assert forms.nth(3).locator("input[value=noncompliant]").is_checked()
    assert forms.nth(3).locator("textarea[name=finding_text]").input_value() == "一台涉密计算机旁放有上网用U盘"
    assert all(forms.nth(i).locator("input[value=compliant]").is_checked() for i in (0, 1, 2, 4, 9))
    assert forms.nth(3).locator("figure.thumb").count() == 1
    assert status.inner_text() == "离线 — 11 条待同步"
    fresh_session()
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 0

    tablet.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_until(page, "() => document.querySelector('[data-sync-state]').textContent === '已保存'", seconds=20)
    fresh_session()
    answers = db.session.scalars(select(Answer).where(Answer.inspection_id == inspection_id)).all()
    assert sorted(a.item.key for a in answers) == sorted(keys)
    assert all(a.revision == 1 for a in answers)
    assert db.session.scalar(select(func.count()).select_from(AnswerRevision)) == 10
    failing = next(a for a in answers if a.value == "noncompliant")
    assert failing.finding_text == "一台涉密计算机旁放有上网用U盘"
    photos = db.session.scalars(select(Attachment).where(Attachment.kind == "photo")).all()
    assert len(photos) == 1 and photos[0].item_id == failing.item_id
    assert photos[0].width <= 1600 and photos[0].size < photo.stat().st_size  # shrunk on the device

    # The rest of the checklist, then sign and submit on the tablet.
    inspection = db.session.get(Inspection, inspection_id)
    for item in inspection.versions[0].sections:
        for entry in item.items:
            if entry.key not in keys:
                answer(inspection, entry.key, "0" if entry.response == "number" else
                       ("compliant" if entry.response == "compliance" else None) or
                       (entry.choices[0]["key"] if entry.choices else "现场查看正常"))
    page.goto(f"{live_server.url}/inspections/{inspection_id}/submit")
    for role in ("lead", "unit"):
        pad = page.locator(f"canvas[data-pad={role}]")
        box = pad.bounding_box()
        page.mouse.move(box["x"] + 40, box["y"] + 120)
        page.mouse.down()
        for step in range(1, 12):
            page.mouse.move(box["x"] + 40 + step * 40, box["y"] + 120 + (30 if step % 2 else -30))
        page.mouse.up()
    page.fill("input[name=unit_name]", "赵丽华")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("form[data-sign-form] button.primary")
    page.wait_for_url(re.compile(rf"/inspections/{inspection_id}(#findings)?$"))
    assert "发现的问题（1）" in page.content()
    assert "一台涉密计算机旁放有上网用U盘" in page.locator("#findings").inner_text()
    fresh_session()
    assert db.session.get(Inspection, inspection_id).status == "submitted"
    assert db.session.scalar(select(func.count()).select_from(Finding)) == 1
    assert errors == []
