"""The checklist library pages: browse, read, compare, search, and the administrator's versions page."""

import html
import re
import shutil
from pathlib import Path

import pytest
import yaml
from flask_babel import force_locale
from markupsafe import escape
from sqlalchemy import func, select

from inspect_app.extensions import db
from inspect_app.formatting import format_basis
from inspect_app.models import AuditRecord, TemplateVersion
from inspect_app.services import checklists
from inspect_app.services.checklists.schema import load_text

from .helpers import user

LIBRARY = Path(__file__).resolve().parent.parent / "checklists"
NETWORK = (LIBRARY / "network.yaml").read_text(encoding="utf-8")
V = yaml.safe_load(NETWORK)["version"]  # network's version in the library; the fixtures add the next
F1_TEXT = "涉密计算机和涉密网络未以任何方式连接互联网"
F2_TEXT = "无“一机两用”，同一台计算机未交替连接涉密网络和互联网"
NEW_ITEM_TEXT = "涉密计算机未安装具有无线联网功能的外设"


def templates() -> dict[str, dict]:
    return {path.stem: yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted(LIBRARY.glob("*.yaml"))}


def items_of(template: dict) -> list[dict]:
    return [item for section in template["sections"] for item in section["items"]]


def network_v2() -> str:
    """network.yaml as its next version: F1 reworded, F2 removed, F20 added (a copy of F3 with its own text)."""
    text = NETWORK.replace(f"version: {V}", f"version: {V + 1}", 1)
    text = text.replace(F1_TEXT, "涉密计算机和涉密网络从未以任何方式连接互联网")
    start, end = text.index("      - key: F2\n"), text.index("      - key: F16\n")
    text = text[:start] + text[end:]
    text = re.sub(r"  - check: \w+ +# [^\n]*\n    item: F2\n", "", text)  # and F2's row of the mapping table
    f3_start = text.index("      - key: F3\n")
    f3_end = text.index("      - key: ", f3_start + 10)
    new_item = text[f3_start:f3_end].replace("key: F3", "key: F20", 1)
    new_item = new_item.replace("涉密与非涉密计算机之间未交叉使用U盘、移动硬盘等存储介质", NEW_ITEM_TEXT)
    return text[:f3_end] + new_item + text[f3_end:]


def version_count() -> int:
    return db.session.scalar(select(func.count()).select_from(TemplateVersion))


def page(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def network_bumped(app, session, library_copy):
    """network's next version synced from an edited copy of the library."""
    (library_copy / "network.yaml").write_text(network_v2(), encoding="utf-8")
    report = checklists.sync_library(session)
    assert [(v.key, v.version) for v in report.created] == [("network", V + 1)]
    return report.created[0]


@pytest.fixture
def library_copy(app, tmp_path):
    folder = tmp_path / "checklists"
    shutil.copytree(LIBRARY, folder)
    app.config["CHECKLISTS_DIR"] = str(folder)
    return folder


# Browsing ------------------------------------------------------------------------------------------


def card_of(body: str, title: str) -> str:
    start = body.rindex("<article", 0, body.index(f">{title}</a>"))
    return body[start:body.index("</article>", start)]


def test_browse_shows_every_current_template_with_its_figures(demo, browser_for):
    body = page(browser_for("inspector").get("/checklists"))
    for key, template in templates().items():
        card = card_of(body, template["title"])
        items = items_of(template)
        figures = re.findall(r"<dd>(\d+)</dd>", card)
        assert figures == [str(len(items)), str(sum(i["points"] for i in items)),
                           str(sum(1 for i in items if i.get("deduction"))),
                           str(sum(1 for i in items if i.get("veto")))], key
        assert f'href="/checklists/{template["key"]}"' in card
        assert f"第 {template['version']} 版" in card
    assert 'name="q"' in body and 'action="/checklists/search"' in body  # the search box


def test_browse_filters_by_category(demo, browser_for):
    browser = browser_for("officer")
    all_templates = templates()
    body = page(browser.get("/checklists?category=network"))
    assert all_templates["network"]["title"] in body
    assert all_templates["carriers"]["title"] not in body
    assert 'href="/checklists?category=network" aria-current="page"' in body
    self_assessment = page(browser.get("/checklists?category=self_assessment"))
    assert all_templates["self-assessment"]["title"] in self_assessment
    assert all_templates["network"]["title"] not in self_assessment
    # An unknown category is no filter at all.
    unknown = page(browser.get("/checklists?category=<b>nope"))
    assert all(t["title"] in unknown for t in all_templates.values())


def test_browse_has_an_empty_state(demo, browser_for, session):
    admin = user("admin")
    for version in checklists.current_versions(session):
        checklists.set_version_status(session, admin, version, retired=True)
    body = page(browser_for("inspector").get("/checklists"))
    assert "检查表库还是空的" in body and "template-card" not in body
    assert "上传检查表" not in body  # only the administrator is offered the upload
    admin_body = page(browser_for("admin").get("/checklists"))
    assert 'href="/admin/checklists"' in admin_body


# Reading a template --------------------------------------------------------------------------------


def test_reading_a_template_shows_every_item_with_its_basis_and_guidance(app, demo, browser_for):
    body = page(browser_for("inspector").get("/checklists/network"))
    network = templates()["network"]
    with app.test_request_context():
        for item in items_of(network):
            assert f'id="item-{item["key"]}"' in body
            assert str(escape(item["text"])) in body
            assert str(escape(item["guidance"])) in body
            if item.get("materials"):
                assert str(escape(item["materials"])) in body
            for entry in item["basis"]:
                assert str(escape(format_basis(entry))) in body, entry
    assert "《中华人民共和国保守国家秘密法》第三十一条" in body
    assert "保密工作实践" not in body and "《中华人民共和国保守国家秘密法实施条例》第四十一条" in body
    assert '<span class="chip chip-critical">重大泄密隐患</span>' in body
    assert "扣分项：每处扣 4 分" in body and "技术检测" in body  # deduction mark, evidence in words
    assert "<details" in body and "<script>" not in body
    for section in network["sections"]:
        assert f'href="#section-{section["key"]}"' in body


def test_self_assessment_marks_points_deductions_and_the_veto(demo, browser_for):
    body = page(browser_for("leader").get("/checklists/self-assessment"))
    items = items_of(templates()["self-assessment"])
    assert body.count("一票否决</span>") == sum(1 for i in items if i.get("veto"))
    assert body.count("扣分项：每处扣") == sum(1 for i in items if i.get("deduction"))
    assert "《机关、单位保密自查自评标准》（工作要求）" in body


def test_unknown_templates_and_versions_are_not_found(demo, browser_for):
    browser = browser_for("inspector")
    assert browser.get("/checklists/nothing-here").status_code == 404
    assert browser.get(f"/checklists/network/versions/{V + 1}").status_code == 404
    assert browser.get("/checklists/network/versions/0").status_code == 404
    assert browser.get("/checklists/network/versions/99999999999999999999999").status_code == 404
    assert browser.get("/checklists/network/versions/abc").status_code == 404
    assert browser.get("/checklists/" + "x" * 500).status_code == 404
    assert browser.get("/checklists/net%00work").status_code == 404
    assert browser.get(f"/checklists/network/versions/{V}").status_code == 200


def test_an_older_version_reads_as_it_was_and_says_so(demo, browser_for, network_bumped):
    browser = browser_for("inspector")
    old = page(browser.get(f"/checklists/network/versions/{V}"))
    assert F1_TEXT in old and F2_TEXT in old and NEW_ITEM_TEXT not in old
    assert f"这是较早的版本，现行版本为第 {V + 1} 版。" in old
    current = page(browser.get("/checklists/network"))
    assert NEW_ITEM_TEXT in current and F2_TEXT not in current
    assert f'href="/checklists/network/versions/{V}"' in current  # the side list of versions


# Comparing versions -------------------------------------------------------------------------------


def test_diff_shows_added_removed_and_changed_items(demo, browser_for, network_bumped):
    response = browser_for("inspector").get("/checklists/network/diff")  # previous → current by default
    body = page(response)
    assert response.status_code == 200
    assert "新增 1 项，删除 1 项，修改 1 项" in body
    added = body[body.index("新增的检查项（1）"):body.index("删除的检查项")]
    assert "F20" in added and NEW_ITEM_TEXT in added
    removed = body[body.index("删除的检查项（1）"):body.index("修改的检查项")]
    assert "F2</span>" in removed and str(escape(F2_TEXT)) in removed
    changed = body[body.index("修改的检查项（1）"):]
    assert 'id="changed-F1"' in changed and "检查内容" in changed
    assert "<ins>从</ins>" in changed  # the change marked in place
    assert f'<option value="{V}" selected>' in body and f'<option value="{V + 1}" selected>' in body
    same = page(browser_for("officer").get(f"/checklists/network/diff?from={V}&to={V + 1}"))
    assert "新增 1 项，删除 1 项，修改 1 项" in same


def test_diff_between_equal_versions_says_so(demo, browser_for, network_bumped):
    body = page(browser_for("inspector").get(f"/checklists/network/diff?from={V + 1}&to={V + 1}"))
    assert f"两边选的是同一个版本（第 {V + 1} 版），没有差异" in body


def test_diff_refuses_bad_version_numbers_in_words(demo, browser_for, network_bumped):
    browser = browser_for("inspector")
    for query, message in [
        (f"from=abc&to={V + 1}", "“abc”不是有效的版本号"),
        ("from=7", "没有第 7 版。"),
        ("to=99999999", "版本号过大。"),
        ("from=" + "9" * 5000, "不是有效的版本号"),
        ("from=-1", "“-1”不是有效的版本号"),
    ]:
        response = browser.get(f"/checklists/network/diff?{query}")
        assert response.status_code == 400, query
        assert message in page(response), query
        assert '<select name="from">' in page(response)  # the form is there to try again


def test_diff_of_a_template_with_one_version(demo, browser_for):
    response = browser_for("inspector").get("/checklists/carriers/diff?from=2&to=3")
    assert response.status_code == 200
    assert "此检查表只有一个版本，没有可比较的版本。" in page(response)


def test_versions_to_compare_defaults_to_previous_and_current(session, network_bumped, library_copy):
    template = checklists.get_template(session, "network")
    pair = checklists.versions_to_compare(template, None, None)
    assert [v.version for v in pair] == [V, V + 1]
    checklists.set_version_status(session, None, network_bumped, retired=True)
    session.expire_all()
    template = checklists.get_template(session, "network")
    # The current version is now the library's again: compare it with the one after it.
    assert [v.version for v in checklists.versions_to_compare(template, None, None)] == [V, V + 1]
    assert [v.version for v in checklists.versions_to_compare(template, V + 1, None)] == [V + 1, V]


# Searching ----------------------------------------------------------------------------------------


def expected_hits(word: str) -> set[tuple[str, str]]:
    hits = set()
    for template in templates().values():
        for item in items_of(template):
            fields = [item["text"], item["guidance"], item.get("materials") or "", *item.get("keywords", [])]
            if any(word in f for f in fields):
                hits.add((template["key"], item["key"]))
    return hits


def found(body: str) -> set[tuple[str, str]]:
    return set(re.findall(r'<a class="item-key" href="/checklists/([a-z-]+)#item-([A-Z0-9]+)"', body))


def test_search_for_phones_finds_exactly_the_items_that_mention_them(demo, browser_for):
    expected = expected_hits("手机")
    assert len(expected) >= 5
    body = page(browser_for("inspector").get("/checklists/search?q=手机"))
    assert found(body) == expected
    groups = {key for key, _ in expected}
    assert f"在 {len(groups)} 张检查表中找到 {len(expected)} 项" in body
    assert "<mark>手机</mark>" in body


def test_search_is_literal_and_escaped(demo, browser_for):
    browser = browser_for("officer")
    for query in ("%", "_", '"', '","', "<script>"):
        body = page(browser.get("/checklists/search", query_string={"q": query}))
        assert found(body) == set(), query
        assert "没有找到包含" in body
    assert browser.get("/checklists/search", query_string={"q": "手\x00机"}).status_code == 400
    assert "<script>" not in page(browser.get("/checklists/search", query_string={"q": "<script>"}))
    # Case does not matter for Latin text.
    assert found(page(browser.get("/checklists/search?q=usb"))) == found(page(browser.get("/checklists/search?q=USB")))


def test_search_without_a_query_explains_itself(demo, browser_for):
    browser = browser_for("inspector")
    for url in ("/checklists/search", "/checklists/search?q=", "/checklists/search?q=%20%20"):
        body = page(browser.get(url))
        assert "在现行检查表的检查内容" in body and found(body) == set()
    long = browser.get("/checklists/search", query_string={"q": "手" * 5000})
    assert long.status_code == 200


def test_search_covers_only_current_versions(demo, browser_for, network_bumped):
    body = page(browser_for("inspector").get("/checklists/search", query_string={"q": "一机两用"}))
    assert ("network", "F2") not in found(body)


# Administration -----------------------------------------------------------------------------------


def upload(browser, content: bytes, filename: str = "network.yaml", *, csrf: bool = True):
    """POST a file as the upload form does. The body is encoded here: the test client would spool a large one
    to a temporary file that it never closes."""
    boundary = "----checklist-upload-boundary"
    parts = []
    if csrf:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
                     f"{browser.token()}\r\n".encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                 f"Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return browser.client.post("/admin/checklists", data=b"".join(parts),
                               content_type=f"multipart/form-data; boundary={boundary}")


def test_uploading_a_good_template_stores_a_new_version(demo, browser_for, session):
    admin = browser_for("admin")
    before = version_count()
    response = upload(admin, network_v2().encode())
    assert response.status_code == 302
    assert version_count() == before + 1
    stored = checklists.latest_version(session, "network")
    assert (stored.version, stored.source, stored.status) == (V + 1, "upload", "active")
    body = page(admin.get(response.headers["Location"]))
    assert f"已保存“网络与信息设备保密管理检查”第 {V + 1} 版。" in body
    listing = body[body.index('id="template-network"'):]
    assert f'href="/checklists/network/versions/{V + 1}"' in listing and "管理员上传" in listing
    assert NEW_ITEM_TEXT in page(browser_for("inspector").get("/checklists/network"))
    assert session.scalar(select(AuditRecord).where(AuditRecord.action == "checklist.version_create",
                                                    AuditRecord.actor_name == "admin")) is not None


def test_a_refused_upload_shows_every_validator_message_and_stores_nothing(demo, browser_for):
    lines = NETWORK.replace(f"version: {V}", f"version: {V + 2}", 1).splitlines(keepends=True)
    severity = next(i for i, line in enumerate(lines) if "severity: critical" in line)
    lines[severity] = lines[severity].replace("critical", "fatal")
    points = next(i for i, line in enumerate(lines) if "points: 0" in line)
    lines[points] = lines[points].replace("points: 0", "points: lots")
    guidance = next(i for i, line in enumerate(lines) if "guidance_en:" in line and i > points + 5)
    lines[guidance] = lines[guidance].replace("guidance_en:", "guidanc_en:")
    content = "".join(lines)
    expected = load_text(content, "broken-network.yaml").errors
    assert len(expected) == 4
    before = version_count()
    response = upload(browser_for("admin"), content.encode(), "broken-network.yaml")
    assert response.status_code == 400
    body = page(response)
    shown = [html.unescape(e) for e in re.findall(r"<li><code>(.*?)</code></li>", body)]
    assert shown == expected
    assert f"broken-network.yaml:{severity + 1}: item F1: severity must be one of general, serious, critical" in shown
    assert "检查表文件有 4 处错误，未保存。" in body
    assert version_count() == before


@pytest.mark.parametrize(("content", "filename", "message"), [
    (b"key: x", "network.txt", "请上传 .yaml 格式的检查表文件。"),
    (b"a: 1\n" * 120_000, "network.yaml", "检查表文件过大（上限 512 KB）。"),
    ("key: 保密".encode("gbk"), "network.yaml", "文件不是 UTF-8 编码的文本。"),
    (b"\x00\x01\x02", "network.yaml", "YAML syntax error"),
    (b"just words", "network.yaml", "the file must be a mapping"),
    (b"a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
     b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
     b"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
     "network.yaml", "the file expands to more than"),
    (b"[" * 50_000, "network.yaml", "nested too deeply"),
    (NETWORK.encode(), "network.yaml", f"内容与已有的第 {V} 版完全相同，无需上传。"),
    (NETWORK.replace("key: network", "key: search", 1).encode(), "search.yaml", "key search is reserved"),
])
def test_bad_uploads_are_refused_in_words(demo, browser_for, content, filename, message):
    before = version_count()
    response = upload(browser_for("admin"), content, filename)
    assert response.status_code == 400
    assert str(escape(message)) in page(response)
    assert version_count() == before


def test_upload_without_a_file_or_without_csrf(demo, browser_for):
    admin = browser_for("admin")
    before = version_count()
    empty = admin.post("/admin/checklists", {}, content_type="multipart/form-data")
    assert empty.status_code == 400 and "请选择文件。" in page(empty)
    forged = upload(admin, network_v2().encode(), csrf=False)
    assert forged.status_code == 400 and "页面已过期" in page(forged)
    assert version_count() == before


def test_retiring_hides_a_version_from_new_work_but_it_still_reads(demo, browser_for, session):
    admin = browser_for("admin")
    manage = page(admin.get("/admin/checklists"))
    form = manage[manage.index(f'action="/admin/checklists/network/versions/{V}/status"'):]
    assert form.index("data-confirm=") < form.index("</form>")
    response = admin.post(f"/admin/checklists/network/versions/{V}/status", {"retired": "1"})
    assert response.status_code == 302
    assert "network" not in [v.key for v in checklists.current_versions(session)]
    inspector = browser_for("inspector")
    title = templates()["network"]["title"]
    assert title not in page(inspector.get("/checklists"))
    old = inspector.get(f"/checklists/network/versions/{V}")
    assert old.status_code == 200 and F1_TEXT in page(old) and "此版本已停用" in page(old)
    assert "此版本已停用" in page(inspector.get("/checklists/network"))
    assert ("network", "F1") not in found(page(inspector.get("/checklists/search?q=互联网")))
    assert session.scalar(select(AuditRecord).where(AuditRecord.action == "checklist.version_retire")) is not None

    admin.post(f"/admin/checklists/network/versions/{V}/status", {"retired": "0"})
    assert "network" in [v.key for v in checklists.current_versions(session)]
    assert title in page(inspector.get("/checklists"))


def citing(law: str, article: int | None = None) -> set[tuple[str, str]]:
    """(template key, item key) of every library item whose basis cites `law` (and `article`), from the files."""
    return {(key, item["key"]) for key, template in templates().items() for item in items_of(template)
            if any(b["law"] == law and (article is None or b.get("article") == article) for b in item["basis"])}


def cli_rows(app, *args: str) -> tuple[set[tuple[str, str, str]], str]:
    result = app.test_cli_runner().invoke(args=["checklists", "cites", *args])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    return {(line.split()[0], line.split()[1], line.split()[3]) for line in lines[:-1]}, lines[-1]


def test_the_impact_report_lists_exactly_the_items_citing_a_text(app, demo, session):
    expected = citing("保守国家秘密法", 31)
    assert len(expected) > 10
    found = checklists.citing_items(session, "保守国家秘密法", 31)
    assert {(c.version.key, c.item.key) for c in found} == expected and all(c.current for c in found)
    assert all(all(e["article"] == 31 for e in c.entries) for c in found)
    rows, summary = cli_rows(app, "保守国家秘密法", "--article", "31")
    assert {(key, item) for key, _version, item in rows} == expected
    versions = len({key for key, _item in expected})
    assert summary == f"{len(expected)} items in {versions} template versions cite 保守国家秘密法 article 31"
    # By short title, every article; a work requirement too.
    rows, _ = cli_rows(app, "保密法")
    assert {(key, item) for key, _version, item in rows} == citing("保守国家秘密法")
    rows, _ = cli_rows(app, "机关、单位保密自查自评标准")
    assert {(key, item) for key, _version, item in rows} == citing("机关、单位保密自查自评标准")
    refused = app.test_cli_runner().invoke(args=["checklists", "cites", "保密工作实践"])
    assert refused.exit_code != 0 and "is not in the register of legal texts" in refused.output


def test_the_impact_report_names_every_version_that_cites_the_text(app, demo, session, network_bumped):
    expected = citing("保守国家秘密法", 31)
    rows, summary = cli_rows(app, "保守国家秘密法", "--article", "31")
    network = {item for key, _version, item in rows if key == "network"}
    library = {key: f"v{template['version']}" for key, template in templates().items()}
    assert {(key, version) for key, version, _item in rows} == {
        *((key, library[key]) for key, _item in expected), ("network", f"v{V + 1}")}
    # Version 3 of the fixture drops F2 and adds F20 (a copy of F3): both versions are listed as they are.
    assert {item for key, version, item in rows if version == f"v{V}" and key == "network"} == {
        i for k, i in expected if k == "network"}
    versions = len({key for key, _item in expected}) + 1
    assert "F20" in network and summary.endswith(f"in {versions} template versions cite 保守国家秘密法 article 31")


def test_the_admin_sees_the_impact_report_on_the_library_page(demo, browser_for, session):
    admin = browser_for("admin")
    body = page(admin.get("/admin/checklists?law=保守国家秘密法&article=39"))
    report = body[body.index('id="cites"'):]
    report = report[: report.index("</section>")]
    expected = citing("保守国家秘密法", 39)
    assert (f"引用《中华人民共和国保守国家秘密法》第 39 条的检查项：{len(expected)} 项，"
            f"分布在 2 个检查表版本中。") in report
    assert set(re.findall(r"<b>([A-Z]+\d+)</b>", report)) == {item for _key, item in expected}
    assert "《中华人民共和国保守国家秘密法》第三十九条" in report
    everything = page(admin.get("/admin/checklists?law=保密法"))
    assert f"的检查项：{len(citing('保守国家秘密法'))} 项" in everything
    for query, message in [("law=保密工作实践", "法规库中没有“保密工作实践”。"),
                           ("law=保守国家秘密法&article=abc", "条号应为 1 至 500 之间的整数，或者不填。"),
                           ("law=保守国家秘密法&article=0", "条号应为 1 至 500 之间的整数，或者不填。"),
                           ("law=" + "法" * 300 + "&article=99999999999", "法规库中没有")]:
        response = admin.get(f"/admin/checklists?{query}")
        assert response.status_code == 200 and message in page(response), query
    assert browser_for("inspector").get("/admin/checklists?law=保密法").status_code == 403


def test_retiring_needs_the_token_and_a_real_version(demo, browser_for, session):
    admin = browser_for("admin")
    assert admin.post(f"/admin/checklists/network/versions/{V}/status", {"retired": "1"}, csrf=False).status_code == 400
    assert admin.post("/admin/checklists/network/versions/9/status", {"retired": "1"}).status_code == 404
    assert admin.post("/admin/checklists/nothing/versions/2/status", {"retired": "1"}).status_code == 404
    assert "network" in [v.key for v in checklists.current_versions(session)]


# Who may see what ---------------------------------------------------------------------------------

READ_PAGES = ["/checklists", "/checklists/network", f"/checklists/network/versions/{V}", "/checklists/network/diff",
              "/checklists/search?q=手机"]


@pytest.mark.parametrize("username", ["admin", "inspector", "inspector2", "leader", "officer"])
def test_everyone_who_works_with_checklists_reads_the_library(demo, browser_for, username):
    browser = browser_for(username)
    for url in READ_PAGES:
        assert browser.get(url).status_code == 200, url


def test_the_auditor_sees_only_the_audit_trail(demo, browser_for):
    auditor = browser_for("auditor")
    for url in [*READ_PAGES, "/admin/checklists"]:
        assert auditor.get(url).status_code == 403, url


@pytest.mark.parametrize("username", ["inspector", "leader", "officer", "auditor"])
def test_only_the_administrator_manages_versions(demo, browser_for, session, username):
    browser = browser_for(username)
    assert browser.get("/admin/checklists").status_code == 403
    assert browser.post(f"/admin/checklists/network/versions/{V}/status", {"retired": "1"}).status_code == 403
    assert upload(browser, network_v2().encode()).status_code == 403
    assert "network" in [v.key for v in checklists.current_versions(session)]
    assert checklists.latest_version(session, "network").version == V


def test_signed_out_visitors_are_sent_to_log_in(demo, client):
    for url in [*READ_PAGES, "/admin/checklists"]:
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), url


# In English ---------------------------------------------------------------------------------------


def test_the_english_ui_shows_the_english_text(app, demo, browser_for):
    officer = browser_for("officer")
    officer.post("/language", {"lang": "en", "next": "/checklists"})
    network = templates()["network"]
    body = page(officer.get("/checklists/network"))
    assert network["title_en"] in body
    f1 = items_of(network)[0]
    assert str(escape(f1["text_en"])) in body and f1["text"] not in body
    assert str(escape(f1["guidance_en"])) in body
    assert str(escape("Law of the People's Republic of China on Guarding State Secrets, art. 31")) in body
    with app.test_request_context(), force_locale("en"):
        assert all(str(escape(format_basis(b))) in body for b in f1["basis"])
    browse = page(officer.get("/checklists"))
    assert all(str(escape(t["title_en"])) in browse for t in templates().values())
    search = page(officer.get("/checklists/search?q=phone"))
    assert "<mark>phone</mark>" in search or "<mark>Phone</mark>" in search


def test_the_pages_hold_no_inline_script_style_or_handlers(demo, browser_for, network_bumped):
    admin = browser_for("admin")
    for url in [*READ_PAGES, "/checklists/network/diff?from=2&to=3", "/admin/checklists"]:
        body = page(admin.get(url))
        assert not re.search(r"<script(?![^>]*\bsrc=)", body), url
        assert not re.search(r"\sstyle=|\son[a-z]+=", body), url
