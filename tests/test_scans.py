"""Technical inspection results: the scan file (JSON and CSV, version 1), pushed by a tool or uploaded on the
inspection page, stored once however often it is sent; each failing check proposes 不符合 on the item the
checklist's mapping table gives it, for the team to confirm or reject on the fill page."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import threading
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from werkzeug.serving import make_server

from inspect_app.extensions import db
from inspect_app.models import (
    Answer,
    AuditRecord,
    Inspection,
    Notification,
    ProposalStatus,
    ProposedAnswer,
    Scan,
    ScanCheck,
    ScanResult,
)
from inspect_app.services import scans
from inspect_app.services.checklists.schema import load_text

from .factories import answer, answer_all, make_inspection, submit
from .helpers import Machine, issue_token, node, user

LIBRARY = Path(__file__).resolve().parent.parent / "checklists"
TOOLS = LIBRARY.parent / "tools"
MAPPING = {row["check"]: row["item"] for row in
           yaml.safe_load((LIBRARY / "network.yaml").read_text(encoding="utf-8"))["technical_checks"]}
WHEN = "2026-01-05T02:30:00Z"


def scan_file(*results, scan_id: str = "KIT-20260105-01", unit_code: str | None = "DH-ZFB") -> dict:
    """A scan of devices; each result is (device id, check, result[, detail])."""
    devices: dict[str, dict] = {}
    for device, check, outcome, *detail in results:
        entry = devices.setdefault(device, {"device_id": device, "asset_number": f"ZC-{device}", "results": []})
        entry["results"].append({"check": check, "result": outcome, "detail": detail[0] if detail else None,
                                 "scanned_at": WHEN})
    return {"format": "inspect-scan", "version": 1, "scan_id": scan_id, "unit_code": unit_code,
            "tool": {"name": "计算机终端保密检查系统", "version": "5.2"}, "devices": list(devices.values())}


def as_csv(scan: dict) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(scans.format.CSV_COLUMNS)
    for device in scan["devices"]:
        for r in device["results"]:
            writer.writerow([scan["version"], scan["scan_id"], scan["tool"]["name"], scan["tool"]["version"],
                             scan["unit_code"] or "", device["device_id"], device.get("asset_number") or "", "",
                             r["check"], r["result"], r["detail"] or "", r.get("evidence_sha256") or "",
                             r["scanned_at"]])
    return out.getvalue().encode()


@pytest.fixture
def kit(app, demo) -> Machine:
    return Machine(app, issue_token("dh-tech-kit", "BC-DH", "scans.import", "inspections.read"))


def push(machine: Machine, inspection, scan: dict, query: str = ""):
    return machine.send_json("POST", f"/api/v1/inspections/{inspection.id}/scans{query}", scan)


def proposals(inspection) -> dict[str, ProposedAnswer]:
    rows = db.session.scalars(select(ProposedAnswer).where(ProposedAnswer.inspection_id == inspection.id))
    return {p.item.key: p for p in rows}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# The mapping ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("check", list(ScanCheck))
def test_each_kind_of_failing_result_proposes_noncompliance_on_its_item(kit, check):
    assert check.value in MAPPING, "every check of the format is mapped in the network checklist"
    inspection = make_inspection("DH-ZFB", templates=["network", "carriers"])
    response = push(kit, inspection, scan_file(("PC-01", check, "fail", "工具记录的情况"),
                                               ("PC-02", check, "pass"), ("PC-03", check, "error")))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert {r["item_key"] for r in body["results"]} == {MAPPING[check]}
    found = proposals(inspection)
    assert list(found) == [MAPPING[check]]
    proposal = found[MAPPING[check]]
    assert proposal.status == ProposalStatus.PENDING and "PC-01（资产编号ZC-PC-01）" in proposal.finding_text
    assert "PC-02" not in proposal.finding_text and "PC-03" not in proposal.finding_text
    assert "计算机终端保密检查系统 5.2" in proposal.note and "工具记录的情况" in proposal.note
    assert "台账" not in proposal.note  # the unit keeps no 涉密设备 register here
    assert count(Answer) == 0  # nothing is answered until the inspector confirms


def test_a_device_in_the_units_register_is_named_as_the_register_has_it(kit):
    from inspect_app.services import registers

    registers.create_entry(db.session, user("officer"), node("DH-ZFB"), registers.REGISTERS["devices"],
                           {"number": "ZC-PC-01", "kind": "desktop", "level": "secret", "location": "机要室",
                            "responsible": "陈晓东", "dedicated": "yes", "state": "in_use"})
    inspection = make_inspection("DH-ZFB")
    response = push(kit, inspection, scan_file(("PC-01", "usb_storage", "fail"), ("PC-09", "usb_storage", "fail")))
    assert response.status_code == 201, response.get_json()
    note = proposals(inspection)[MAPPING["usb_storage"]].note
    lines = {line.split("：")[0]: line for line in note.splitlines()}
    assert "（台账：ZC-PC-01 涉密台式计算机，机密，机要室，责任人陈晓东）" in lines["- PC-01（资产编号ZC-PC-01）"]
    assert "台账" not in lines["- PC-09（资产编号ZC-PC-09）"]  # not in the register: nothing is made up


def test_checks_mapped_to_one_item_make_one_proposal_naming_both(kit):
    inspection = make_inspection("DH-ZFB")
    push(kit, inspection, scan_file(("PC-01", "security_software", "fail", "主机监控程序未运行"),
                                    ("PC-02", "unapproved_software", "fail", "远程控制软件"),
                                    ("PC-02", "usb_storage", "fail")))
    found = proposals(inspection)
    assert sorted(found) == ["F3", "F6"]
    assert "安全保密程序未运行或被卸载" in found["F6"].finding_text
    assert "安装了未经批准的软件" in found["F6"].finding_text


def test_a_scan_of_an_inspection_without_mapped_checklists_keeps_its_results_only(kit):
    inspection = make_inspection("DH-ZFB", templates=["carriers"])
    body = push(kit, inspection, scan_file(("PC-01", "internet_connection", "fail"))).get_json()
    assert body["results"][0]["item_key"] is None and body["proposals"] == []
    assert count(ScanResult) == 1 and count(ProposedAnswer) == 0


# Sent once, stored once -------------------------------------------------------------------------------------


def test_a_scan_sent_again_is_stored_once_as_json_or_csv(kit):
    inspection = make_inspection("DH-ZFB")
    scan = scan_file(("PC-01", "usb_storage", "fail", "U盘交叉使用"), ("PC-02", "dual_use", "pass"))
    first = push(kit, inspection, scan)
    again = push(kit, inspection, scan)
    as_table = kit.post_data(f"/api/v1/inspections/{inspection.id}/scans", as_csv(scan), "text/csv")
    assert (first.status_code, again.status_code, as_table.status_code) == (201, 200, 200)
    assert first.get_json()["id"] == again.get_json()["id"] == as_table.get_json()["id"]
    assert (count(Scan), count(ScanResult), count(ProposedAnswer)) == (1, 2, 1)
    assert len(db.session.scalars(select(AuditRecord).where(AuditRecord.action == "scan.import")).all()) == 1
    other = push(kit, inspection, scan_file(("PC-01", "usb_storage", "pass")))
    assert (other.status_code, other.get_json()["error"]) == (409, "conflict")
    assert count(Scan) == 1


def test_the_same_scan_id_in_another_inspection_is_that_inspections_own(kit):
    first, second = make_inspection("DH-ZFB"), make_inspection("DH-JYJ", lead="inspector2")
    assert push(kit, first, scan_file(("PC-01", "usb_storage", "fail"))).status_code == 201
    assert push(kit, second, scan_file(("PC-01", "usb_storage", "fail"), unit_code="DH-JYJ")).status_code == 201
    assert count(Scan) == 2


def test_a_locked_inspection_takes_no_new_scan_but_answers_a_resend(kit):
    inspection = make_inspection("DH-ZFB")
    scan = scan_file(("PC-01", "wireless_device", "pass"))
    push(kit, inspection, scan)
    inspection = db.session.get(Inspection, inspection.id)  # afresh: the request ended the test's session
    answer_all(inspection)
    submit(inspection)
    assert push(kit, inspection, scan).status_code == 200
    late = push(kit, inspection, scan_file(("PC-01", "wireless_device", "pass"), scan_id="LATE"))
    assert (late.status_code, late.get_json()["error"]) == (409, "conflict")


def test_a_scan_of_another_unit_and_a_person_off_the_team_are_refused(kit, browser_for):
    inspection = make_inspection("DH-ZFB")
    wrong = push(kit, inspection, scan_file(("PC-01", "dual_use", "pass"), unit_code="DH-JYJ"))
    assert wrong.status_code == 400 and "DH-JYJ" in wrong.get_json()["detail"]
    stranger = browser_for("inspector2")  # sees the inspection, is not on its team
    refused = stranger.send_json("POST", f"/api/v1/inspections/{inspection.id}/scans",
                                 scan_file(("PC-01", "dual_use", "pass")))
    assert (refused.status_code, refused.get_json()["error"]) == (403, "forbidden")
    assert browser_for("leader").send_json("POST", f"/api/v1/inspections/{inspection.id}/scans",
                                           scan_file(("PC-01", "dual_use", "pass"))).status_code == 403
    assert count(Scan) == 0


def test_text_that_looks_classified_is_kept_only_once_confirmed(kit):
    inspection = make_inspection("DH-ZFB")
    scan = scan_file(("PC-BGS-05", "classified_content", "fail", "命中文件“机密★10年 会议纪要.docx”"))
    flagged = push(kit, inspection, scan)
    assert (flagged.status_code, flagged.get_json()["error"]) == (422, "needs_confirmation")
    assert count(Scan) == 0
    confirmed = push(kit, inspection, scan, "?confirm_unclassified=true")
    assert confirmed.status_code == 201
    record = db.session.scalar(select(AuditRecord).where(AuditRecord.action == "scan.unclassified_confirmed"))
    assert record is not None and record.actor_name == "api:dh-tech-kit"


@pytest.mark.parametrize(("change", "message"), [
    (lambda s: s.update(version=2), "version"),
    (lambda s: s["devices"][0]["results"][0].update(check="telepathy"), "check"),
    (lambda s: s["devices"][0]["results"][0].update(scanned_at="2026-01-05T02:30:00"), "scanned_at"),
    (lambda s: s["devices"][0]["results"][0].update(scanned_at="2999-01-01T00:00:00Z"), "scanned_at"),
    (lambda s: s["devices"][0]["results"][0].update(evidence_sha256="abc"), "evidence_sha256"),
    (lambda s: s.update(scan_id="has spaces"), "scan_id"),
    (lambda s: s["devices"].append(dict(s["devices"][0])), "device_id appears once"),
    (lambda s: s.update(devices=[]), "devices"),
])
def test_a_bad_scan_file_is_refused_with_where_it_is_wrong(kit, change, message):
    inspection = make_inspection("DH-ZFB")
    scan = scan_file(("PC-01", "dual_use", "pass"))
    change(scan)
    response = push(kit, inspection, scan)
    assert response.status_code == 400 and message in response.get_json()["detail"], response.get_json()
    assert count(Scan) == 0


def test_a_bad_csv_names_its_row(kit):
    inspection = make_inspection("DH-ZFB")
    table = as_csv(scan_file(("PC-01", "dual_use", "pass"), ("PC-02", "usb_storage", "maybe")))
    response = kit.post_data(f"/api/v1/inspections/{inspection.id}/scans", table, "text/csv")
    assert response.status_code == 400 and "第 3 行" in response.get_json()["detail"]
    headless = kit.post_data(f"/api/v1/inspections/{inspection.id}/scans", b"a,b\n1,2\n", "text/csv")
    assert headless.status_code == 400 and "format_version" in headless.get_json()["detail"]
    lines = table.decode().splitlines()
    mixed = "\n".join([lines[0], lines[1], lines[2].replace("KIT-20260105-01", "OTHER")]).encode()
    assert "一个文件只能是一次扫描" in kit.post_data(f"/api/v1/inspections/{inspection.id}/scans", mixed,
                                                   "text/csv").get_json()["detail"]


def test_the_lead_hears_of_a_scan_a_tool_pushed(kit):
    inspection = make_inspection("DH-ZFB")
    push(kit, inspection, scan_file(("PC-01", "dual_use", "fail")))
    note = db.session.scalar(select(Notification).where(Notification.kind == "scan_imported"))
    assert note.user_id == inspection.lead_id and json.loads(note.params_json)["count"] == 1


# On the tablet ----------------------------------------------------------------------------------------------


def test_the_team_confirms_a_proposal_on_the_fill_page(kit, browser_for):
    inspection = make_inspection("DH-ZFB")
    answer(inspection, "F3", "compliant", note="现场查看未见U盘")  # answered before the scan came
    push(kit, inspection, scan_file(("PC-01", "usb_storage", "fail", "U盘在上网机上也有记录")))
    proposal = proposals(inspection)["F3"]
    inspector = browser_for("inspector")
    page = inspector.get(f"/inspections/{inspection.id}/fill").get_data(as_text=True)
    assert f'id="proposal-{proposal.id}"' in page and "技术检查发现，待确认" in page
    assert page.index(f'id="item-{proposal.item_id}"') < page.index(f'id="proposal-{proposal.id}"')
    edited = "技术检查发现1台设备存在存储介质交叉使用记录：PC-01，经核实属实。"
    response = inspector.post(f"/inspections/{inspection.id}/proposals/{proposal.id}",
                              {"decision": "confirm", "finding_text": edited})
    assert response.status_code == 302 and f"#item-{proposal.item_id}" in response.headers["Location"]
    saved = db.session.scalar(select(Answer).where(Answer.item_id == proposal.item_id))
    assert (saved.value, saved.finding_text, saved.revision) == ("noncompliant", edited, 2)
    assert saved.note.startswith("现场查看未见U盘\n技术检查结果（计算机终端保密检查系统 5.2")
    assert saved.severity == "critical"  # the item's own
    db.session.expire_all()
    assert db.session.get(ProposedAnswer, proposal.id).status == ProposalStatus.CONFIRMED
    twice = inspector.post(f"/inspections/{inspection.id}/proposals/{proposal.id}", {"decision": "confirm"})
    assert "已经处理过了" in inspector.get(twice.headers["Location"]).get_data(as_text=True)
    assert db.session.scalar(select(Answer.revision).where(Answer.item_id == proposal.item_id)) == 2
    assert f'id="proposal-{proposal.id}"' not in inspector.get(f"/inspections/{inspection.id}/fill").get_data(
        as_text=True)


def test_a_rejection_needs_a_reason_and_changes_no_answer(kit, browser_for):
    inspection = make_inspection("DH-ZFB", members=["inspector2"])
    push(kit, inspection, scan_file(("PC-09", "wireless_device", "fail", "蓝牙适配器")))
    proposal = proposals(inspection)["F8"]
    member = browser_for("inspector2")
    url = f"/inspections/{inspection.id}/proposals/{proposal.id}"
    member.post(url, {"decision": "reject", "reason": ""})
    db.session.expire_all()
    assert db.session.get(ProposedAnswer, proposal.id).status == ProposalStatus.PENDING
    member.post(url, {"decision": "reject", "reason": "PC-09 为非涉密计算机，蓝牙经审批使用"})
    db.session.expire_all()
    decided = db.session.get(ProposedAnswer, proposal.id)
    assert (decided.status, decided.decided_by.username) == (ProposalStatus.REJECTED, "inspector2")
    assert count(Answer) == 0
    # Someone off the team cannot decide, and another inspection's id names nothing here.
    other = make_inspection("DH-JYJ", lead="inspector2")
    assert browser_for("leader").post(url, {"decision": "reject", "reason": "x"}).status_code == 302
    assert browser_for("inspector2").post(f"/inspections/{other.id}/proposals/{proposal.id}",
                                          {"decision": "reject", "reason": "x"}).status_code == 404


def test_a_classified_looking_finding_text_asks_for_the_confirmation_first(kit, browser_for):
    inspection = make_inspection("DH-ZFB")
    push(kit, inspection, scan_file(("PC-01", "dual_use", "fail")))
    proposal = proposals(inspection)["F2"]
    inspector = browser_for("inspector")
    url = f"/inspections/{inspection.id}/proposals/{proposal.id}"
    text = "发现“秘密★5年”文件存于上网机"
    asked = inspector.post(url, {"decision": "confirm", "finding_text": text})
    assert f"confirm_proposal={proposal.id}" in asked.headers["Location"]
    assert 'name="confirm_unclassified"' in inspector.get(asked.headers["Location"]).get_data(as_text=True)
    assert count(Answer) == 0
    inspector.post(url, {"decision": "confirm", "finding_text": text, "confirm_unclassified": "1"})
    assert db.session.scalar(select(Answer.finding_text)) == text


def test_a_scan_file_is_uploaded_on_the_inspection_page(app, demo, browser_for):
    inspection = make_inspection("DH-ZFB")
    inspector = browser_for("inspector")
    detail = inspector.get(f"/inspections/{inspection.id}").get_data(as_text=True)
    assert 'id="scans"' in detail and "上传扫描结果" in detail
    table = as_csv(scan_file(("PC-01", "dual_use", "fail", "交替接入记录"), ("PC-02", "smart_device", "pass")))
    uploaded = inspector.upload(f"/inspections/{inspection.id}/scans", "kit.csv", table, mime="text/csv")
    assert uploaded.status_code == 302
    scan = db.session.scalar(select(Scan))
    assert (scan.source, scan.received_by.username, scan.result_count) == ("upload", "inspector", 2)
    page = inspector.get(uploaded.headers["Location"]).get_data(as_text=True)
    assert "交替接入记录" in page and "PC-02" in page and "待确认" in page
    assert "KIT-20260105-01" in inspector.get(f"/inspections/{inspection.id}").get_data(as_text=True)
    wrong = inspector.upload(f"/inspections/{inspection.id}/scans", "kit.xlsx", b"PK\x03\x04", mime="text/plain")
    assert wrong.status_code == 302 and count(Scan) == 1
    assert "请上传 .json 或 .csv" in inspector.get(wrong.headers["Location"]).get_data(as_text=True)
    # The unit reads the bureau's scans once the inspection is locked, as it reads the answers.
    officer = browser_for("officer")
    assert officer.get(uploaded.headers["Location"]).status_code == 404
    assert "KIT-20260105-01" not in officer.get(f"/inspections/{inspection.id}").get_data(as_text=True)


# The reference client ---------------------------------------------------------------------------------------


@pytest.fixture
def served(app):
    """The app over real HTTP on 127.0.0.1, for a client that is not Python's test client."""
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


def push_scan(url: str, inspection_id: int, path: Path, token: str) -> subprocess.CompletedProcess:
    """tools/push_scan.py as a tool maker runs it: Debian's Python, the standard library only, the token from the
    environment."""
    return subprocess.run(["/usr/bin/python3", "-I", str(TOOLS / "push_scan.py"), "--url", url, "--inspection",
                           str(inspection_id), str(path)], capture_output=True, text=True, timeout=60,
                          env={"INSPECT_API_TOKEN": token, "PATH": "/usr/bin:/bin"})


def test_the_reference_client_pushes_a_scan_once_and_says_why_one_is_refused(app, demo, served, tmp_path):
    inspection = make_inspection("DH-ZFB", templates=["network"])
    token = issue_token("dh-tech-kit", "BC-DH", "scans.import")
    table = tmp_path / "kit.csv"
    table.write_bytes(as_csv(scan_file(("PC-01", "usb_storage", "fail", "U盘交叉使用"), ("PC-02", "dual_use", "pass"))))
    first, again = (push_scan(served, inspection.id, table, token) for _ in range(2))
    assert (first.returncode, again.returncode) == (0, 0), first.stderr + again.stderr
    assert first.stdout.startswith("stored: scan KIT-20260105-01") and "1 answers proposed" in first.stdout
    assert again.stdout.startswith("already stored")
    elsewhere = tmp_path / "other.json"
    elsewhere.write_text(json.dumps(scan_file(("PC-01", "dual_use", "pass"), scan_id="X", unit_code="DH-JYJ")))
    refused = push_scan(served, inspection.id, elsewhere, token)
    assert refused.returncode == 1 and "refused: 400 invalid" in refused.stderr and "DH-JYJ" in refused.stderr
    unknown = push_scan(served, inspection.id, table, "bmjc_00000000_" + "x" * 43)
    assert unknown.returncode == 1 and "401 invalid_token" in unknown.stderr
    assert (count(Scan), count(ScanResult), count(ProposedAnswer)) == (1, 2, 1)


# The mapping table in the checklist data --------------------------------------------------------------------


@pytest.mark.parametrize(("rows", "message"), [
    ("  - check: dual_use\n    item: F99\n", "dual_use maps to item F99, which is not in the file"),
    ("  - check: dual_use\n    item: F18\n", "whose response is number; it needs response compliance"),
    ("  - check: dual_use\n    item: F2\n  - check: dual_use\n    item: F1\n", "dual_use is mapped twice"),
    ("  - check: telepathy\n    item: F2\n", "check must be one of"),
])
def test_the_mapping_table_is_checked_with_the_file(rows, message):
    text = (LIBRARY / "network.yaml").read_text(encoding="utf-8")
    text = text[:text.index("technical_checks:")] + "technical_checks:\n" + rows
    errors = load_text(text, "network.yaml").errors
    assert len(errors) == 1 and message in errors[0], errors
    line = int(errors[0].split(":")[1])
    assert text.splitlines()[line - 1].strip().startswith(("- check:", "check:", "item:")), errors


def test_a_template_without_a_mapping_hashes_as_it_always_did():
    for path in LIBRARY.glob("*.yaml"):
        template = load_text(path.read_text(encoding="utf-8"), path.name).template
        content = json.loads(template.canonical_json())
        assert ("technical_checks" in content) == bool(template.technical_checks), path.name
    assert re.search(r"^version: (\d+)$", (LIBRARY / "network.yaml").read_text(encoding="utf-8"), re.M)
