"""The appraisal scheme as data: the library's file validates, every mistake is reported as file:line in plain words,
a synced version never changes, and the sources of incidents and registers are known names with their readings."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from inspect_app.extensions import db
from inspect_app.models import AppraisalScheme, AuditRecord
from inspect_app.services import appraisals
from inspect_app.services.appraisals import scheme as scheme_format

LIBRARY = Path(__file__).parent.parent / "checklists" / "appraisal"

GOOD = """\
key: small
version: 1
title: 小考核
title_en: Small appraisal
basis:
  - law: 保守国家秘密法
    year: 2024
    article: 8
indicators:
  - key: inspection
    title: 检查得分
    title_en: Inspection score
    source: inspection.latest_score
    weight: 60
  - key: repeats
    title: 屡查屡犯
    title_en: Repeat findings
    source: inspection.repeat_findings
    weight: 40
    deduct: 20
vetoes:
  - key: veto
    title: 否决项不符合
    title_en: Failed veto item
    source: inspection.veto_failed
bands:
  - {key: excellent, min: 90}
  - {key: qualified, min: 75}
  - {key: basic, min: 60}
  - {key: unqualified, min: 0}
"""


def errors_of(text: str, name: str = "small.yaml") -> list[str]:
    return scheme_format.load_text(text, name, expected_key=name.removesuffix(".yaml")).errors


def test_the_librarys_scheme_is_valid(app):
    results = appraisals.load_paths(appraisals.scheme_files())
    assert [r.source for r in results] == ["checklists/appraisal/annual.yaml"]
    assert results[0].errors == []
    annual = results[0].scheme
    assert sum(i.weight for i in annual.indicators) == 100
    assert {i.source for i in annual.indicators} >= {"inspection.latest_score", "rectification.on_time_rate",
                                                     "incidents.count", "registers.training_coverage", "manual"}
    assert {v.source for v in annual.vetoes} == {"incidents.leak_confirmed", "inspection.veto_failed"}
    assert annual.min_weight == 50  # leadership and the two incident indicators alone (20) rate no one


def test_a_good_scheme_and_its_hash(app):
    result = scheme_format.load_text(GOOD, "small.yaml", expected_key="small")
    assert result.ok and result.scheme.content_hash() == scheme_format.load_text(GOOD, "x").scheme.content_hash()
    assert scheme_format.load_text(GOOD.replace("weight: 60", "weight: 59").replace("weight: 40", "weight: 41"),
                                   "x").scheme.content_hash() != result.scheme.content_hash()
    # A scheme without min_weight hashes as it did before the field existed, so a synced version still matches its
    # file; setting it is other content.
    assert result.scheme.min_weight == 0 and "min_weight" not in result.scheme.canonical_json()
    assert result.scheme.content_hash() == "d54ef20b190033f8512d1fb7eb65590af33543fb5203d3207dddc9ffc578aa97"
    assert scheme_format.load_text(GOOD.replace("bands:", "min_weight: 50\nbands:"), "x").scheme.content_hash(
    ) != result.scheme.content_hash()
    assert all(scheme_format.load_text(GOOD.replace("bands:", f"min_weight: {bound}\nbands:"), "x").ok
               for bound in ("0", "100", "62.5"))


@pytest.mark.parametrize(("change", "expected"), [
    (("weight: 40", "weight: 30"), "small.yaml:9: the indicators' weights add up to 90; they must add up to 100"),
    (("source: inspection.latest_score", "source: inspection.best_score"),
     "small.yaml:13: indicator inspection: source inspection.best_score is not a known indicator source"),
    (("    deduct: 20\n", ""),
     "small.yaml:15: indicator repeats: source inspection.repeat_findings counts; give deduct"),
    (("    weight: 60\n", "    weight: 60\n    deduct: 5\n"),
     "small.yaml:10: indicator inspection: source inspection.latest_score is a score out of 100 and takes no deduct"),
    (("source: inspection.latest_score", "source: inspection.veto_failed"),
     "small.yaml:13: indicator inspection: source inspection.veto_failed is a veto item's source"),
    (("source: inspection.veto_failed", "source: inspection.latest_score"),
     "small.yaml:25: veto veto: source inspection.latest_score is an indicator's source, not a veto item's"),
    (("key: repeats", "key: inspection"), "small.yaml:15: key inspection is used twice (first at line 10)"),
    (("{key: qualified, min: 75}", "{key: qualified, min: 95}"),
     "small.yaml:26: each band's min must be lower than the one before it"),
    (("{key: basic, min: 60}", "{key: good, min: 60}"),
     "small.yaml:29: key must be one of excellent, qualified, basic, unqualified"),
    (("{key: unqualified, min: 0}", "{key: unqualified, min: 10}"),
     "small.yaml:30: the last band (unqualified) must start at 0"),
    (("weight: 60", "weight: sixty"), "small.yaml:14: indicator inspection: weight must be a whole number"),
    (("    title_en: Inspection score\n", "    title_en: Inspection score\n    colour: red\n"),
     "small.yaml:13: indicator inspection: colour is not a known field"),
    (("article: 8", "article: 999"), "small.yaml:8: article must be at most 500"),
    (("article: 8", "article: 66"),
     "small.yaml:6: 保守国家秘密法 (2024) has articles 1 to 65; article 66 is outside that range"),
    (("key: small", "key: other"), "small.yaml:1: key must match the file name (small)"),
    (("bands:", "min_weight: 120\nbands:"), "small.yaml:26: min_weight must be at most 100"),
    (("bands:", "min_weight: -5\nbands:"), "small.yaml:26: min_weight must be at least 0"),
    (("bands:", "min_weight: half\nbands:"), "small.yaml:26: min_weight must be a number"),
])
def test_every_mistake_names_its_file_and_line(app, change, expected):
    old, new = change
    assert old in GOOD
    found = errors_of(GOOD.replace(old, new, 1))
    assert any(e.startswith(expected) for e in found), found


def test_broken_files_say_why(app):
    assert errors_of("key: [unclosed")[0].startswith("small.yaml:1: YAML syntax error")
    assert errors_of("- a list\n")[0] == ("small.yaml:1: the file must be a mapping with key, version, title, basis, "
                                          "indicators and bands")
    bomb = "a: &a [1,1,1,1,1,1,1,1,1,1]\n" + "".join(
        f"{chr(98 + n)}: &{chr(98 + n)} [*{chr(97 + n)},*{chr(97 + n)},*{chr(97 + n)},*{chr(97 + n)},*{chr(97 + n)}]\n"
        for n in range(8))
    assert "expands to more than" in errors_of(bomb)[0]


def test_the_sources_of_incidents_and_registers_are_known_names_with_their_readings(app):
    """A scheme naming incidents.* and registers.training_coverage validates, and every source the registry declares
    has the function that reads it."""
    text = GOOD.replace("source: inspection.repeat_findings\n    weight: 40\n    deduct: 20",
                        "source: incidents.late_reports\n    weight: 20\n    deduct: 50\n"
                        "  - key: training\n    title: 培训\n    title_en: Training\n"
                        "    source: registers.training_coverage\n    weight: 20")
    text = text.replace("source: inspection.veto_failed", "source: incidents.leak_confirmed")
    assert errors_of(text) == [], errors_of(text)
    assert [name for name, source in appraisals.SOURCES.items() if not callable(source.compute)] == []
    assert appraisals.SOURCES["registers.training_coverage"].compute is appraisals.readings.training_coverage


def test_sync_stores_each_content_once_and_never_changes_a_version(app, tmp_path):
    folder = tmp_path / "appraisal"
    folder.mkdir()
    app.config["APPRAISAL_SCHEMES_DIR"] = str(folder)
    (folder / "small.yaml").write_text(GOOD, encoding="utf-8")
    report = appraisals.sync_schemes(db.session)
    assert report.errors == [] and [s.key for s in report.created] == ["small"]
    assert appraisals.sync_schemes(db.session).unchanged == ["small"]
    # The same version with other content is refused; nothing is stored.
    (folder / "small.yaml").write_text(GOOD.replace("title: 小考核", "title: 小型考核"), encoding="utf-8")
    report = appraisals.sync_schemes(db.session)
    assert report.errors == [f"{folder / 'small.yaml'}:2: version 1 was synced with other content; bump the version"]
    second = GOOD.replace("title: 小考核", "title: 小型考核").replace("version: 1", "version: 2")
    (folder / "small.yaml").write_text(second, encoding="utf-8")
    assert [s.version for s in appraisals.sync_schemes(db.session).created] == [2]
    assert [(s.key, s.version) for s in appraisals.current_schemes(db.session)] == [("small", 2)]
    stored = db.session.scalars(select(AppraisalScheme).order_by(AppraisalScheme.version)).all()
    assert [s.title for s in stored] == ["小考核", "小型考核"]  # version 1 as it was synced
    assert db.session.scalar(select(AuditRecord).where(AuditRecord.action == "appraisal.scheme_create")
                             .order_by(AuditRecord.id.desc())).details.count('"version":2') == 1


def test_the_command_line_validates_and_syncs(app, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["appraisals", "validate"])
    assert result.exit_code == 0 and "1 schemes: valid" in result.output
    bad = tmp_path / "broken.yaml"
    bad.write_text(GOOD.replace("key: small", "key: broken").replace("weight: 40", "weight: 10"), encoding="utf-8")
    result = runner.invoke(args=["appraisals", "validate", str(bad)])
    assert result.exit_code == 1 and f"{bad}:9: the indicators' weights add up to 70" in result.output
    result = runner.invoke(args=["appraisals", "sync"])
    assert result.exit_code == 0 and "synced appraisal scheme annual version 2" in result.output
    assert "0 new scheme versions, 1 unchanged" in runner.invoke(args=["appraisals", "sync"]).output
