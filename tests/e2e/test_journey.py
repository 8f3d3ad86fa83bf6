"""The whole cycle in the browser, on tablets, once in Chinese and once in English: an inspector plans an
inspection and fills it, partly offline; signs and submits; reviews the findings and issues the notice; the
unit's officer answers with a photo; the inspector verifies and accepts; the leader sees the figures move
on the dashboard and downloads the period summary."""

from __future__ import annotations

import re
import subprocess

import pytest
from PIL import Image

from inspect_app.clock import local_today

from ..helpers import node
from .conftest import SYNC_STATE, login, sign_and_submit, wait_until, watch

pytestmark = pytest.mark.e2e




def figures(page, base: str) -> dict[str, int]:
    page.goto(f"{base}/dashboard")
    values = {}
    for key in ("inspections", "findings"):
        text = page.locator(f'.figure-value a[href*="show={key}&"], .figure-value a[href$="show={key}"]').first
        values[key] = int(re.sub(r"\D", "", text.inner_text()) or 0)
    return values


def network_version() -> int:
    from inspect_app.extensions import db
    from inspect_app.services import checklists

    return next(v.id for v in checklists.current_versions(db.session) if v.template.key == "network")


def set_language(page, base: str, language: str) -> None:
    if language == "en":
        page.locator("form.lang-switch button[value=en]").click()
        page.wait_for_load_state()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_whole_cycle(live_server, new_tablet, tmp_path, language):
    base = live_server.url
    photo = tmp_path / "evidence.jpg"
    Image.new("RGB", (1024, 768), "#446688").save(photo, "JPEG", quality=85)

    leader = new_tablet().new_page()
    leader_errors = watch(leader)
    login(leader, base, "leader")
    set_language(leader, base, language)
    before = figures(leader, base)

    # The inspector plans the inspection.
    inspector = new_tablet().new_page()
    inspector_errors = watch(inspector)
    login(inspector, base, "inspector")
    set_language(inspector, base, language)
    inspector.goto(f"{base}/inspections/new")
    inspector.select_option("#unit_id", label="西山县档案馆")
    inspector.select_option("#kind", value="special")
    inspector.select_option("#versions", value=str(live_server.run(network_version)))
    inspector.fill("#scheduled_on", local_today().isoformat())
    inspector.locator("form.card button.primary").click()
    inspector.wait_for_url(re.compile(r"/inspections/\d+$"))
    inspection_id = int(inspector.url.rsplit("/", 1)[1])

    # Fills it, half with the network down.
    inspector.goto(f"{base}/inspections/{inspection_id}/fill")
    wait_until(inspector, f"() => {SYNC_STATE} === 'saved'")
    forms = inspector.locator("form.item")
    count = forms.count()
    for index in range(count):
        if index == count // 2:
            inspector.context.set_offline(True)
        form = forms.nth(index)
        if not form.is_visible():
            inspector.locator(f"[data-section-link='{form.get_attribute('data-section')}']").tap()
        response = form.get_attribute("data-response")
        if response == "compliance":
            if index == 3:
                form.locator("label.choice-noncompliant").tap()
                form.locator("textarea[name=finding_text]").fill("档案库房一台涉密计算机连接过手机")
                form.locator("textarea[name=finding_text]").blur()
            else:
                form.locator("label.choice-compliant").tap()
        elif response == "number":
            form.locator("input[name=value]").fill("2")
            form.locator("input[name=value]").blur()
        elif response == "choice":
            form.locator("label.choice").first.tap()
        else:
            form.locator("textarea[name=value]").fill("现场查看正常")
            form.locator("textarea[name=value]").blur()
    wait_until(inspector, f"() => {SYNC_STATE} === 'offline'")
    inspector.context.set_offline(False)
    inspector.evaluate("() => window.dispatchEvent(new Event('online'))")
    wait_until(inspector, f"() => {SYNC_STATE} === 'saved'", seconds=30)

    # Signs and submits.
    sign_and_submit(inspector, base, inspection_id, "档案馆保密办主任")
    assert "档案库房一台涉密计算机连接过手机" in inspector.locator("#findings").inner_text()

    # Reviews the findings and issues the notice.
    inspector.goto(f"{base}/inspections/{inspection_id}/notice")
    inspector.locator("form.form-actions button.primary").click()
    inspector.wait_for_url(re.compile(r"/notices/\d+$"))
    number = inspector.locator("p.number").inner_text()

    # The unit's officer answers with a photo. (西山县档案馆 has no officer in the demo: the admin makes the
    # account, asking for the role, and the secadmin grants it from the notification.)
    admin = new_tablet().new_page()
    login(admin, base, "admin")
    admin.goto(f"{base}/admin/users/new")
    admin.fill("#username", f"dag-{language}")
    admin.fill("#display_name", "档案馆保密员")
    admin.select_option("#role", value="officer")
    admin.select_option("#org_node_id", value=str(live_server.run(lambda: node("XS-DAG").id)))
    admin.locator("form.card button.primary").click()
    temporary = admin.locator(".secret-value").inner_text()
    secadmin = new_tablet().new_page()
    login(secadmin, base, "secadmin")
    secadmin.goto(f"{base}/notifications")
    secadmin.locator("a.note-link", has_text=f"dag-{language}").first.click()
    secadmin.wait_for_url(re.compile(r"/rights/users/\d+$"))
    assert secadmin.locator("#role").input_value() == "officer"  # the role the admin asked for
    secadmin.locator("form.card button.primary").click()
    assert "单位保密员" in secadmin.locator(".flash-success").inner_text()
    officer = new_tablet().new_page()
    officer_errors = watch(officer)
    login(officer, base, f"dag-{language}", temporary)
    officer.fill("#current_password", temporary)
    officer.fill("#password", "Archive-Cabinet-42")
    officer.fill("#confirm", "Archive-Cabinet-42")
    officer.locator("form button.primary").click()
    set_language(officer, base, language)
    officer.goto(f"{base}/tickets")
    officer.locator("a.ticket-card", has_text=number).first.tap()
    officer.fill("#measures", "已断开手机连接，全员签订承诺书。")
    officer.fill("#responsible", "档案馆保密员")
    officer.fill("#completed_on", local_today().isoformat())
    officer.set_input_files("#files", str(photo))
    with officer.expect_navigation():
        officer.locator("#respond button[value=send]").tap()
    assert officer.locator("#respond").count() == 0  # sent: the unit now waits for the verification
    assert officer.locator(".timeline img").count() == 1
    ticket_url = officer.url.split("#")[0]

    # The inspector verifies and accepts.
    inspector.goto(ticket_url)
    inspector.locator("#accept-note").fill("现场复查，已整改到位。")
    inspector.locator('form[action$="/accept"] button[type=submit]').click()
    inspector.wait_for_load_state()
    inspector.goto(f"{base}/inspections/{inspection_id}")
    assert inspector.locator("#rectification").count() == 1

    # The leader sees the figures move.
    after = figures(leader, base)
    assert after["inspections"] == before["inspections"] + 1
    assert after["findings"] >= before["findings"] + 1

    # And downloads the period summary, which counts the new inspection too.
    href = leader.locator('a[href*="/documents/summary.pdf"]').get_attribute("href")
    pdf = leader.request.get(f"{base}{href}")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF-")
    path = tmp_path / "summary.pdf"
    path.write_bytes(pdf.body())
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "保密检查情况的通报" in text and "西山县档案馆" in text

    for errors in (leader_errors, inspector_errors, officer_errors):
        assert [e for e in errors if "Failed to load resource" not in e] == []
