"""The shipped checklist library, its validator and versioned sync."""

import shutil
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from inspect_app.extensions import db
from inspect_app.models import ChecklistItem, TemplateVersion
from inspect_app.services import checklists
from inspect_app.services.checklist_schema import load_file, load_text

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


def test_unconfirmed_articles_are_marked_not_invented():
    for result in library():
        for item in result.template.items():
            for basis in item.basis:
                if basis.law == "保密工作实践":
                    assert basis.article is None and not basis.confirmed


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
    assert f"checklists/network.yaml:{line}: item F1: text changed since version 1 was synced; bump the version" \
        in result.output
    sync = app.test_cli_runner().invoke(args=["checklists", "sync"])
    assert sync.exit_code != 0 and version_count() == 9


def test_a_bumped_version_is_stored_and_the_old_one_stays_readable(app, session, library_copy):
    old = checklists.latest_version(session, "network")
    path = library_copy / "network.yaml"
    text = path.read_text(encoding="utf-8").replace("version: 1", "version: 2", 1)
    path.write_text(text.replace("涉密计算机和涉密网络未以任何方式连接互联网", "涉密计算机和涉密网络从未连接互联网"),
                    encoding="utf-8")
    report = checklists.sync_library(session)
    assert [(v.template.key, v.version) for v in report.created] == [("network", 2)]
    assert len(report.unchanged) == 8
    db.session.expire_all()
    new = checklists.latest_version(session, "network")
    assert new.version == 2 and old.id != new.id
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
