"""The shared formatters: legal-basis citations, changed text and search highlighting."""

from pathlib import Path

import pytest
import yaml
from flask_babel import force_locale

from inspect_app.formatting import (
    LAW_NAMES_EN,
    basis_note,
    format_basis,
    format_item_field,
    highlight,
    text_changes,
)
from inspect_app.services.checklist_schema import LAWS

LIBRARY = Path(__file__).resolve().parent.parent / "checklists"


@pytest.mark.parametrize(("entry", "zh", "en"), [
    ({"law": "保守国家秘密法", "year": 2024, "article": 31, "clause": 1},
     "《保守国家秘密法》（2024年）第31条第1项", "Law on Guarding State Secrets (2024), art. 31(1)"),
    ({"law": "保守国家秘密法", "year": 2010, "article": 24},
     "《保守国家秘密法》（2010年）第24条", "Law on Guarding State Secrets (2010), art. 24"),
    ({"law": "机关、单位保密自查自评标准", "item": 53},
     "《机关、单位保密自查自评标准》第53项",
     "Standard for Secrecy Self-Inspection and Self-Assessment of Organs and Units, item 53"),
    ({"law": "保守国家秘密法", "year": 2024, "article": 43, "confirmed": False, "note": "涉密人员分类"},
     "《保守国家秘密法》（2024年）第43条（条号待核实）",
     "Law on Guarding State Secrets (2024), art. 43 (article number unconfirmed)"),
    ({"law": "保守国家秘密法实施条例", "year": 2024, "confirmed": False, "note": "提醒谈话，条号未核"},
     "《保守国家秘密法实施条例》（2024年）",
     "Regulations for the Implementation of the Law on Guarding State Secrets (2024)"),
    ({"law": "保密工作实践", "confirmed": False, "note": "手机连接涉密计算机充电的禁止性要求"},
     "保密工作实践（手机连接涉密计算机充电的禁止性要求）",
     "Established secrecy practice (手机连接涉密计算机充电的禁止性要求)"),
    ({"law": "保密工作实践", "confirmed": False}, "保密工作实践", "Established secrecy practice"),
])
def test_format_basis_in_both_languages(app, entry, zh, en):
    with app.test_request_context():
        assert format_basis(entry) == zh
        with force_locale("en"):
            assert format_basis(entry) == en


def test_every_law_has_an_english_name():
    assert set(LAW_NAMES_EN) == set(LAWS)


def test_a_note_is_shown_beside_a_citation_but_never_twice():
    assert basis_note({"law": "国家秘密定密管理规定", "year": 2025, "note": "定密授权"}) == "定密授权"
    assert basis_note({"law": "保密工作实践", "note": "实践"}) is None
    assert basis_note({"law": "保守国家秘密法", "year": 2024, "article": 31}) is None


def test_every_basis_in_the_library_formats_as_a_citation(app):
    entries = [b for path in LIBRARY.glob("*.yaml")
               for s in yaml.safe_load(path.read_text(encoding="utf-8"))["sections"]
               for i in s["items"] for b in i["basis"]]
    assert len(entries) > 200
    with app.test_request_context():
        for entry in entries:
            text = format_basis(entry)
            if entry["law"] == "保密工作实践":
                assert text == (f"保密工作实践（{entry['note']}）" if entry.get("note") else "保密工作实践")
            else:
                assert text.startswith(f"《{entry['law']}》")
            assert ("待核实" in text) == (entry.get("confirmed") is False and bool(entry.get("article")))
        with force_locale("en"):
            for entry in entries:
                assert format_basis(entry).startswith(LAW_NAMES_EN[entry["law"]])


def test_item_fields_read_as_words(app):
    with app.test_request_context():
        assert format_item_field("severity", "critical") == "重大泄密隐患"
        assert format_item_field("evidence", ["photo", "onsite"]) == "照片；实地查看"
        assert format_item_field("veto", True) == "是"
        assert format_item_field("materials", None) == "—"
        basis = [{"law": "机关、单位保密自查自评标准", "item": 1}, {"law": "保密工作实践"}]
        assert format_item_field("basis", basis) == "《机关、单位保密自查自评标准》第1项；保密工作实践"


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
