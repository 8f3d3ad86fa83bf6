"""The fill page on a portrait tablet: answered items fold to one line so a screen holds many of them, the
answer buttons stay as big, and a photo that is refused or cannot be opened says so on its item, in the
user's language, which does not read as saved until its photo is on the server."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from inspect_app.extensions import db
from inspect_app.models import Attachment, Inspection

from ..factories import answer, default_value, jpeg, make_inspection
from .conftest import SYNC_TEXT, login, wait_until, watch

pytestmark = pytest.mark.e2e

ITEM_STATE = "(id) => document.querySelector(`#item-${id} [data-item-state]`).textContent"


def _inspection_with_answers(live_server, answered_sections: int = 2) -> int:
    def make():
        inspection = make_inspection("DH-FY", templates=["network"])
        for section in inspection.versions[0].sections[:answered_sections]:
            for item in section.items:
                answer(inspection, item.key, default_value(item))
        return inspection.id

    return live_server.run(make)


def _open_fill(page, base: str, inspection_id: int, section_index: int = 0) -> None:
    page.goto(f"{base}/inspections/{inspection_id}/fill")
    wait_until(page, f"() => {SYNC_TEXT} === '已保存' || {SYNC_TEXT} === 'Saved'")
    if section_index:
        page.locator("[data-section-link]").nth(section_index).tap()


def test_answered_items_fold_to_one_line_and_six_fit_a_screen(live_server, tablet, tmp_path):
    inspection_id = _inspection_with_answers(live_server)
    page = tablet.new_page()
    errors = watch(page)
    login(page, live_server.url, "inspector")
    _open_fill(page, live_server.url, inspection_id, section_index=1)
    section = page.locator("section.fill-section:not([hidden])")
    items = section.locator("form.item")
    assert items.count() >= 6
    assert section.locator("form.item.folded").count() == items.count()
    page.evaluate("() => window.scrollTo(0, 0)")
    on_screen = page.evaluate("""() => [...document.querySelectorAll("section.fill-section:not([hidden]) form.folded")]
      .filter((f) => { const r = f.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }).length""")
    assert on_screen >= 6, f"{on_screen} answered items on one 820×1180 screen"

    # One line: the item's text, its answer, no buttons; tall enough for a finger.
    compliance = section.locator("form.item[data-response=compliance]")
    first = compliance.first
    line = first.locator(".item-summary")
    box = line.bounding_box()
    assert 44 <= box["height"] <= 64
    assert line.locator(".summary-answer").inner_text() == "符合"
    assert first.locator(".item-text").inner_text().startswith(line.locator(".summary-text").inner_text()[:10])
    assert not first.locator("label.choice-compliant").is_visible()

    # A tap opens it whole, with the answer buttons as big as on an unanswered item.
    line.tap()
    assert first.locator("label.choice-compliant").is_visible()
    assert first.locator("input[value=compliant]").is_checked()
    assert first.locator("label.choice span").first.bounding_box()["height"] >= 56
    # Changing its answer keeps it open; the one left before it folds when another item is answered.
    first.locator("label.choice-partial").tap()
    first.locator("textarea[name=finding_text]").fill("台账中有两台计算机的责任人空缺")
    wait_until(page, f"() => ({ITEM_STATE})({first.get_attribute('data-item')}) === '已保存'", seconds=15)
    assert not first.evaluate("(f) => f.classList.contains('folded')")
    second = compliance.nth(1)
    second.locator(".item-summary").tap()
    second.locator("label.choice-noncompliant").tap()
    assert first.evaluate("(f) => f.classList.contains('folded')")
    assert first.locator(".summary-answer").inner_text() == "基本符合"
    # Unfinished (no finding text yet), so it stays open.
    assert not second.evaluate("(f) => f.classList.contains('folded')")

    # An unanswered item shows everything.
    page.locator("[data-section-link]").nth(2).tap()
    fresh = page.locator("section.fill-section:not([hidden]) form.item").first
    assert fresh.locator("label.choice span").first.bounding_box()["height"] >= 56
    assert not fresh.locator(".item-summary").is_visible()
    assert errors == []


def test_a_photo_in_the_slot_counts_on_the_folded_line_and_the_item_is_saved_only_with_it(live_server, tablet,
                                                                                        tmp_path):
    inspection_id = _inspection_with_answers(live_server, answered_sections=1)
    photo = tmp_path / "cabinet.jpg"
    photo.write_bytes(jpeg(1200, 900))
    page = tablet.new_page()
    errors = watch(page)
    login(page, live_server.url, "inspector")
    _open_fill(page, live_server.url, inspection_id)
    form = page.locator("section.fill-section:not([hidden]) form.item").first
    item_id = form.get_attribute("data-item")
    form.locator(".item-summary").tap()

    tablet.set_offline(True)
    form.locator("[data-photo-input]").set_input_files(str(photo))
    form.locator("figure.thumb").wait_for()
    assert page.evaluate(ITEM_STATE, item_id) == "照片待上传"
    assert form.get_attribute("data-state") != "saved"
    tablet.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    wait_until(page, f"() => ({ITEM_STATE})({item_id}) === '已保存'", seconds=20)
    stored = live_server.run(lambda: db.session.scalar(select(func.count()).select_from(Attachment).where(
        Attachment.inspection_id == inspection_id, Attachment.item_id == int(item_id))))
    assert stored == 1

    page.reload()
    wait_until(page, f"() => {SYNC_TEXT} === '已保存'")
    assert form.evaluate("(f) => f.classList.contains('folded')")
    assert form.locator(".summary-photos").inner_text() == "照片 1 张"
    assert errors == []


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_file_that_is_not_a_photo_or_cannot_be_opened_says_so_and_is_not_saved(live_server, tablet, language):
    inspection_id = live_server.run(lambda: make_inspection("DH-FY", templates=["network"]).id)
    page = tablet.new_page()
    errors = watch(page)
    login(page, live_server.url, "inspector")
    if language == "en":
        page.locator("form.lang-switch button[value=en]").click()
        page.wait_for_load_state()
    _open_fill(page, live_server.url, inspection_id)
    form = page.locator("section.fill-section:not([hidden]) form.item").first
    item_id = form.get_attribute("data-item")
    form.locator("label.choice-compliant").tap()
    saved = "已保存" if language == "zh" else "Saved"
    wait_until(page, f"() => ({ITEM_STATE})({item_id}) === {saved!r}", seconds=15)

    words = {
        "zh": ("这个文件不是照片", "这张照片无法打开", "照片没有保存"),
        "en": ("not a photo", "cannot be opened", "Photo not saved"),
    }[language]
    form.locator("[data-photo-input]").set_input_files(
        {"name": "minutes.txt", "mimeType": "text/plain", "buffer": "会议纪要".encode()})
    form.locator(".photo-error").wait_for()
    assert words[0] in form.locator(".photo-error").inner_text()
    assert page.evaluate(ITEM_STATE, item_id) == words[2]
    assert form.get_attribute("data-state") == "error"
    assert form.locator("figure.thumb").count() == 0

    # A file that claims to be a JPEG but holds no picture.
    form.locator("[data-photo-input]").set_input_files(
        {"name": "IMG_0042.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8\xff\xe0 not really a picture"})
    wait_until(page, f"() => document.querySelector('#item-{item_id} .photo-error').textContent.includes({words[1]!r})")
    assert page.evaluate(ITEM_STATE, item_id) == words[2]
    assert not form.evaluate("(f) => f.classList.contains('folded')")  # it waits for the user, open
    stored = live_server.run(lambda: db.session.scalar(select(func.count()).select_from(Attachment).where(
        Attachment.inspection_id == inspection_id)))
    assert stored == 0
    pending = page.locator("[data-sync-state]").get_attribute("data-sync-state")
    assert pending == "saved"  # nothing waits in the outbox: the file was kept nowhere
    assert errors == []


def test_a_photo_the_server_refuses_says_why_on_its_item_until_taken_away(live_server, tablet):
    def make():
        inspection = make_inspection("DH-FY", templates=["network"])
        first = inspection.versions[0].sections[0].items[0]
        answer(inspection, first.key, default_value(first))
        return inspection.id

    inspection_id = live_server.run(make)
    live_server.app.config["ATTACHMENT_MAX_BYTES"] = 4 * 1024  # the server takes photos up to 4 KB only
    page = tablet.new_page()
    errors = watch(page)
    login(page, live_server.url, "inspector")
    _open_fill(page, live_server.url, inspection_id)
    form = page.locator("section.fill-section:not([hidden]) form.item").first
    item_id = form.get_attribute("data-item")
    form.locator(".item-summary").tap()
    page.set_input_files(f"#item-{item_id} [data-photo-input]",
                         {"name": "cabinet.jpg", "mimeType": "image/jpeg", "buffer": jpeg(1200, 900, "#7a3a4a")})
    wait_until(page, f"() => ({ITEM_STATE})({item_id}).includes('文件过大')", seconds=20)
    assert form.get_attribute("data-state") == "error"
    assert "文件过大" in form.locator("figure.thumb figcaption").inner_text()
    assert not form.evaluate("(f) => f.classList.contains('folded')")

    # Still there after a reload, with the reason; taken away, the item reads as saved again.
    page.reload()
    wait_until(page, f"() => ({ITEM_STATE})({item_id}).includes('文件过大')", seconds=20)
    form.locator("[data-drop-photo]").tap()
    wait_until(page, f"() => ({ITEM_STATE})({item_id}) === '已保存'")
    assert form.locator("figure.thumb").count() == 0
    assert live_server.run(lambda: db.session.scalar(select(func.count()).select_from(Attachment).where(
        Attachment.inspection_id == inspection_id))) == 0
    assert live_server.run(lambda: db.session.get(Inspection, inspection_id).status) == "in_progress"
    assert errors == [] or all("413" in e or "400" in e or "422" in e for e in errors)
