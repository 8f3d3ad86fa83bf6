"""The shared formatters: legal-basis citations, changed text and search highlighting."""

from pathlib import Path

import pytest
import yaml
from flask_babel import force_locale

from inspect_app.formatting import (
    basis_note,
    cite_in_document,
    format_basis,
    format_item_field,
    highlight,
    text_changes,
)
from inspect_app.services.checklists import legal_texts

LIBRARY = Path(__file__).resolve().parent.parent / "checklists"
LAW_EN = "Law of the People's Republic of China on Guarding State Secrets"


@pytest.mark.parametrize(("entry", "zh", "en"), [
    ({"law": "保守国家秘密法", "year": 2024, "article": 31},
     "《中华人民共和国保守国家秘密法》第三十一条", f"{LAW_EN}, art. 31"),
    ({"law": "保守国家秘密法", "year": 2024, "article": 31, "item": 1},
     "《中华人民共和国保守国家秘密法》第三十一条第一项", f"{LAW_EN}, art. 31(1)"),
    ({"law": "保守国家秘密法实施条例", "year": 2024, "article": 45, "paragraph": 1, "item": 4},
     "《中华人民共和国保守国家秘密法实施条例》第四十五条第一款第四项",
     "Regulations for the Implementation of the Law on Guarding State Secrets, art. 45(1)(4)"),
    ({"law": "国家秘密定密管理规定", "year": 2025, "chapter": 3},
     "《国家秘密定密管理规定》第三章", "Provisions on the Classification of State Secrets, chapter 3"),
    ({"law": "机关、单位保密自查自评标准"}, "《机关、单位保密自查自评标准》（工作要求）",
     "Standard for Secrecy Self-Inspection and Self-Assessment of Organs and Units (work requirement)"),
    # The snapshot of a finding made under a replaced text names the version, so its numbering is not misread.
    ({"law": "保守国家秘密法", "year": 2010, "article": 24, "clause": 1},
     "《中华人民共和国保守国家秘密法》（2010年）第二十四条第一项", f"{LAW_EN} (2010 version), art. 24(1)"),
    # Working notes of older versions never reach the reader.
    ({"law": "保守国家秘密法", "year": 2024, "article": 43, "confirmed": False, "note": "条号待核"},
     "《中华人民共和国保守国家秘密法》第四十三条", f"{LAW_EN}, art. 43"),
    ({"law": "保密工作实践", "confirmed": False, "note": "公开的检查表"}, "保密工作实践",
     "Established secrecy practice"),
])
def test_format_basis_in_both_languages(app, entry, zh, en):
    with app.test_request_context():
        assert format_basis(entry) == zh
        with force_locale("en"):
            assert format_basis(entry) == en
            assert cite_in_document(entry) == zh


def test_a_note_is_shown_beside_a_citation_but_never_a_working_note():
    assert basis_note({"law": "国家秘密定密管理规定", "year": 2025, "note": "定密授权"}) == "定密授权"
    assert basis_note({"law": "保密工作实践", "note": "实践"}) is None
    assert basis_note({"law": "保守国家秘密法", "year": 2024, "article": 31}) is None
    assert basis_note({"law": "保守国家秘密法", "year": 2024, "article": 9, "note": "条号待核"}) is None
    assert basis_note({"law": "国家秘密定密管理规定", "year": 2025, "note": "具体条款未核对"}) is None


def test_every_basis_in_the_library_cites_a_text_of_the_register_in_full(app):
    entries = [b for path in LIBRARY.glob("*.yaml")
               for s in yaml.safe_load(path.read_text(encoding="utf-8"))["sections"]
               for i in s["items"] for b in i["basis"]]
    assert len(entries) > 200
    register = legal_texts.register()
    with app.test_request_context():
        for entry in entries:
            text = register.text_of(entry)
            cited = format_basis(entry)
            assert cited.startswith(f"《{text.title}》")
            assert "年）" not in cited  # only texts in force: no version year
            assert all(word not in cited for word in legal_texts.WORKING_NOTE_WORDS)
        with force_locale("en"):
            for entry in entries:
                assert format_basis(entry).startswith(register.text_of(entry).title_en)


def test_item_fields_read_as_words(app):
    with app.test_request_context():
        assert format_item_field("severity", "critical") == "重大泄密隐患"
        assert format_item_field("evidence", ["photo", "onsite"]) == "照片；实地查看"
        assert format_item_field("veto", True) == "是"
        assert format_item_field("materials", None) == "—"
        basis = [{"law": "保守国家秘密法", "year": 2024, "article": 8}, {"law": "机关、单位保密自查自评标准"}]
        assert format_item_field("basis", basis) == (
            "《中华人民共和国保守国家秘密法》第八条；《机关、单位保密自查自评标准》（工作要求）")


def test_text_changes_mark_what_went_and_what_came():
    assert text_changes("涉密计算机未连接互联网", "涉密计算机从未连接互联网") == (
        [("same", "涉密计算机未连接互联网")],
        [("same", "涉密计算机"), ("new", "从"), ("same", "未连接互联网")],
    )
    assert text_changes("存放在保密柜", "存放在密码文件柜") == (
        [("same", "存放在"), ("gone", "保"), ("same", "密柜")],
        [("same", "存放在密"), ("new", "码文件"), ("same", "柜")],
    )
    # Latin text compares word by word, not letter by letter.
    assert text_changes("No phones in the room", "No smart phones in the room")[1] == [
        ("same", "No"), ("new", " smart"), ("same", " phones in the room")]


def test_highlight_escapes_before_marking():
    assert str(highlight("<b>手机</b>", "手机")) == "&lt;b&gt;<mark>手机</mark>&lt;/b&gt;"
    assert str(highlight("a<b>c", "<b>")) == "a<mark>&lt;b&gt;</mark>c"
    assert str(highlight("Phone or PHONE", "phone")) == "<mark>Phone</mark> or <mark>PHONE</mark>"
    assert str(highlight("1+1=2 (.*)", ".*")) == "1+1=2 (<mark>.*</mark>)"
    assert str(highlight("<i>", "")) == "&lt;i&gt;"
    assert str(highlight(None, "x")) == ""
