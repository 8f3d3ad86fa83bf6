"""The rectification loop in a real browser on a tablet: the inspector issues the notice, the officer answers
with a photo, the inspector returns it with a reason, the officer answers again, the inspector accepts, and the
inspection is closed."""

import re

import pytest
from PIL import Image

from .conftest import login, watch


def _submitted_inspection() -> int:
    from tests.factories import submitted_inspection

    inspection, _findings = submitted_inspection("DH-ZFB", failing={"F3": "noncompliant"})
    return inspection.id


def _photo(path, colour):
    Image.new("RGB", (1024, 768), colour).save(path, "JPEG", quality=85)
    return str(path)


@pytest.mark.e2e
def test_issue_respond_return_respond_accept_close(live_server, new_tablet, tmp_path):
    from inspect_app.clock import local_today

    inspection_id = live_server.run(_submitted_inspection)
    base = live_server.url
    today = live_server.run(local_today).isoformat()

    inspector = new_tablet().new_page()
    inspector_errors = watch(inspector)
    login(inspector, base, "inspector")

    # The inspector finds the submitted inspection waiting, reviews it and issues the notice.
    inspector.goto(f"{base}/tickets")
    inspector.get_by_text("待下发整改通知").wait_for()
    inspector.locator(f'a[href="/inspections/{inspection_id}/findings"]').tap()
    inspector.get_by_role("heading", name="审核检查发现的问题").wait_for()
    inspector.get_by_role("link", name="下一步：预览并下发整改通知").first.tap()
    inspector.get_by_role("button", name="下发整改通知书").tap()
    inspector.wait_for_url(re.compile(r"/notices/\d+$"))
    number = inspector.locator("p.number").inner_text()
    assert re.fullmatch(r"宝保检〔\d{4}〕\d+号", number)  # the demo has issued some this year already
    notice_url = inspector.url

    # The officer logs in, opens the ticket and answers with a photo.
    officer = new_tablet().new_page()
    officer_errors = watch(officer)
    login(officer, base, "officer")
    officer.goto(f"{base}/tickets")
    officer.locator("a.ticket-card", has_text=number).tap()  # the demo unit has its own 自查 items too
    officer.wait_for_url(re.compile(r"/tickets/\d+$"))
    ticket_url = officer.url

    def answer(measures: str, photo: str) -> None:
        officer.fill("#measures", measures)
        officer.fill("#responsible", "赵丽华")
        officer.fill("#completed_on", today)
        officer.set_input_files("#files", photo)
        officer.get_by_role("button", name="报送", exact=True).tap()
        officer.get_by_text("整改情况已报送，等待检查机关复查。").wait_for()

    answer("已拆除违规连接，涉密U盘专管专用。", _photo(tmp_path / "first.jpg", "#335577"))
    assert officer.locator(".timeline img").count() == 1

    # The inspector returns it with a reason.
    inspector.goto(f"{base}/tickets")
    inspector.locator("a.ticket-card", has_text=number).first.tap()
    inspector.get_by_text("单位已报送整改情况，请复查").wait_for()
    inspector.fill("#return-reason", "照片未体现U盘登记台账，请补充。")
    inspector.get_by_role("button", name="退回重改").tap()
    inspector.get_by_text("已退回，单位将收到退回理由。").wait_for()

    # The officer sees why and answers again.
    officer.goto(ticket_url)
    officer.get_by_text("退回理由：照片未体现U盘登记台账，请补充。").wait_for()
    answer("已补充U盘登记台账，并拍照。", _photo(tmp_path / "second.jpg", "#557733"))

    # The inspector accepts; the inspection is closed.
    inspector.goto(ticket_url)
    inspector.get_by_role("button", name="复查通过，销号").tap()
    inspector.get_by_text("已复查通过，整改事项销号。").wait_for()
    inspector.goto(notice_url)
    assert inspector.locator(".page-head .chip").inner_text() == "已办结"
    assert "1 / 1 项已销号或撤销" in inspector.content()

    assert inspector_errors == [] and officer_errors == []
