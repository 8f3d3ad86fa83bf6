"""Official documents: rendered from seeded data and read back with poppler (pdftotext, pdffonts, pdfinfo),
verification codes, /verify, scoping, the command line, caching and the worker process."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from inspect_app import tasks
from inspect_app.extensions import db
from inspect_app.models import AuditRecord, Document, Inspection, Notice, Role
from inspect_app.pdf import cn_date, cn_number, sentence, signature, worker
from inspect_app.services import documents, inspections

from . import factories as f
from .helpers import make_user, node, user

UNIT = "东湖区人民政府办公室"
FAILING = {"F3": "noncompliant", "F4": "noncompliant", "F7": "partial"}


def poppler(*args: str) -> str:
    return subprocess.run(args, capture_output=True, check=True, timeout=60).stdout.decode("utf-8", "replace")


def pdf_text(path: Path) -> str:
    return poppler("pdftotext", "-enc", "UTF-8", str(path), "-")


def pdf_fonts(path: Path) -> list[dict]:
    """pdffonts' table: name, and whether each font is embedded and subset."""
    rows = []
    for line in poppler("pdffonts", str(path)).splitlines()[2:]:
        parts = line.split()
        # name type… encoding emb sub uni object ID: read the yes/no columns from the right
        rows.append({"name": parts[0], "emb": parts[-5], "sub": parts[-4]})
    return rows


def pdf_info(path: Path) -> dict:
    info = {}
    for line in (poppler("pdfinfo", str(path)) + poppler("pdfinfo", "-custom", str(path))).splitlines():
        key, _, value = line.partition(":")
        info[key.strip()] = value.strip()
    return info


def assert_official_pdf(path: Path, code: str) -> str:
    """A4 pages, the CJK fonts embedded and subset, the code in the metadata and on the page; returns the text."""
    info = pdf_info(path)
    assert info["Page size"].startswith("595.276 x 841.89") or info["Page size"].startswith("595.28 x 841.89")
    assert "A4" in info["Page size"]
    assert info["verificationcode"] == code  # custom metadata (pdfinfo prints the key in lower case)
    assert code in info["Keywords"]
    fonts = pdf_fonts(path)
    names = " ".join(row["name"] for row in fonts)
    assert "Noto-Serif-CJK-SC" in names and "Noto-Sans-CJK-SC-Bold" in names
    assert all(row["emb"] == "yes" and row["sub"] == "yes" for row in fonts), fonts
    assert all(re.match(r"^[A-Z]{6}\+", row["name"]) for row in fonts), fonts  # the subset tag
    text = pdf_text(path)
    assert f"验证码：{code}" in text or f"验证码 {code}" in text
    return text


@pytest.fixture
def issued(demo):
    """A city inspection of DH-ZFB with three findings, two photos, its notice and tickets."""
    inspection = f.make_inspection("DH-ZFB", templates=("network",))
    f.answer_all(inspection, failing=FAILING)
    items = {i.key: i for i in inspections.load_items(db.session, inspection)}
    for key in ("F3", "F4"):
        inspections.add_photo(db.session, user("inspector"), inspection, items[key].id, f.jpeg(1200, 900),
                              filename="photo.jpg", client_uuid=None)
    f.submit(inspection)
    notice = f.make_notice(inspection)
    db.session.refresh(inspection)
    return inspection, notice


def fetch_pdf(browser, url: str, tmp_path: Path, name: str = "doc.pdf") -> tuple[Path, Document]:
    response = browser.get(url)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    location = response.headers["Location"]
    match = re.search(r"/documents/(\d+)\.pdf$", location)
    assert match, location
    pdf = browser.get(location)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Cache-Control"] == "private, no-store"
    path = tmp_path / name
    path.write_bytes(pdf.get_data())
    pdf.close()
    return path, db.session.get(Document, int(match.group(1)))


# Rendering ---------------------------------------------------------------------------------------


def test_inspection_report_has_the_unit_items_findings_and_signatures(issued, browser_for, tmp_path):
    inspection, _notice = issued
    path, document = fetch_pdf(browser_for("inspector"), f"/inspections/{inspection.id}/report.pdf", tmp_path)
    text = assert_official_pdf(path, document.verification_code)
    flat = re.sub(r"\s+", "", text)
    for expected in (UNIT, "保密检查报告", "检查项目明细", "宝川市国家保密局", "王建国", "单位代表",
                     "涉密计算机和涉密网络未以任何方式连接互联网", "重大泄密隐患", "签字确认"):
        assert expected in flat, expected
    assert re.search(r"—\s?1\s?—", text) and re.search(r"—\s?2\s?—", text)  # GB/T 9704 page numbers
    assert document.pages >= 3 and document.kind == "inspection_report" and document.unit_id == inspection.unit_id
    images = poppler("pdfimages", "-list", str(path)).splitlines()[2:]
    assert len(images) >= 4  # two photo thumbnails and two signatures
    widths = [int(line.split()[3]) for line in images]
    assert max(widths) <= 480  # photos are embedded as thumbnails, not as taken


def test_notice_is_a_gbt9704_document_with_its_number(issued, browser_for, tmp_path):
    _inspection, notice = issued
    path, document = fetch_pdf(browser_for("inspector"), f"/notices/{notice.id}.pdf", tmp_path)
    text = assert_official_pdf(path, document.verification_code)
    flat = re.sub(r"\s+", "", text)
    assert notice.number.startswith("宝保检〔") and notice.number in flat
    for expected in ("宝川市国家保密局文件", f"{UNIT}：", "保密检查发现问题限期整改的通知", "一、存在的问题",
                     "二、整改要求", "涉密与非涉密计算机之间未交叉使用", "整改期限", "抄送：东湖区国家保密局",
                     "印发", "（联系人：王建国，联系电话：88012345）", "宝川市国家保密局办公室", "工作秘密",
                     "附件：保密检查发现问题清单", "保密检查发现问题清单", "（印章位置）"):
        assert expected in flat, expected
    assert cn_date(documents.notice_data(db.session, db.session.get(Notice, notice.id))["notice"]["issued_on"]) in flat


def test_rectification_report_shows_measures_evidence_and_verification(issued, browser_for, tmp_path):
    inspection, _notice = issued
    tickets = f.tickets_of(inspection)
    f.respond(tickets[0], photos=2, files=1, measures="拆除外联设备，对全部涉密计算机重新开展检查。")
    f.review(tickets[0], accept=True, note="现场复查，整改到位")
    f.respond(tickets[1], photos=1)
    f.review(tickets[1], accept=False, note="U盘台账未更新")
    path, document = fetch_pdf(browser_for("officer"), f"/inspections/{inspection.id}/rectification-report.pdf",
                               tmp_path)
    text = assert_official_pdf(path, document.verification_code)
    flat = re.sub(r"\s+", "", text)
    for expected in (f"{UNIT}关于保密检查", "宝川市国家保密局：", "拆除外联设备", "张明", "复查通过，已销号",
                     "现场复查，整改到位。", "退回重改：U盘台账未更新。", "尚未报送", "佐证材料3.pdf",
                     "1个问题已整改完成并经复查销号"):
        assert expected in flat, expected
    images = poppler("pdfimages", "-list", str(path)).splitlines()[2:]
    assert len(images) == 3  # the evidence photos, as thumbnails


def test_one_rendering_per_version_kept_on_disk(issued, browser_for, tmp_path):
    inspection, _notice = issued
    browser = browser_for("inspector")
    _path, first = fetch_pdf(browser, f"/inspections/{inspection.id}/report.pdf", tmp_path)
    stored = documents.file_path(first.sha256)
    assert stored.is_file() and stored.parent.parent == documents.documents_dir()
    mtime = stored.stat().st_mtime_ns
    _path, again = fetch_pdf(browser_for("leader"), f"/inspections/{inspection.id}/report.pdf", tmp_path)
    assert again.id == first.id and stored.stat().st_mtime_ns == mtime
    assert db.session.scalar(select(func.count()).select_from(Document)) == 1
    audit = db.session.scalars(select(AuditRecord).where(AuditRecord.action == "document.create")).all()
    assert len(audit) == 1 and first.verification_code in audit[0].details


def test_a_changed_record_gets_a_new_code_and_the_old_one_reads_superseded(issued, app, browser_for, tmp_path):
    inspection, _notice = issued
    officer = browser_for("officer")
    old_path, old = fetch_pdf(officer, f"/inspections/{inspection.id}/rectification-report.pdf", tmp_path, "old.pdf")
    f.respond(f.tickets_of(inspection)[0])
    new_path, new = fetch_pdf(officer, f"/inspections/{inspection.id}/rectification-report.pdf", tmp_path, "new.pdf")
    assert new.verification_code != old.verification_code and new.record_version != old.record_version

    page = officer.get(f"/verify?code={old.verification_code}").get_data(as_text=True)
    assert "已被新版本取代" in page and new.verification_code in page
    assert f"/documents/{new.id}.pdf" in page
    page = officer.get(f"/verify?code={new.verification_code}").get_data(as_text=True)
    assert "有效 · 最新版本" in page and "已被新版本取代" not in page

    runner = app.test_cli_runner()
    result = runner.invoke(args=["report", "verify", str(old_path)])
    assert result.exit_code == 1 and "SUPERSEDED" in result.output and new.verification_code in result.output
    result = runner.invoke(args=["report", "verify", str(new_path)])
    assert result.exit_code == 0 and "CURRENT" in result.output and "identical" in result.output


def test_superseded_version_without_a_newer_rendering_offers_to_render_it(issued, browser_for, tmp_path):
    inspection, _notice = issued
    browser = browser_for("inspector")
    _path, old = fetch_pdf(browser, f"/inspections/{inspection.id}/rectification-report.pdf", tmp_path)
    f.respond(f.tickets_of(inspection)[0])
    page = browser.get(f"/verify?code={old.verification_code}").get_data(as_text=True)
    assert "已被新版本取代" in page and f"/inspections/{inspection.id}/rectification-report.pdf" in page


# Verification ------------------------------------------------------------------------------------


def test_codes_are_stable_readable_and_forgiving():
    code = documents.verification_code("notice", "7", "ab" * 32)
    assert code == documents.verification_code("notice", "7", "ab" * 32)
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}", code)
    assert code != documents.verification_code("notice", "8", "ab" * 32)
    assert code != documents.verification_code("inspection_report", "7", "ab" * 32)
    plain = code.replace("-", "")
    assert documents.normalise_code(plain.lower()) == code
    assert documents.normalise_code(f" {plain[:8]} {plain[8:]} ") == code
    assert documents.normalise_code(f"https://inspect.bureau.internal/verify?code={code}") == code
    assert documents.normalise_code("0000-1111-2222-3333") == documents.normalise_code("oooo-iiii-2222-3333")
    for bad in ("", "ABC", "UUUU-UUUU-UUUU-UUUU", "x" * 600, "<script>"):
        assert documents.normalise_code(bad) is None


def test_verify_finds_what_the_code_stands_for_within_scope(issued, browser_for, tmp_path, make_unit_inspection):
    _inspection, notice = issued
    _path, document = fetch_pdf(browser_for("inspector"), f"/notices/{notice.id}.pdf", tmp_path)
    code = document.verification_code
    for username in ("inspector", "inspector2", "leader", "officer"):
        browser = browser_for(username)
        for typed in (code, code.replace("-", "").lower(), f"http://x/verify?code={code}"):
            response = browser.get("/verify", query_string={"code": typed})
            page = response.get_data(as_text=True)
            assert response.status_code == 200 and "有效 · 最新版本" in page, username
            assert notice.number in page and "整改通知书" in page
    # Out of scope, a code of another unit's document reads exactly as an unknown code.
    unknown = browser_for("officer").get("/verify?code=0000-0000-0000-0000")
    for username in ("officer2", "admin", "auditor"):
        response = browser_for(username).get("/verify", query_string={"code": code})
        assert response.status_code == 404
        assert response.get_data(as_text=True).count("未找到与该验证码对应的文件") == 1
        assert notice.number not in response.get_data(as_text=True)
    assert unknown.status_code == 404 and "未找到与该验证码对应的文件" in unknown.get_data(as_text=True)
    # A district inspector does not see a document of a unit in another district.
    other = make_unit_inspection("XS-YY")
    _path, elsewhere = fetch_pdf(browser_for("inspector"), f"/inspections/{other.id}/report.pdf", tmp_path)
    assert browser_for("inspector2").get(f"/verify?code={elsewhere.verification_code}").status_code == 404
    # JSON for the API and scanners.
    response = browser_for("leader").get(f"/verify?code={code}", headers={"Accept": "application/json"})
    assert response.json["found"] and response.json["current"] and response.json["kind"] == "notice"


def test_verify_page_explains_a_malformed_code(demo, browser_for):
    browser = browser_for("officer")
    page = browser.get("/verify").get_data(as_text=True)
    assert 'name="code"' in page and "文件核验" in page and "<script>" not in page.split("</head>")[1]
    response = browser.get("/verify?code=12345")
    assert response.status_code == 404 and "这不是有效的验证码" in response.get_data(as_text=True)
    assert browser_for().get("/verify?code=12345").status_code == 302  # log in first


@pytest.fixture
def make_unit_inspection(demo):
    def make(unit: str):
        inspection, _findings = f.submitted_inspection(unit, failing={"F3": "noncompliant"})
        return inspection

    return make


# Scoping and bad input ---------------------------------------------------------------------------


def test_out_of_scope_users_get_404_on_every_route(issued, browser_for, tmp_path):
    inspection, notice = issued
    _path, document = fetch_pdf(browser_for("inspector"), f"/notices/{notice.id}.pdf", tmp_path)
    routes = [f"/inspections/{inspection.id}/report.pdf", f"/notices/{notice.id}.pdf",
              f"/inspections/{inspection.id}/rectification-report.pdf", f"/documents/{document.id}.pdf",
              f"/documents/jobs/{document.verification_code}", f"/documents/jobs/{document.verification_code}.json",
              f"/verify?code={document.verification_code}"]
    for username in ("officer2", "admin", "auditor"):
        browser = browser_for(username)
        for route in routes:
            assert browser.get(route).status_code == 404, (username, route)
    make_user("xs-inspector", Role.INSPECTOR, node("BC-XS"))
    inspector3 = browser_for("xs-inspector", "Tablet-Check-2026")
    for route in routes:
        assert inspector3.get(route).status_code == 404, route
    for route in ("/inspections/abc/report.pdf", "/notices/999999.pdf", "/documents/999999.pdf",
                  "/documents/jobs/..%2F..%2Fetc.json", "/documents/jobs/NOPE"):
        assert browser_for("inspector").get(route).status_code == 404, route


def test_documents_that_cannot_exist_yet_get_a_clear_message(demo, browser_for):
    planned = f.make_inspection("DH-ZFB")
    inspector = browser_for("inspector")
    response = inspector.get(f"/inspections/{planned.id}/report.pdf")
    assert response.status_code == 400 and "检查尚未提交" in response.get_data(as_text=True)
    response = inspector.get(f"/inspections/{planned.id}/rectification-report.pdf")
    assert response.status_code == 400 and "整改通知尚未下发" in response.get_data(as_text=True)
    submitted, _ = f.submitted_inspection("DH-ZFB", failing={"F3": "noncompliant"})
    # The unit gets the report with the notice, not while the inspectors still review the findings.
    officer = browser_for("officer")
    response = officer.get(f"/inspections/{submitted.id}/report.pdf")
    assert response.status_code == 400 and "整改通知一并下发" in response.get_data(as_text=True)
    rendered = inspector.get(f"/inspections/{submitted.id}/report.pdf")
    assert rendered.status_code == 303
    response = officer.get(rendered.headers["Location"])  # nor by the stored file's address
    assert response.status_code == 400 and "整改通知一并下发" in response.get_data(as_text=True)
    clean, _ = f.submitted_inspection("DH-ZFB")
    f.make_notice(clean)
    response = inspector.get(f"/inspections/{clean.id}/rectification-report.pdf")
    assert response.status_code == 400 and "没有整改事项" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Document)) == 1


def test_a_lost_file_is_rendered_again_while_its_version_is_current(issued, browser_for, tmp_path):
    inspection, _notice = issued
    browser = browser_for("inspector")
    _path, document = fetch_pdf(browser, f"/inspections/{inspection.id}/rectification-report.pdf", tmp_path)
    documents.file_path(document.sha256).unlink()
    response = browser.get(f"/documents/{document.id}.pdf")
    assert response.status_code == 200 and response.get_data().startswith(b"%PDF-")
    response.close()
    f.respond(f.tickets_of(inspection)[0])
    document = db.session.get(Document, document.id)
    documents.file_path(document.sha256).unlink()
    response = browser.get(f"/documents/{document.id}.pdf")
    assert response.status_code == 409 and "最新版本" in response.get_data(as_text=True)


# Command line ------------------------------------------------------------------------------------


def test_report_commands_write_the_pdfs(issued, app, tmp_path):
    inspection, notice = issued
    runner = app.test_cli_runner()
    for args, name in ((["report", "inspection", str(inspection.id)], "report.pdf"),
                       (["report", "notice", str(notice.id)], "notice.pdf"),
                       (["report", "rectification", str(inspection.id)], "rectification.pdf")):
        out = tmp_path / name
        result = runner.invoke(args=[*args, "--out", str(out)])
        assert result.exit_code == 0, result.output
        code = re.search(r"verification code (\S+)", result.output).group(1)
        assert_official_pdf(out, code)
        again = runner.invoke(args=[*args, "--out", str(out)])
        assert again.exit_code == 0 and "already rendered" in again.output
        verified = runner.invoke(args=["report", "verify", str(out)])
        assert verified.exit_code == 0 and "CURRENT" in verified.output and UNIT in verified.output
    assert notice.number in pdf_text(tmp_path / "notice.pdf").replace(" ", "")


def test_report_commands_explain_bad_input(demo, app, tmp_path):
    runner = app.test_cli_runner()
    out = str(tmp_path / "x.pdf")
    result = runner.invoke(args=["report", "inspection", "999", "--out", out])
    assert result.exit_code != 0 and "there is no inspection with the id 999" in result.output
    result = runner.invoke(args=["report", "notice", "999", "--out", out])
    assert result.exit_code != 0 and "there is no rectification notice with the id 999" in result.output
    result = runner.invoke(args=["report", "inspection", "abc", "--out", out])
    assert result.exit_code != 0 and "is not a valid integer" in result.output
    planned = f.make_inspection("DH-ZFB")
    result = runner.invoke(args=["report", "inspection", str(planned.id), "--out", out])
    assert result.exit_code != 0 and "检查尚未提交" in result.output
    submitted, _ = f.submitted_inspection("DH-ZFB")
    result = runner.invoke(args=["report", "inspection", str(submitted.id), "--out", str(tmp_path / "no" / "x.pdf")])
    assert result.exit_code != 0 and "does not exist" in result.output
    result = runner.invoke(args=["report", "inspection", str(submitted.id)])
    assert result.exit_code != 0 and "--out" in result.output
    not_pdf = tmp_path / "note.txt"
    not_pdf.write_text("hello")
    result = runner.invoke(args=["report", "verify", str(not_pdf)])
    assert result.exit_code == 2 and "no verification code" in result.output
    foreign = tmp_path / "foreign.pdf"
    foreign.write_bytes(b"%PDF-1.7\n1 0 obj << /VerificationCode (ABCD-EFGH-JKMN-PQRS) >> endobj\n%%EOF\n")
    result = runner.invoke(args=["report", "verify", str(foreign)])
    assert result.exit_code == 2 and "NOT FOUND" in result.output
    assert db.session.scalar(select(func.count()).select_from(Document)) == 0


# The worker process ----------------------------------------------------------------------------


def test_big_documents_render_in_the_worker_with_progress(issued, app, browser_for):
    inspection, _notice = issued
    app.config["DOCUMENTS_WORKER_PAGES"] = 1  # everything counts as big
    browser = browser_for("leader")
    response = browser.get(f"/inspections/{inspection.id}/report.pdf")
    assert response.status_code == 303 and "/documents/jobs/" in response.headers["Location"]
    job_url = response.headers["Location"]
    code = job_url.rsplit("/", 1)[1]
    page = browser.get(job_url)
    if page.status_code == 200:  # still rendering: the progress page polls the status
        html = page.get_data(as_text=True)
        assert "<progress" in html and f"/documents/jobs/{code}.json" in html and "documents.js" in html
    job = documents.wait_for(db.session, code, timeout=120)
    assert job is not None and job.state == "done", job
    status = browser.get(f"{job_url}.json").json
    assert status["state"] == "done" and status["progress"] == 100
    pdf = browser.get(status["url"])
    assert pdf.status_code == 200 and pdf.get_data().startswith(b"%PDF-")
    pdf.close()
    document = db.session.scalar(select(Document).where(Document.verification_code == code))
    assert document.created_by_id == user("leader").id and document.pages >= 3
    raw = worker.read_status(tasks.queue().store, code)
    assert raw["pid"] and raw["pid"] != __import__("os").getpid()  # rendered in another process
    assert browser.get(job_url).status_code == 303  # the progress page now leads to the file
    # Signed by the worker with the key it read from the key folder; no key is written into the job's files.
    data = documents.file_path(document.sha256).read_bytes()
    assert document.signature_key_id == app.config["SIGNING_KEYS"].current.public.key_id
    assert signature.check(data, app.config["SIGNING_KEYS"].public).genuine
    secret = app.config["SIGNING_KEYS"].current.secret.hex()
    assert raw["signing_key_dir"] and "PRIVATE KEY" not in str(raw) and secret not in str(raw)
    assert data.count(b"/Subtype /Image") >= 2  # the sealed photos were opened for the layout


def test_a_worker_past_its_memory_limit_fails_cleanly(issued, app, browser_for):
    inspection, _notice = issued
    app.config.update(DOCUMENTS_WORKER_PAGES=1, DOCUMENTS_WORKER_MEMORY_MB=64)
    browser = browser_for("inspector")
    job_url = browser.get(f"/inspections/{inspection.id}/report.pdf").headers["Location"]
    job = documents.wait_for(db.session, job_url.rsplit("/", 1)[1], timeout=120)
    assert job.state == "failed" and job.error == "memory"
    # The child failed without touching fontconfig's caches: the machine still has its CJK fonts.
    assert "Noto Serif CJK SC" in poppler("fc-list", ":", "family")
    page = browser.get(job_url).get_data(as_text=True)
    assert "超出了内存上限" in page and "重新生成" in page and f"/inspections/{inspection.id}/report.pdf" in page
    assert db.session.scalar(select(func.count()).select_from(Document)) == 0


class MemoryStore(dict):
    """A job store in a dict, as the queue's is in Redis or SQLite."""

    def put(self, key, value):
        self[key] = dict(value)

    def claim(self, key, value):
        return self.setdefault(key, dict(value)) == value

    def delete(self, key):
        self.pop(key, None)


def test_a_job_past_its_deadline_or_whose_render_died_reads_as_failed():
    import threading
    import time

    store = MemoryStore()
    enqueued = []
    status = worker.start(store, enqueued.append, "AAAA-AAAA-AAAA-AAAA", html="<p>x</p>", roots=[], out_dir="/tmp",
                          estimated_pages=1, meta={}, timeout=60, memory_mb=1536)
    assert status["state"] == "queued" and enqueued == ["AAAA-AAAA-AAAA-AAAA"]
    # The same job asked for again is the one under way, not a second render.
    assert worker.start(store, enqueued.append, "AAAA-AAAA-AAAA-AAAA", html="<p>x</p>", roots=[], out_dir="/tmp",
                        estimated_pages=1, meta={}, timeout=60, memory_mb=1536)["state"] == "queued"
    assert len(enqueued) == 1
    store.put("BBBB-BBBB-BBBB-BBBB", {"state": "queued", "deadline": time.time() - 1, "meta": {}})
    assert worker.read_status(store, "BBBB-BBBB-BBBB-BBBB")["error"] == "timeout"
    assert worker.read_status(store, "CCCC-CCCC-CCCC-CCCC") is None
    with pytest.raises(ValueError):
        worker.read_status(store, "../../etc/passwd")
    # A render killed in the middle (the machine's OOM killer, say) is reported as crashed, not left running.
    runner = threading.Thread(target=worker.execute, args=(store, "AAAA-AAAA-AAAA-AAAA"))
    runner.start()
    deadline = time.monotonic() + 60
    while not store["AAAA-AAAA-AAAA-AAAA"].get("pid") and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(store["AAAA-AAAA-AAAA-AAAA"]["pid"], signal.SIGKILL)
    runner.join(timeout=60)
    assert worker.read_status(store, "AAAA-AAAA-AAAA-AAAA")["error"] == "crashed"


# The pipeline ------------------------------------------------------------------------------------


def test_harfbuzz_subsetting_is_a_hard_dependency(app, monkeypatch, make_app):
    from weasyprint.pdf import fonts

    from inspect_app import pdf
    from inspect_app.pdf import engine

    engine.check_subsetting()  # present on this machine
    pdf.check_library()
    monkeypatch.setattr(fonts, "harfbuzz_subset", None)
    with pytest.raises(pdf.SubsettingUnavailable, match="libharfbuzz-subset0"):
        engine.check_subsetting()
    with pytest.raises(pdf.SubsettingUnavailable):
        engine.render("<p>测试</p>")
    monkeypatch.setattr(pdf, "HARFBUZZ_SUBSET_NAMES", ("libno-such-harfbuzz-subset.so.9",))
    with pytest.raises(pdf.SubsettingUnavailable, match="apt-get install libharfbuzz-subset0"):
        make_app()


def test_the_url_fetcher_serves_only_our_files(tmp_path):
    from inspect_app.pdf.engine import LocalFetcher

    allowed = tmp_path / "attachments"
    allowed.mkdir()
    (allowed / "a.jpg").write_bytes(f.jpeg(10, 10))
    (tmp_path / "secret.txt").write_text("secret")
    fetcher = LocalFetcher([allowed])
    assert fetcher.fetch((allowed / "a.jpg").as_uri()).read().startswith(b"\xff\xd8")
    for url in ((tmp_path / "secret.txt").as_uri(), (allowed / ".." / "secret.txt").as_uri(),
                "http://example.com/a.png", "https://example.com/a.png", "ftp://example.com/a", "file:///etc/passwd"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain,hi").read() == b"hi"


def test_reading_the_code_back_from_a_pdf(issued, tmp_path):
    from inspect_app.pdf import reader

    _inspection, notice = issued
    notice = db.session.get(Notice, notice.id)
    document = documents.ensure(db.session, None, documents.prepare(db.session, "notice", notice))
    assert reader.read_code(str(documents.file_path(document.sha256))) == document.verification_code
    assert reader.code_from_metadata(b"%PDF-1.7 nothing here") is None


def test_chinese_numbers_and_dates():
    assert [cn_number(n) for n in (1, 10, 11, 20, 23, 100, 105, 110, 119)] == [
        "一", "十", "十一", "二十", "二十三", "一百", "一百零五", "一百一十", "一百一十九"]
    assert cn_date("2026-03-01") == "2026年3月1日"
    assert sentence("未落实") == "未落实。" and sentence("未落实。") == "未落实。" and sentence("") == ""


def test_document_data_does_not_depend_on_the_readers_language(issued, app):
    inspection, _notice = issued
    with app.test_request_context():
        from flask_babel import force_locale

        with force_locale("en"):
            english = documents.prepare(db.session, "inspection_report", db.session.get(Inspection, inspection.id))
            html = documents.document_html(english)
        chinese = documents.prepare(db.session, "inspection_report", inspection)
    assert english.code == chinese.code and english.data["findings"][0]["severity_label"] == "重大泄密隐患"
    assert f'content="检查报告 · 验证码 {english.code}"' in html
