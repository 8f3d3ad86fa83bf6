"""What makes an official document acceptable beyond its geometry: the faces and their check, the record
version over the layout, the QR payload, the notice's date and content, numbers kept with their measure
words, the colophon on an even page, the 通报's 发文字号. Real renders, read back with poppler."""

from __future__ import annotations

import re
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest

from inspect_app import pdf
from inspect_app.clock import local_date, local_today
from inspect_app.extensions import db
from inspect_app.models import Notice
from inspect_app.pdf import engine
from inspect_app.services import documents, rectification
from inspect_app.services.documents import summary

from . import factories as f
from .helpers import user


def text_of(path: Path, *args: str) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", *args, str(path), "-"], capture_output=True, check=True,
                          text=True).stdout


# Faces --------------------------------------------------------------------------------------------


NOTO = {"Noto Serif CJK SC": {400, 700}, "Noto Sans CJK SC": {400, 700}, "AR PL KaitiM GB": {400}}


@pytest.mark.db_independent
def test_each_role_takes_the_sites_gb_font_when_installed_else_the_debian_stand_in():
    chosen = pdf.resolve_faces(NOTO)
    assert (chosen["body"].family, chosen["title"].family, chosen["title"].weight) == (
        "Noto Serif CJK SC", "Noto Serif CJK SC", 700)
    assert (chosen["hei"].family, chosen["kai"].family) == ("Noto Sans CJK SC", "AR PL KaitiM GB")
    licensed = pdf.resolve_faces({**NOTO, "仿宋_GB2312": {400}, "方正小标宋简体": {400}, "楷体_GB2312": {400}})
    assert licensed["body"].family == "仿宋_GB2312" and licensed["body"].package is None
    assert (licensed["title"].family, licensed["title"].weight) == ("方正小标宋简体", 400)  # never a fake bold
    assert licensed["kai"].family == "楷体_GB2312"
    css = pdf.faces_css(licensed)
    assert '--face-body: "仿宋_GB2312"; --weight-body: 400;' in css and '--weight-title: 400;' in css


@pytest.mark.db_independent
def test_a_missing_face_names_the_package_to_install():
    with pytest.raises(pdf.FontsMissing, match=r"apt-get install fonts-arphic-gkai00mp`") as caught:
        pdf.resolve_faces({k: v for k, v in NOTO.items() if k != "AR PL KaitiM GB"})
    assert "二级标题（楷体）" in str(caught.value)
    # The stand-in must exist in its weight: a Noto Serif without its bold is no 小标宋.
    with pytest.raises(pdf.FontsMissing, match="fonts-noto-cjk") as caught:
        pdf.resolve_faces({**NOTO, "Noto Serif CJK SC": {400}})
    assert "标题（小标宋）" in str(caught.value) and "正文" not in str(caught.value)


def test_fonts_are_checked_at_start_up_and_by_the_report_command(app, make_app, monkeypatch):
    assert pdf.check_fonts()["kai"].family == "AR PL KaitiM GB"  # this machine: the Debian stand-ins
    result = app.test_cli_runner().invoke(args=["report", "fonts"])
    assert result.exit_code == 0 and "二级标题（楷体）: AR PL KaitiM GB 400 (stand-in from fonts-arphic-gkai00mp)" \
        in result.output
    monkeypatch.setattr(pdf, "installed_families", lambda: {"Noto Sans CJK SC": {700}})
    pdf.faces.cache_clear()
    try:
        result = app.test_cli_runner().invoke(args=["report", "fonts"])
        assert result.exit_code != 0 and "apt-get install fonts-arphic-gkai00mp fonts-noto-cjk" in result.output
        with pytest.raises(pdf.FontsMissing, match="Fonts for the official documents are missing"):
            make_app()
    finally:
        pdf.faces.cache_clear()


@pytest.mark.db_independent
def test_documents_embed_the_faces_of_each_role(issued_notice, tmp_path):
    path = render(issued_notice, tmp_path)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    for name in ("Noto-Serif-CJK-SC ", "Noto-Serif-CJK-SC-Bold", "Noto-Sans-CJK-SC-Bold", "AR-PL-KaitiM-GB"):
        assert name in fonts + " ", name


# Version and QR ---------------------------------------------------------------------------------


def test_a_change_of_layout_is_a_new_version_never_served_from_the_old_file(issued_notice, monkeypatch):
    notice = db.session.get(Notice, issued_notice.id)
    before = documents.prepare(db.session, "notice", notice)
    old = documents.ensure(db.session, None, before)
    assert documents.cached(db.session, documents.prepare(db.session, "notice", notice)).id == old.id
    monkeypatch.setattr(pdf, "layout_version", lambda: "a-fixed-stylesheet")
    after = documents.prepare(db.session, "notice", notice)
    assert after.data == before.data  # the same record …
    assert after.version != before.version and after.code != before.code  # … laid out anew
    assert documents.cached(db.session, after) is None


@pytest.mark.db_independent
def test_layout_version_hashes_the_templates_stylesheet_and_faces():
    version = pdf.layout_version()
    assert re.fullmatch(r"[0-9a-f]{16}", version)
    pdf.layout_version.cache_clear()
    assert pdf.layout_version() == version  # stable for the same files


def test_the_qr_code_holds_the_configured_address_or_the_bare_code(app):
    code = "ABCD-EFGH-JKMN-PQRS"
    with app.test_request_context("/", base_url="http://attacker.example"):
        app.config["DOCUMENTS_BASE_URL"] = ""
        assert documents.verify_url(code) == code  # never the request's Host
        app.config["DOCUMENTS_BASE_URL"] = "https://inspect.bureau.internal/"
        assert documents.verify_url(code) == f"https://inspect.bureau.internal/verify?code={code}"
    with app.app_context():
        assert documents.verify_url(code) == f"https://inspect.bureau.internal/verify?code={code}"


# The notice -------------------------------------------------------------------------------------


@pytest.fixture
def issued_notice(demo):
    inspection, _findings = f.submitted_inspection("DH-ZFB", failing={"F3": "noncompliant", "F7": "partial"})
    return f.make_notice(inspection)


def render(record, tmp_path: Path, kind: str = "notice") -> Path:
    document = documents.ensure(db.session, None, documents.prepare(db.session, kind, record))
    path = tmp_path / f"{kind}.pdf"
    path.write_bytes(documents.file_path(document.sha256).read_bytes())
    return path


def test_a_notice_issued_for_an_earlier_day_is_dated_that_day(demo):
    inspection, _ = f.submitted_inspection("DH-ZFB", failing={"F3": "noncompliant"})
    day = date(local_today().year - 1, 11, 20)
    notice = rectification.issue_notice(db.session, user("inspector"), inspection, today=day)
    assert local_date(notice.issued_at) == day and notice.number.startswith(f"宝保检〔{day.year}〕")
    data = documents.notice_data(db.session, notice)
    assert data["notice"]["issued_on"] == day.isoformat()
    assert all(date.fromisoformat(f["due_on"]) > day for f in data["findings"])
    # Issued today, it carries the clock's moment.
    other, _ = f.submitted_inspection("DH-ZFB", failing={"F3": "noncompliant"})
    assert local_date(f.make_notice(other).issued_at) == local_today()


def test_the_notice_gives_an_overall_deadline_a_phone_the_issue_list_and_its_office(issued_notice, app, tmp_path):
    data = documents.notice_data(db.session, issued_notice)
    assert data["report_due"] == max(f["due_on"] for f in data["findings"])
    assert data["phone"] == "88012345" and data["printed_by"] == "宝川市国家保密局办公室"
    flat = re.sub(r"\s+", "", text_of(render(issued_notice, tmp_path)))
    assert f"请于{pdf.cn_date(data['report_due'])}前将整改情况书面报告我局" in flat
    assert "附件：保密检查发现问题清单" in flat and flat.count("保密检查发现问题清单") == 2  # 附件说明, its title
    assert "（联系人：王建国，联系电话：88012345）" in flat
    colophon = re.sub(r"\s+", "", text_of(tmp_path / "notice.pdf").split("\f")[-2])
    assert "宝川市国家保密局办公室" in colophon and pdf.cn_date(data["notice"]["issued_on"]) + "印发" in colophon
    assert flat.startswith("工作秘密")
    # The 附注 stays with the sign-off; the 问题清单 starts a page of its own with "附件" at its head.
    pages = text_of(tmp_path / "notice.pdf").split("\f")
    signed = next(i for i, p in enumerate(pages) if "（印章位置）" in p)
    assert "联系电话" in pages[signed]
    annex = next(i for i, p in enumerate(pages) if re.sub(r"\s+", "", p).startswith("附件保密检查发现问题清单"))
    assert annex > signed
    app.config["CONTACT_PHONES"] = {}
    assert "（联系人：王建国）" in re.sub(r"\s+", "", text_of(render(
        db.session.get(Notice, issued_notice.id), tmp_path)))


@pytest.mark.db_independent
def test_labels_in_the_body_are_black(issued_notice, tmp_path):
    """Only the mark and the rule are red: a raster of the pages below the masthead has no red in it."""
    path = render(issued_notice, tmp_path)
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(path), str(tmp_path / "page")], check=True)
    from PIL import Image

    for index, png in enumerate(sorted(tmp_path.glob("page-*.png"))):
        image = Image.open(png).convert("RGB")
        top = int(image.height * 0.42) if index == 0 else 0  # below the red rule of the first page
        reds = sum(1 for y in range(top, image.height, 2) for x in range(0, image.width, 2)
                   if (p := image.getpixel((x, y)))[0] > 180 and p[1] < 90 and p[2] < 90)
        assert reds == 0, png.name


# Numbers, colophon, 通报 ---------------------------------------------------------------------------


@pytest.mark.db_independent
def test_numbers_keep_their_measure_words_outside_markup():
    html = ('<html><head><title>1个</title></head><body><p data-x="3个">问题10个，得分85.5分，占33.3%，'
            '2026年12月4日</p><svg><text>4个</text></svg><style>.a{}</style></body></html>')
    out = pdf.keep_numbers_together(html)
    for kept in ("10个", "85.5分", "33.3%", "2026年", "12月", "4日"):
        assert f'<span class="nb">{kept}</span>' in out
    assert "<title>1个</title>" in out and 'data-x="3个"' in out and "<text>4个</text>" in out


def colophon_html(paragraphs: int) -> str:
    body = "".join(f"<p>第{i}段</p>" for i in range(paragraphs))
    return ('<html lang="zh-CN"><body>' + body + '<div class="colophon-anchor"><div class="colophon"><div class="line '
            'printed"><span class="printed-by">国家保密局办公室</span><span class="printed-on">2026年12月4日印发</span>'
            '</div></div></div></body></html>')


@pytest.mark.db_independent
def test_the_colophon_goes_on_an_even_page_after_an_unnumbered_blank_if_need_be(tmp_path):
    path = tmp_path / "c.pdf"
    # Text on one page: the colophon on the back, page 2, numbered.
    path.write_bytes(engine.render(colophon_html(5)).pdf)
    pages = text_of(path).split("\f")[:-1]
    assert len(pages) == 2 and "印发" in pages[1] and "第4段" in pages[0] and re.search(r"—\s*2\s*—", pages[1])
    # Text filling page 2 but the last line: the colophon cannot follow it there, so page 3 is left blank and
    # the colophon sits on page 4; neither carries a number.
    path.write_bytes(engine.render(colophon_html(43)).pdf)
    pages = text_of(path).split("\f")[:-1]
    assert len(pages) == 4 and "第42段" in pages[1] and not pages[2].strip() and "印发" in pages[3]
    assert re.search(r"—\s*2\s*—", pages[1]) and not re.search(r"—\s*[34]\s*—", pages[2] + pages[3])
    # Text ending on page 2 with room below: the colophon stays there.
    path.write_bytes(engine.render(colophon_html(30)).pdf)
    pages = text_of(path).split("\f")[:-1]
    assert len(pages) == 2 and "印发" in pages[1]


def test_a_bulletin_keeps_its_number_and_the_next_period_takes_the_next(demo, tmp_path):
    city = summary.root_bureau(db.session)
    today = local_today()
    year = summary.period_summary(today.replace(month=1, day=1), today, city)
    first = documents.ensure(db.session, None, documents.prepare(db.session, "summary", year))
    assert first.params["number"] == f"宝保通〔{today.year}〕1号"
    assert documents.prepare(db.session, "summary", year).data["number"] == first.params["number"]
    recent = summary.period_summary(today - timedelta(days=30), today, city)
    prepared = documents.prepare(db.session, "summary", recent)
    assert prepared.data["number"] == f"宝保通〔{today.year}〕2号"
    documents.ensure(db.session, None, prepared)
    flat = re.sub(r"\s+", "", text_of(documents.file_path(first.sha256)))
    assert f"宝川市国家保密局文件宝保通〔{today.year}〕1号" in flat


def test_the_summary_names_its_period_once_and_gives_the_dates_of_a_named_period(demo, tmp_path):
    city = summary.root_bureau(db.session)
    today = local_today()
    days = f"{pdf.cn_date(today - timedelta(days=30))}至{pdf.cn_date(today)}"
    flat = re.sub(r"\s+", "", text_of(render(summary.period_summary(today - timedelta(days=30), today, city),
                                               tmp_path, "summary")))
    assert flat.count(days) == 2  # the title and the opening sentence, never twice in one
    assert f"{days}（{days}）" not in flat
    last_year = today.year - 1
    flat = re.sub(r"\s+", "", text_of(render(summary.period_summary(date(last_year, 1, 1), date(last_year, 12, 31),
                                                                     city), tmp_path, "summary")))
    assert f"{last_year}年（{last_year}年1月1日至{last_year}年12月31日）" in flat


@pytest.mark.db_independent
def test_each_web_worker_warms_the_pdf_engine_up_at_start(monkeypatch):
    """deploy/gunicorn.conf.py's post_worker_init starts the warm-up: templates compiled, faces loaded, in a
    thread of its own so the worker serves at once; first it leaves the loaded app's objects out of the garbage
    collector's passes."""
    import gc
    import runpy
    import threading

    settings = runpy.run_path(str(Path(__file__).parent.parent / "deploy" / "gunicorn.conf.py"))
    pdf.environment.cache_clear()
    rendered = []
    monkeypatch.setattr(engine, "render", lambda html, **kw: rendered.append(html))
    gc.unfreeze()
    try:
        settings["post_worker_init"](object())
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    warm = next(t for t in threading.enumerate() if t.name == "pdf-warm-up")
    assert warm.daemon
    warm.join(60)
    loaded = {key[1] for key in pdf.environment().cache}
    assert {"notice.html", "summary.html", "rectification_report.html", "inspection_report.html"} <= loaded
    assert rendered == [engine.WARM_UP_HTML]
    # Every face is in what the warm-up lays out: 小标宋 (title, mark), 黑体 (h2), 楷体, 仿宋 (p).
    for mark in ('class="title"', 'class="issuer"', "<h2>", 'class="kai"', "<p>"):
        assert mark in engine.WARM_UP_HTML
