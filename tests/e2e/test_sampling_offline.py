"""An inspector samples a unit's register with no network: draws five carriers on the tablet, records one as not
compliant, reloads, comes back online; the server draws again from the recorded seed and gets the same five."""

import pytest
from sqlalchemy import select

from inspect_app.extensions import db
from inspect_app.models import Answer, SampleCheck, SampleDraw, SecretCarrier
from inspect_app.services import registers

from ..factories import make_inspection
from .conftest import SYNC_TEXT, login, wait_until, watch

pytestmark = pytest.mark.e2e

KEPT = "async () => (await (await caches.open('pages-v1')).keys()).map(r => new URL(r.url).pathname)"


def test_a_register_sampled_offline_reaches_the_server_as_drawn(live_server, tablet):
    inspection_id = live_server.run(lambda: make_inspection("DH-ZFB", templates=["carriers"]).id)
    page = tablet.new_page()
    errors = watch(page)
    login(page, live_server.url, "inspector")
    page.goto(f"{live_server.url}/inspections/{inspection_id}/fill")
    # The page and the unit's registers are kept on the tablet as soon as the page is opened.
    wait_until(page, f"async () => ({KEPT})().then(p => p.some(x => x.endsWith('/fill'))"
                     " && p.some(x => x.endsWith('/registers')))")
    wait_until(page, f"() => {SYNC_TEXT} === '已保存'")

    tablet.set_offline(True)
    form = page.locator("form.item:has(.sample[data-sample=carriers])")
    page.locator(f"[data-section-link='{form.get_attribute('data-section')}']").tap()
    form.locator("[data-sample-draw]").tap()
    entries = form.locator(".sample-entry")
    assert entries.count() == 5
    shown = [int(entries.nth(i).get_attribute("data-entry")) for i in range(5)]
    failed_number = entries.nth(1).locator(".sample-entry-name").inner_text().split()[0]
    entries.nth(0).locator("button[data-result=compliant]").tap()
    entries.nth(1).locator("button[data-result=noncompliant]").tap()
    entries.nth(1).locator(".sample-note").fill("未登记销毁")
    page.wait_for_timeout(1200)  # the note's autosave delay
    line = f"抽查涉密载体 5 条，1 条不符合：{failed_number}（未登记销毁）。"
    assert form.locator("textarea[name=finding_text]").input_value() == line
    assert form.locator("input[value=noncompliant]").is_checked()
    wait_until(page, f"() => {SYNC_TEXT} === '离线 — 1 条待同步'")

    page.reload()  # still offline: the page, its registers and the outbox come from the tablet
    wait_until(page, "() => document.querySelectorAll('.sample-entry').length === 5")
    entries = form.locator(".sample-entry")
    assert [int(entries.nth(i).get_attribute("data-entry")) for i in range(5)] == shown
    assert entries.nth(1).get_attribute("data-result") == "noncompliant"
    assert entries.nth(1).locator(".sample-note").input_value() == "未登记销毁"
    assert form.locator("textarea[name=finding_text]").input_value() == line
    assert live_server.run(lambda: db.session.scalars(select(SampleDraw)).all()) == []

    tablet.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    wait_until(page, f"() => {SYNC_TEXT} === '已保存'", seconds=20)

    def on_the_server():
        draw = db.session.scalar(select(SampleDraw).where(SampleDraw.inspection_id == inspection_id))
        population = db.session.scalars(select(SecretCarrier.id).where(SecretCarrier.unit_id == draw.unit_id)
                                         .order_by(SecretCarrier.id)).all()
        checks = {(c.entry_id, c.result, c.note) for c in db.session.scalars(select(SampleCheck))}
        answer = db.session.scalar(select(Answer).where(Answer.inspection_id == inspection_id,
                                                        Answer.item_id == draw.item_id))
        return (draw.population == list(population), registers.draw(draw.seed, draw.population, draw.size),
                [e["id"] for e in draw.entries], checks, answer.value, answer.finding_text)

    same_population, redrawn, stored, checks, value, finding = live_server.run(on_the_server)
    assert same_population and redrawn == stored == shown
    assert checks == {(shown[0], "compliant", None), (shown[1], "noncompliant", "未登记销毁")}
    assert (value, finding) == ("noncompliant", line)
    assert errors == []
