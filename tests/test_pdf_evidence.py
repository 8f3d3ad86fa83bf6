"""PDF evidence with active content is refused at upload: real PDFs, written by hand or by WeasyPrint, that
poppler opens; the script plain in the file, or hidden in a compressed object stream where the raw bytes
never show it."""

from __future__ import annotations

import base64
import subprocess

import pytest
from sqlalchemy import func, select
from weasyprint import HTML

from inspect_app.clock import local_today
from inspect_app.extensions import db
from inspect_app.models import Attachment, Ticket
from inspect_app.services import DomainError, pdf_content

from .factories import issued_inspection, jpeg, pdf

SCRIPT = "/Names << /JavaScript << /Names [(a) << /S /JavaScript /JS (app.alert\\(1\\)) >>] >> >>"
OPEN_SCRIPT = "/OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >>"


def poppler_sees_javascript(data: bytes, tmp_path) -> bool:
    path = tmp_path / "file.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return "JavaScript:      yes" in info


def weasyprint_pdf() -> bytes:
    picture = base64.b64encode(jpeg(300, 200)).decode()
    return HTML(string=f"<h1>整改佐证材料</h1><p>已拆除违规连接，更换专用U盘。</p>"
                       f'<img src="data:image/jpeg;base64,{picture}"><a href="https://example.org">链接</a>').write_pdf()


def refused(data: bytes) -> str:
    with pytest.raises(DomainError) as caught:
        pdf_content.check(data)
    return caught.value.message


@pytest.mark.db_independent
def test_clean_pdfs_pass(app):
    for data in (pdf(), pdf(object_stream=""), pdf(object_stream="", predictor=True), weasyprint_pdf(),
                 pdf(catalog="/OpenAction [3 0 R /Fit]")):  # opening at a page is no action to fear
        pdf_content.check(data)


@pytest.mark.db_independent
def test_a_script_in_plain_sight_is_refused(app, tmp_path):
    data = pdf(catalog=OPEN_SCRIPT)
    assert "含有打开时会自动运行或调用的内容（/JS、/JavaScript）" in refused(data)
    # Names written with #xx escapes are the same names.
    assert "/JS、/JavaScript" in refused(pdf(catalog="/OpenAction << /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>"))


@pytest.mark.db_independent
@pytest.mark.parametrize("dictionary", ["", "/Subtype /Image /Width 1 /Height 1 /BitsPerComponent 8"])
def test_a_script_hidden_in_an_object_stream_is_refused(app, tmp_path, dictionary):
    data = pdf(catalog=SCRIPT, object_stream=dictionary)
    assert b"JavaScript" not in data and poppler_sees_javascript(data, tmp_path)
    assert "/JS、/JavaScript" in refused(data)
    assert not poppler_sees_javascript(pdf(object_stream=dictionary), tmp_path)


@pytest.mark.db_independent
def test_an_object_stream_behind_a_predictor_is_undone_and_read(app, tmp_path):
    data = pdf(catalog=SCRIPT, object_stream="/Subtype /Image", predictor=True)
    assert poppler_sees_javascript(data, tmp_path)
    assert "/JS、/JavaScript" in refused(data)


@pytest.mark.db_independent
@pytest.mark.parametrize(("catalog", "name"), [
    ("/OpenAction << /S /Launch /F (cmd.exe) >>", "/Launch"),
    ("/Names << /EmbeddedFiles << /Names [(a.exe) 9 0 R] >> >>", "/EmbeddedFiles"),
    ("/AcroForm << /Fields [] /XFA 9 0 R >>", "/XFA"),
    ("/AA << /WC << /S /SubmitForm /F (http://example.org) >> >>", "/AA、/SubmitForm"),
])
def test_other_active_content_is_refused(app, catalog, name):
    assert f"（{name}）" in refused(pdf(catalog=catalog, object_stream=""))


@pytest.mark.db_independent
def test_what_cannot_be_read_is_refused(app):
    whole = pdf(object_stream="")
    cut = whole[:whole.index(b"stream\n") + 40]  # ends inside the first compressed stream
    broken = whole.replace(b"stream\nx\x9c", b"stream\nx\x9c\xff", 1)  # a deflate block of the reserved type
    for data in (cut + b"\n%%EOF\n", cut, broken, pdf(object_stream="/Filter [/LZWDecode]")):
        assert "无法检查这个 PDF 的内容" in refused(data)


def test_uploads_through_the_ticket_page(demo, browser_for):
    _inspection, _notice, (ticket,) = issued_inspection()
    officer = browser_for("officer")
    before = db.session.scalar(select(func.count()).select_from(Attachment))
    fields = {"action": "send", "measures": "已拆除违规连接。", "responsible": "张三",
              "completed_on": local_today().isoformat(), "revision": str(ticket.revision)}
    bad = officer.upload(f"/tickets/{ticket.id}/respond", "台账.pdf", pdf(catalog=SCRIPT, object_stream=""),
                         fields=fields, mime="application/pdf", field="files")
    assert bad.status_code == 400
    assert "台账.pdf：这个 PDF 含有打开时会自动运行或调用的内容（/JS、/JavaScript）" in bad.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == before
    assert db.session.get(Ticket, ticket.id).status == "open"
    good = officer.upload(f"/tickets/{ticket.id}/respond", "台账.pdf", weasyprint_pdf(), fields=fields,
                          mime="application/pdf", field="files")
    assert good.status_code == 302
    assert db.session.scalars(select(Attachment.mime).where(Attachment.ticket_id == ticket.id)).all() == [
        "application/pdf"]
    assert db.session.get(Ticket, ticket.id).status == "responded"

