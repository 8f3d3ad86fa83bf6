"""The shipped checklist library, its validator and versioned sync."""

import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from inspect_app.clock import local_today
from inspect_app.extensions import db
from inspect_app.models import ChecklistItem, TemplateVersion
from inspect_app.services import checklists
from inspect_app.services.checklists import legal_texts
from inspect_app.services.checklists.schema import load_file, load_text

LIBRARY = Path(__file__).resolve().parent.parent / "checklists"
AREAS = {"responsibility", "education", "classification", "personnel", "carrier", "network", "key_department",
         "meeting"}


def library():
    return [load_file(p, f"checklists/{p.name}") for p in sorted(LIBRARY.glob("*.yaml"))]


def test_the_shipped_library_is_valid_and_covers_every_area():
    results = library()
    assert all(r.ok for r in results), [e for r in results for e in r.errors]
    templates = [r.template for r in results]
    by_category = Counter(t.category for t in templates)
    assert set(by_category) >= AREAS
    assert by_category["self_assessment"] == 1
    area_items = [i for t in templates if t.category in AREAS for i in t.items()]
    assert len(area_items) >= 100
    for item in area_items:
        assert item.basis and item.guidance and item.severity and item.text_en
    # Direct leak paths are deduction items, and they are critical.
    deductions = {i.key for i in area_items if i.deduction}
    assert {"F1", "F2", "F3", "E3"} <= deductions
    assert all(i.severity == "critical" for i in area_items if i.deduction)


def test_carriers_follow_the_whole_lifecycle():
    carriers = next(r.template for r in library() if r.template.category == "carrier")
    text = " ".join([s.title for s in carriers.sections] + [i.text for i in carriers.items()])
    for stage in ("制作", "收发", "传递", "复制", "保存", "维修", "销毁"):
        assert stage in text, stage


def test_the_self_assessment_scores_out_of_a_hundred_with_deductions_and_a_veto():
    template = next(r.template for r in library() if r.template.category == "self_assessment")
    items = template.items()
    assert sum(i.points for i in items) == 100
    assert sum(1 for i in items if i.deduction) >= 6
    assert sum(1 for i in items if i.veto) == 1


def test_every_basis_cites_a_text_in_force_and_every_item_has_one():
    register = legal_texts.register()
    today = local_today()
    for result in library():
        for item in result.template.items():
            assert item.basis, item.key
            for basis in item.basis:
                text = register.find(basis.law, basis.year)
                assert text is not None and register.in_force(text, today), (item.key, basis)
                assert basis.article is None or basis.article in text.articles, (item.key, basis)
            # An item that rests only on work requirements says so on every citation; most rest on the law.
    statutory = sum(1 for r in library() for i in r.template.items()
                    if any(not register.find(b.law, b.year).is_requirement for b in i.basis))
    assert statutory >= 165


# The first basis entry of F1 in network.yaml: 保守国家秘密法 2024 art 31 item 1.
F1_BASIS = "          - law: 保守国家秘密法\n            year: 2024\n            article: 31\n            item: 1\n"


@pytest.mark.parametrize(("replacement", "message"), [
    ("          - law: 保密工作实践\n",
     "law 保密工作实践 is not in the register of legal texts"),
    ("          - law: 保守国家秘密法\n            year: 2010\n            article: 24\n",
     "保守国家秘密法 (2010) was replaced by 保守国家秘密法 (2024) on 2024-05-01; cite the text in force"),
    ("          - law: 国家秘密定密管理暂行规定\n            year: 2014\n",
     "国家秘密定密管理暂行规定 (2014) was replaced by 国家秘密定密管理规定 (2025) on 2025-05-01"),
    ("          - law: 保守国家秘密法\n            year: 2024\n            article: 66\n",
     "保守国家秘密法 (2024) has articles 1 to 65; article 66 is outside that range"),
    ("          - law: 保守国家秘密法\n            year: 2024\n            article: 31\n            item: 7\n",
     "article 31 of 保守国家秘密法 (2024) has 6 item(s); item 7 is not one"),
    ("          - law: 保守国家秘密法\n            year: 2024\n            article: 8\n            paragraph: 2\n",
     "article 8 of 保守国家秘密法 (2024) has 1 paragraph(s); paragraph 2 is not one"),
    ("          - law: 国家秘密定密管理规定\n            year: 2025\n            article: 9\n",
     "article 9 of 国家秘密定密管理规定 (2025) is not one the register has read"),
    ("          - law: 机关、单位保密自查自评标准\n            article: 53\n",
     "机关、单位保密自查自评标准 is a work requirement and is cited without a number"),
    ("          - law: 保守国家秘密法\n            year: 2024\n            article: 39\n            note: 条号待核\n",
     "the note reads as a working note (待核)"),
    ("          - law: 保守国家秘密法\n            year: 2024\n            article: 9\n            confirmed: false\n",
     "confirmed is not a known field"),
])
def test_a_wrong_basis_is_refused_with_file_and_line(tmp_path, replacement, message):
    path = tmp_path / "network.yaml"
    text = (LIBRARY / "network.yaml").read_text(encoding="utf-8")
    assert text.count(F1_BASIS) >= 1
    path.write_text(text.replace(F1_BASIS, replacement, 1), encoding="utf-8")
    line = text[: text.index(F1_BASIS)].count("\n") + 1
    errors = load_file(path, "checklists/network.yaml").errors
    assert len(errors) == 1, errors
    where, _, what = errors[0].partition(": item F1: ")
    assert where.startswith("checklists/network.yaml:") and message in what, errors
    # The line named is the wrong entry's (or, for an unknown field, that field's own line).
    assert int(where.split(":")[1]) in range(line, line + replacement.count("\n")), (errors, line)


def test_validate_on_the_command_line_fails_with_file_and_line(app, tmp_path):
    path = tmp_path / "network.yaml"
    text = (LIBRARY / "network.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace(F1_BASIS, "          - law: 保守国家秘密法\n            year: 2010\n", 1),
                    encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["checklists", "validate", str(path)])
    assert result.exit_code == 1
    line = text[: text.index(F1_BASIS)].count("\n") + 1
    assert f"network.yaml:{line}: item F1: 保守国家秘密法 (2010) was replaced" in result.output


def test_a_basis_without_a_year_cites_and_stores_the_version_in_force(tmp_path):
    path = tmp_path / "network.yaml"
    text = (LIBRARY / "network.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace(F1_BASIS, "          - law: 保守国家秘密法\n            article: 31\n", 1),
                    encoding="utf-8")
    result = load_file(path, "checklists/network.yaml")
    assert result.ok, result.errors
    assert result.template.items()[0].basis[0].year == 2024


def test_the_register_holds_the_articles_read_in_the_texts():
    register = legal_texts.register()
    law, regulation = register.find("保守国家秘密法", 2024), register.find("保守国家秘密法实施条例", 2024)
    assert sorted(law.articles) == list(range(1, 66)) and sorted(regulation.articles) == list(range(1, 75))
    assert [c.title for c in law.chapters] == ["总则", "国家秘密的范围和密级", "保密制度", "监督管理", "法律责任",
                                               "附则"]
    assert law.articles[28].items == [6] and regulation.articles[45].items == [5, 0]
    assert register.current("保守国家秘密法", date(2024, 4, 30)).year == 2010
    assert register.current("保守国家秘密法", date(2024, 5, 1)).year == 2024
    assert register.current("保守国家秘密法实施条例", date(2024, 8, 31)).year == 2014
    assert legal_texts.resolve("保密法") == legal_texts.resolve("《中华人民共和国保守国家秘密法》") == "保守国家秘密法"
    assert legal_texts.resolve("保密工作实践") is None


@pytest.fixture
def broken(tmp_path):
    """A copy of network.yaml to break, line by line."""
    path = tmp_path / "network.yaml"
    shutil.copy(LIBRARY / "network.yaml", path)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)

    def write(edit) -> list[str]:
        path.write_text("".join(edit(list(lines))), encoding="utf-8")
        return load_file(path, "checklists/network.yaml").errors

    write.path = path

    def line_of(text: str, start: int = 0) -> int:
        return next(i for i, line in enumerate(lines) if i >= start and text in line)

    return write, line_of


def test_a_bad_enum_value_names_file_line_item_and_field(broken):
    write, line_of = broken
    at = line_of("severity: critical")

    def edit(lines):
        lines[at] = lines[at].replace("critical", "fatal")
        return lines

    assert write(edit) == [
        f"checklists/network.yaml:{at + 1}: item F1: severity must be one of general, serious, critical"
    ]


def test_a_missing_field(broken):
    write, line_of = broken
    at = line_of("guidance_en:")
    item_line = line_of("- key: F1")

    def edit(lines):
        del lines[at]
        return lines

    assert write(edit) == [f"checklists/network.yaml:{item_line + 1}: item F1: guidance_en is missing"]


def test_a_duplicate_key(broken):
    write, line_of = broken
    at = line_of("- key: F2")

    def edit(lines):
        lines[at] = lines[at].replace("F2", "F1")
        return lines

    first = line_of("- key: F1")
    assert write(edit) == [f"checklists/network.yaml:{at + 1}: item F1: key is used twice (first at line {first + 1})"]


def test_a_yaml_syntax_error(broken):
    write, line_of = broken
    at = line_of("title: 涉密网络与互联网隔离")

    def edit(lines):
        lines[at] = lines[at].replace("title: ", "title: [")
        return lines

    errors = write(edit)
    assert len(errors) == 1
    assert errors[0].startswith(f"checklists/network.yaml:{at + 2}: YAML syntax error")


def test_cli_validate_fails_on_a_broken_copy_and_passes_on_the_library(app, broken):
    write, line_of = broken
    at = line_of("points: 0")

    def edit(lines):
        lines[at] = lines[at].replace("points: 0", "points: lots")
        return lines

    write(edit)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["checklists", "validate", str(write.path)])
    assert result.exit_code == 1
    assert f"network.yaml:{at + 1}: item F1: points must be a whole number" in result.output
    good = runner.invoke(args=["checklists", "validate"])
    assert good.exit_code == 0, good.output


def version_count() -> int:
    return db.session.scalar(select(func.count()).select_from(TemplateVersion))


@pytest.fixture
def library_copy(app, tmp_path):
    """The library copied to a folder the test may edit, and made the app's library."""
    folder = tmp_path / "checklists"
    shutil.copytree(LIBRARY, folder)
    app.config["CHECKLISTS_DIR"] = str(folder)
    return folder


def test_sync_is_idempotent(app, library_copy):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["checklists", "sync"])  # the test database holds the synced library already
    assert first.exit_code == 0 and "0 new versions, 9 unchanged" in first.output
    count = version_count()
    items = db.session.scalar(select(func.count()).select_from(ChecklistItem))
    second = runner.invoke(args=["checklists", "sync"])
    assert second.exit_code == 0 and "0 new versions, 9 unchanged" in second.output
    assert version_count() == count
    assert db.session.scalar(select(func.count()).select_from(ChecklistItem)) == items


def test_changed_text_without_a_version_bump_is_an_error(app, session, library_copy):
    path = library_copy / "network.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("涉密计算机和涉密网络未以任何方式连接互联网", "涉密计算机和涉密网络从未连接互联网"),
                    encoding="utf-8")
    lines = path.read_text(encoding="utf-8").splitlines()
    line = next(i for i, text_line in enumerate(lines) if "- key: F1" in text_line) + 1
    result = app.test_cli_runner().invoke(args=["checklists", "validate"])
    assert result.exit_code == 1
    synced = yaml.safe_load(text)["version"]
    assert (f"checklists/network.yaml:{line}: item F1: text changed since version {synced} was synced; "
            f"bump the version") in result.output
    sync = app.test_cli_runner().invoke(args=["checklists", "sync"])
    assert sync.exit_code != 0 and version_count() == 9


def test_a_bumped_version_is_stored_and_the_old_one_stays_readable(app, session, library_copy):
    old = checklists.latest_version(session, "network")
    path = library_copy / "network.yaml"
    bumped = old.version + 1
    text = path.read_text(encoding="utf-8").replace(f"version: {old.version}", f"version: {bumped}", 1)
    path.write_text(text.replace("涉密计算机和涉密网络未以任何方式连接互联网", "涉密计算机和涉密网络从未连接互联网"),
                    encoding="utf-8")
    report = checklists.sync_library(session)
    assert [(v.template.key, v.version) for v in report.created] == [("network", bumped)]
    assert len(report.unchanged) == 8
    db.session.expire_all()
    new = checklists.latest_version(session, "network")
    assert new.version == bumped and old.id != new.id
    kept = db.session.get(TemplateVersion, old.id)
    f1 = next(i for s in kept.sections for i in s.items if i.key == "F1")
    assert "未以任何方式" in f1.text
    diff = checklists.diff_versions(kept, new)
    assert [c.key for c in diff.changed] == ["F1"] and diff.changed[0].fields == ["text"]
    assert not diff.added and not diff.removed


def test_search_is_a_literal_substring_and_names_the_fields_that_matched(session):
    hits = checklists.search_items(session, "手机")
    assert hits and all(checklists.matched_fields(i, "手机") for i in hits)
    e11 = next(i for i in hits if i.key == "E11")
    assert checklists.matched_fields(e11, "手机") == ["text", "guidance", "materials", "keywords"]
    # LIKE wildcards and the JSON the keywords are stored in match nothing of their own.
    for query in ("%", "_", '"', '","', "[", "\\"):
        assert checklists.search_items(session, query) == [], query
    assert checklists.search_items(session, "   ") == []
    result = checklists.search_library(session, "手机", limit=3)
    assert result.count == 3 and result.truncated


def test_files_that_expand_or_nest_beyond_reason_are_refused_not_parsed():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join(['*' + chr(97 + n)] * 10)}]\n" for n in range(6))
    assert load_text(bomb, "bomb.yaml").errors == [
        "bomb.yaml:1: the file expands to more than 100000 values (too large, or aliases that repeat themselves); "
        "write it out plainly"]
    assert load_text("a: &a [*a]", "loop.yaml").errors[0].startswith("loop.yaml:1: the file expands")
    assert load_text("[" * 50_000, "deep.yaml").errors == [
        "deep.yaml:1: the file is nested too deeply to be a checklist"]


def test_a_template_may_not_take_a_key_the_pages_use(broken):
    write, line_of = broken
    at = line_of("key: network")

    def edit(lines):
        lines[at] = "key: search\n"
        return lines

    assert f"checklists/network.yaml:{at + 1}: key search is reserved" in write(edit)[0]


def test_an_inspection_keeps_its_pinned_version_when_the_library_moves_on(app, library_copy, demo):
    from inspect_app.models import DocumentKind
    from inspect_app.services import documents

    from . import factories as f

    inspection = f.make_inspection("DH-ZFB", templates=("network",))
    f.answer_all(inspection, failing={"F1": "noncompliant"})
    f.submit(inspection)
    notice = f.make_notice(inspection)
    before = documents.prepare(db.session, DocumentKind.NOTICE, notice)
    assert "《中华人民共和国保守国家秘密法》第三十一条第一项" in before.data["findings"][0]["basis"]
    # The library revises F1's basis in a new version.
    path = library_copy / "network.yaml"
    pinned = inspection.versions[0].version
    text = path.read_text(encoding="utf-8").replace(f"version: {pinned}", f"version: {pinned + 1}", 1)
    path.write_text(text.replace(F1_BASIS, "          - law: 保守国家秘密法\n            year: 2024\n"
                                           "            article: 29\n            paragraph: 2\n", 1), encoding="utf-8")
    report = checklists.sync_library(db.session)
    assert [(v.template.key, v.version) for v in report.created] == [("network", pinned + 1)]
    db.session.expire_all()
    assert [v.version for v in inspection.versions] == [pinned]
    after = documents.prepare(db.session, DocumentKind.NOTICE, notice)
    assert (after.version, after.code, after.data["findings"]) == (before.version, before.code,
                                                                   before.data["findings"])
    newer = f.make_inspection("DH-ZFB", templates=("network",))
    assert [v.version for v in newer.versions] == [pinned + 1]
    cited = [c for c in checklists.citing_items(db.session, "保守国家秘密法", 31) if c.item.key == "F1"]
    assert [(c.version.version, c.current) for c in cited] == [(pinned, False)]
