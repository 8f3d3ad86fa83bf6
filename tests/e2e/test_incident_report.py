"""An officer on a trip reports a lost classified USB drive from the tablet: the browser's own time zone is chosen
for the times, the 24-hour deadline shows in Beijing time as soon as the time found is entered, text that looks
classified is refused until the officer confirms it holds no secret, and the report lands on its page on time;
the district's inspector hears of it at once."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from .conftest import TABLET, login, watch

REPORTER_ZONE = "Europe/Berlin"


@pytest.mark.e2e
def test_an_officer_reports_a_lost_usb_drive_from_the_tablet(live_server, chromium, new_tablet, tmp_path):
    base = live_server.url
    context = chromium.new_context(viewport=TABLET, has_touch=True, locale="zh-CN", timezone_id=REPORTER_ZONE)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        errors = watch(page)
        login(page, base, "officer")

        page.get_by_role("navigation", name="主导航").get_by_role("link", name="事件").tap()
        page.wait_for_url(re.compile(r"/incidents$"))
        page.get_by_role("link", name="报告事件").first.tap()
        page.wait_for_url(re.compile(r"/incidents/new$"))
        assert page.locator("select[name=zone]").input_value() == REPORTER_ZONE  # the tablet's own zone

        found = (datetime.now(ZoneInfo(REPORTER_ZONE)) - timedelta(hours=2)).replace(second=0, microsecond=0)
        due = (found + timedelta(hours=24)).astimezone(ZoneInfo("Asia/Shanghai"))
        page.get_by_label("泄密事件", exact=True).check()
        page.fill("#title", "出差途中涉密U盘遗失")
        page.select_option("#carrier", "removable")
        page.select_option("#level", "secret")
        page.fill("#quantity", "1")
        page.fill("#found_at", found.strftime("%Y-%m-%dT%H:%M"))
        page.locator("#found_at").dispatch_event("change")
        assert due.strftime("%H:%M") in page.locator("[data-deadline]").inner_text()
        assert due.strftime("%d") in page.locator("[data-deadline]").inner_text()
        page.fill("#involved", "涉密U盘1个，标有机密★5年")
        page.fill("#description", "在酒店整理随身物品时发现装有工作资料的涉密U盘不见了。")
        page.fill("#persons", "随行工作人员")
        page.fill("#remedies", "已报酒店和当地警方协助查找，通知单位封存相关台账。")
        photo = tmp_path / "scene.jpg"
        Image.new("RGB", (1024, 768), "#557799").save(photo, "JPEG", quality=85)
        page.set_input_files("#files", str(photo))
        page.get_by_role("button", name="报告", exact=True).tap()

        # The mark in the text is caught; the form comes back as typed, with the confirmation to tick.
        page.get_by_text("内容中出现了疑似密级标志").wait_for()
        assert page.locator("#title").input_value() == "出差途中涉密U盘遗失"
        assert page.locator("select[name=zone]").input_value() == REPORTER_ZONE
        page.fill("#involved", "涉密U盘1个（只记名称）")
        page.locator("input[name=confirm_unclassified]").check()
        page.set_input_files("#files", str(photo))
        page.get_by_role("button", name="报告", exact=True).tap()

        page.wait_for_url(re.compile(r"/incidents/\d+$"))
        page.get_by_text("事件已报告，保密局已收到。").wait_for()
        head = page.locator(".ticket-head .chips").inner_text()
        assert "已报告" in head and "按时报告" in head
        report = page.locator("#report").inner_text()
        assert f"报告人所在地 {REPORTER_ZONE}：{found.strftime('%Y-%m-%d %H:%M')}" in report
        assert due.strftime("%Y-%m-%d %H:%M") in report  # the deadline, in Beijing time
        assert page.locator("#timeline img").count() == 1
        # The one error in the console is the refused post itself (422); no script or style was blocked.
        assert [e for e in errors if "status of 422" not in e] == []
    finally:
        context.close()

    # The district's inspector hears of it at once, and opens the case from the notification.
    inspector = new_tablet().new_page()
    inspector_errors = watch(inspector)
    login(inspector, base, "inspector2")
    inspector.goto(f"{base}/notifications")
    inspector.get_by_text("东湖区人民政府办公室 发生泄密事件“出差途中涉密U盘遗失”", exact=False).first.tap()
    inspector.wait_for_url(re.compile(r"/incidents/\d+$"))
    inspector.get_by_role("button", name="开始调查").wait_for()
    assert inspector_errors == []
