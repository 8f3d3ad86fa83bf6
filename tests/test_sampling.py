"""Sampling a register on site: the draw comes out the same from its recorded seed (here and in sampling.js), it
travels with the item's answer through the API, a replay changes nothing, and a failed entry fails the item and
is named in its finding."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from inspect_app.extensions import db
from inspect_app.models import AuditRecord, Inspection, SampleCheck, SampleDraw, SecretCarrier
from inspect_app.services import registers

from .factories import answer_all, make_inspection, submit
from .helpers import node, user

# What static/js/sampling.js draws for these seeds from the ids 7, 10, 13, … (5,000 of them), taken 7 at a time:
# the two generators must agree, or the server refuses the tablet's draw.
POPULATION = [i * 3 + 7 for i in range(5000)]
JS_DRAWS = {0: [4003, 13, 3358, 2206, 7021, 8188, 9241], 1: [9412, 49, 7921, 14722, 14533, 4234, 9205]}


@pytest.mark.parametrize("seed", sorted(JS_DRAWS))
def test_the_draw_is_the_one_the_tablet_makes(seed):
    assert registers.draw(seed, POPULATION, 7) == JS_DRAWS[seed]


def test_a_draw_depends_on_the_seed_and_the_population_only():
    assert registers.draw(99, [5, 3, 9, 3, 1], 3) == registers.draw(99, [1, 3, 5, 9], 3)  # order, repeats
    assert sorted(registers.draw(99, [1, 2, 3], 10)) == [1, 2, 3]  # fewer entries than asked for: all of them
    draws = {tuple(registers.draw(seed, range(1, 101), 5)) for seed in range(50)}
    assert len(draws) == 50 and all(len(set(d)) == 5 for d in draws)


@pytest.fixture
def carriers_unit(demo):
    """东湖区人民政府办公室 with twelve carriers in its register."""
    for n in range(1, 13):
        registers.create_entry(db.session, user("officer"), node("DH-ZFB"), registers.REGISTERS["carriers"], {
            "number": f"ZT-{n:03d}", "title": f"文件{n}", "kind": "paper", "level": "confidential",
            "source": "received", "holder": "李华", "state": "held"})
    return db.session.scalars(select(SecretCarrier.id).order_by(SecretCarrier.id)).all()


@pytest.fixture
def inspection(carriers_unit):
    return make_inspection("DH-ZFB", templates=["carriers"])


def item_of(inspection, key="E10"):
    """The item with `key` of the inspection's checklists (read afresh: each request ends the test's session)."""
    pinned = db.session.get(Inspection, inspection.id)
    return next(i for v in pinned.versions for s in v.sections for i in s.items if i.key == key)


def write(browser, inspection, sample, *, value=None, finding=None, uuid_=None, base=None, item="E10", **more):
    item_id = item_of(inspection, item).id
    if base is None:
        stored = browser.get(f"/api/v1/inspections/{inspection.id}").get_json()["answers"]
        base = next((a["revision"] for a in stored if a["item_id"] == item_id), 0)
    body = {"client_uuid": uuid_ or str(uuid.uuid4()), "item_id": item_id, "base_revision": base, "value": value,
            "finding_text": finding, "sample": sample, **more}
    response = browser.send_json("PUT", f"/api/v1/inspections/{inspection.id}/answers", {"answers": [body]})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"][0]


def test_the_first_write_records_the_draw_and_its_seed_remakes_it(inspection, carriers_unit, browser_for):
    browser = browser_for("inspector")
    drawn = registers.draw(123456, carriers_unit, 5)
    outcome = write(browser, inspection, {"seed": 123456, "population": carriers_unit, "entries": drawn})
    assert outcome["status"] == "saved"
    sample = outcome["answer"]["sample"]
    assert [e["id"] for e in sample["entries"]] == drawn and sample["size"] == 5 and sample["checks"] == []
    stored = db.session.scalar(select(SampleDraw))
    assert (stored.seed, stored.population, stored.unit_id) == (123456, carriers_unit, node("DH-ZFB").id)
    assert registers.draw(stored.seed, stored.population, stored.size) == [e["id"] for e in stored.entries]
    assert stored.entries[0]["number"].startswith("ZT-")
    record = db.session.scalar(select(AuditRecord).where(AuditRecord.action == "registers.sample_draw"))
    assert '"seed":123456' in record.details and '"population":12' in record.details


def test_checks_travel_with_the_answer_and_a_replay_changes_nothing(inspection, carriers_unit, browser_for):
    browser = browser_for("inspector")
    drawn = registers.draw(7, carriers_unit, 5)
    write(browser, inspection, {"seed": 7, "population": carriers_unit, "entries": drawn})
    number = db.session.scalar(select(SampleDraw)).entries[1]["number"]
    finding = f"抽查涉密载体 5 条，1 条不符合：{number}（未登记销毁）。"
    checks = [{"entry_id": drawn[0], "result": "compliant"},
              {"entry_id": drawn[1], "result": "noncompliant", "note": "未登记销毁"}]
    sent = str(uuid.uuid4())
    first = write(browser, inspection, {"seed": 7, "checks": checks}, value="noncompliant", finding=finding,
                  uuid_=sent)
    assert first["status"] == "saved"
    again = write(browser, inspection, {"seed": 7, "checks": checks}, value="noncompliant", finding=finding,
                  uuid_=sent, base=first["answer"]["revision"] - 1)
    assert again["status"] == "duplicate"
    only_checks = write(browser, inspection, {"seed": 7, "checks": checks[:1]}, value="noncompliant",
                        finding=finding)
    assert only_checks["status"] == "duplicate"  # the same checks, set again
    assert {(c.entry_id, c.result, c.note) for c in db.session.scalars(select(SampleCheck))} == {
        (drawn[0], "compliant", None), (drawn[1], "noncompliant", "未登记销毁")}
    assert db.session.scalar(select(func.count()).select_from(AuditRecord)
                             .where(AuditRecord.action == "registers.sample_check")) == 2
    first_number = db.session.scalar(select(SampleDraw)).entries[0]["number"]
    changed = write(browser, inspection, {"seed": 7, "checks": [{"entry_id": drawn[0], "result": "noncompliant",
                                                                 "note": "实物不在"}]},
                    value="noncompliant", finding=f"{finding}另：{first_number}实物不在")
    assert changed["status"] == "saved" and len(changed["answer"]["sample"]["checks"]) == 2


@pytest.mark.parametrize(("sample", "words"), [
    ({"seed": 5, "population": [1, 2, 3], "entries": [1, 2, 3]}, "与随机数种子不符"),  # the draw of another seed
    ({"seed": 5}, "缺少台账条目清单"),
])
def test_a_draw_the_server_cannot_make_again_is_refused(inspection, carriers_unit, browser_for, sample, words):
    if "population" in sample:
        sample = {**sample, "population": carriers_unit, "entries": list(reversed(registers.draw(
            5, carriers_unit, 5)))}
    outcome = write(browser_for("inspector"), inspection, sample)
    assert outcome["status"] == "invalid" and words in outcome["message"]
    assert db.session.scalar(select(func.count()).select_from(SampleDraw)) == 0


def test_another_units_entries_cannot_be_drawn_from(inspection, carriers_unit, browser_for):
    other = registers.create_entry(db.session, user("officer2"), node("XS-ZRZY"), registers.REGISTERS["carriers"], {
        "number": "ZT-X", "title": "别单位的文件", "kind": "paper", "level": "secret", "source": "received",
        "holder": "孙志强", "state": "held"})
    outcome = write(browser_for("inspector"), inspection, {"seed": 1, "population": [*carriers_unit, other.id]})
    assert outcome["status"] == "invalid" and "不属于被检查单位" in outcome["message"]


def test_a_second_draw_for_the_same_item_is_refused(inspection, carriers_unit, browser_for):
    browser = browser_for("inspector")
    write(browser, inspection, {"seed": 1, "population": carriers_unit})
    again = write(browser, inspection, {"seed": 2, "population": carriers_unit})
    assert again["status"] == "invalid" and "已经抽过样" in again["message"]
    assert [d.seed for d in db.session.scalars(select(SampleDraw))] == [1]


def test_a_failed_entry_fails_the_item_and_is_named_in_its_finding(inspection, carriers_unit, browser_for):
    browser = browser_for("inspector")
    drawn = registers.draw(3, carriers_unit, 5)
    write(browser, inspection, {"seed": 3, "population": carriers_unit})
    number = db.session.scalar(select(SampleDraw)).entries[2]["number"]
    failed = {"seed": 3, "checks": [{"entry_id": drawn[2], "result": "noncompliant", "note": "未登记"}]}
    compliant = write(browser, inspection, failed, value="compliant")
    assert compliant["status"] == "invalid" and "结论应为不符合或基本符合" in compliant["message"]
    unnamed = write(browser, inspection, failed, value="noncompliant", finding="台账与实物不符。")
    assert unnamed["status"] == "invalid" and number in unnamed["message"] and unnamed["field"] == "finding_text"
    not_drawn = next(i for i in carriers_unit if i not in drawn)
    stray = write(browser, inspection, {"seed": 3, "checks": [{"entry_id": not_drawn, "result": "compliant"}]})
    assert stray["status"] == "invalid" and "不在本次抽样中" in stray["message"]
    named = write(browser, inspection, failed, value="noncompliant", finding=f"抽查 5 条，{number} 未登记。")
    assert named["status"] == "saved"
    # Later writes without the sample are held to it too.
    assert write(browser, inspection, None, value="compliant")["status"] == "invalid"
    answer_all_but(inspection, "E10")
    findings = submit(db.session.get(Inspection, inspection.id))
    assert [f.description for f in findings if f.item_key == "E10"] == [f"抽查 5 条，{number} 未登记。"]


def answer_all_but(inspection, key):
    from .factories import answer, default_value

    inspection = db.session.get(Inspection, inspection.id)
    for section in inspection.versions[0].sections:
        for item in section.items:
            if item.key != key:
                answer(inspection, item.key, default_value(item))


def test_a_note_that_looks_classified_needs_the_authors_confirmation(inspection, carriers_unit, browser_for):
    browser = browser_for("inspector")
    drawn = registers.draw(4, carriers_unit, 5)
    write(browser, inspection, {"seed": 4, "population": carriers_unit})
    number = db.session.scalar(select(SampleDraw)).entries[0]["number"]
    sample = {"seed": 4, "checks": [{"entry_id": drawn[0], "result": "noncompliant", "note": "封面标有机密★"}]}
    asked = write(browser, inspection, sample, value="noncompliant", finding=f"{number} 不符")
    assert asked["status"] == "needs_confirmation" and asked["field"] == f"sample_note_{drawn[0]}"
    assert db.session.scalar(select(func.count()).select_from(SampleCheck)) == 0
    kept = write(browser, inspection, sample, value="noncompliant", finding=f"{number} 不符", confirm_unclassified=True)
    assert kept["status"] == "saved"


def test_an_item_that_samples_no_register_refuses_a_sample(inspection, carriers_unit, browser_for):
    outcome = write(browser_for("inspector"), inspection, {"seed": 1, "population": carriers_unit}, item="E2")
    assert outcome["status"] == "invalid" and "不抽查台账" in outcome["message"]


def test_the_tablet_gets_the_registers_draws_and_pre_findings_of_its_inspection(carriers_unit, browser_for):
    registers.create_entry(db.session, user("officer"), node("DH-ZFB"), registers.REGISTERS["key_places"], {
        "number": "YH-1", "name": "档案室", "kind": "position"})  # no confirmation date: a pre-finding on G1
    inspection = make_inspection("DH-ZFB", templates=["carriers", "key-departments", "network"])
    browser = browser_for("inspector")
    write(browser, inspection, {"seed": 9, "population": carriers_unit})
    body = browser.get(f"/api/v1/inspections/{inspection.id}/registers").get_json()
    assert {i["register_key"]: i["size"] for i in body["items"]} == {"carriers": 5, "key_places": 3, "devices": 5}
    assert [e["id"] for e in body["registers"]["carriers"]["entries"]] == carriers_unit
    assert body["registers"]["devices"]["entries"] == [] and body["registers"]["carriers"]["name"] == "涉密载体"
    assert body["registers"]["carriers"]["entries"][0]["details"] == "纸质文件资料 · 秘密 · 保管人 李华 · 在用"
    e10 = str(item_of(inspection).id)
    assert list(body["samples"]) == [e10] and body["samples"][e10]["seed"] == 9
    g1 = item_of(inspection, "G1")
    assert body["prefindings"] == [{"item_id": g1.id, "rule": "place_unconfirmed",
                                    "text": "1 个要害部门部位没有确认日期", "entries": ["YH-1 档案室"]}]
    inspection_body = browser.get(f"/api/v1/inspections/{inspection.id}").get_json()
    assert [a["sample"]["seed"] for a in inspection_body["answers"] if a["sample"]] == [9]
    # Another unit's officer sees none of it; the unit's own does (its own registers).
    assert browser_for("officer2").get(f"/api/v1/inspections/{inspection.id}/registers").status_code == 404
    assert browser_for("officer").get(f"/api/v1/inspections/{inspection.id}/registers").status_code == 200


def test_sampled_items_answered_without_a_draw_submit_as_before(inspection):
    answer_all(inspection)
    assert submit(inspection) == []
