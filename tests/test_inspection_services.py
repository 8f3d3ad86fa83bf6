"""Planning, answering, submitting and reopening inspections, at the service level."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from inspect_app.clock import local_today
from inspect_app.extensions import db
from inspect_app.models import Answer, AnswerRevision, AuditRecord, Finding, Inspection, Signature, utcnow
from inspect_app.services import Conflict, DomainError, inspections
from inspect_app.services.inspections import AnswerConflict, AnswerInput, ClassifiedSuspected

from .factories import answer, answer_all, make_inspection, submit, submitted_inspection, versions
from .helpers import node, user


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def item_of(inspection, key):
    return next(i for i in inspections.load_items(db.session, inspection) if i.key == key)


# Planning


def test_an_inspector_plans_an_inspection_with_pinned_versions(demo):
    inspection = make_inspection("DH-ZFB", templates=["network", "carriers"], members=["inspector2"])
    assert inspection.status == "planned" and inspection.kind == "routine"
    assert [v.template.key for v in inspection.versions] == ["network", "carriers"]
    assert {m.user.username for m in inspection.members} == {"inspector", "inspector2"}
    assert inspection.bureau.code == "BC-BMJ"
    assert inspection.title == f"东湖区人民政府办公室{inspection.scheduled_on.year}年例行检查"


def test_a_district_inspector_cannot_plan_outside_the_district(demo):
    with pytest.raises(DomainError, match="不在您的管辖范围内"):
        make_inspection("XS-YY", lead="inspector2")


def test_team_members_must_be_able_to_see_the_unit(demo):
    with pytest.raises(DomainError, match="无权检查该单位"):
        make_inspection("XS-YY", members=["inspector2"])
    with pytest.raises(DomainError, match="不是在岗的检查员"):
        make_inspection("DH-ZFB", members=["leader"])


def test_self_inspection_is_the_officers_own(demo):
    own = inspections.plan_inspection(db.session, user("officer"), unit=node("DH-ZFB"), kind="self",
                                      versions=versions("self-assessment"), scheduled_on=local_today())
    assert own.lead.username == "officer" and own.bureau_id == own.unit_id
    with pytest.raises(DomainError, match="不在您的管辖范围内"):
        inspections.plan_inspection(db.session, user("officer"), unit=node("XS-ZRZY"), kind="self",
                                    versions=versions("self-assessment"), scheduled_on=local_today())
    with pytest.raises(DomainError, match="自查由单位保密员发起"):
        make_inspection("DH-ZFB", kind="self", templates=["self-assessment"])
    with pytest.raises(DomainError, match="只有检查员可以安排检查"):
        inspections.plan_inspection(db.session, user("officer"), unit=node("DH-ZFB"), kind="routine",
                                    versions=versions("network"), scheduled_on=local_today())


def test_a_retired_version_cannot_be_planned(demo):
    from inspect_app.services import checklists

    version = versions("network")[0]
    checklists.set_version_status(db.session, user("admin"), version, retired=True)
    with pytest.raises(DomainError, match="已停用"):
        inspections.plan_inspection(db.session, user("inspector"), unit=node("DH-ZFB"), kind="routine",
                                    versions=[version], scheduled_on=local_today())


# Answering


def test_the_first_answer_starts_the_inspection_and_is_audited(demo):
    inspection = make_inspection()
    saved = answer(inspection, "F1", "compliant", note="现场查看网线")
    assert saved.revision == 1 and saved.value == "compliant"
    db.session.refresh(inspection)
    assert inspection.status == "in_progress" and inspection.started_at
    actions = db.session.scalars(select(AuditRecord.action).order_by(AuditRecord.id.desc()).limit(2)).all()
    assert actions == ["inspection.answer", "inspection.start"]


def test_only_team_members_answer(demo):
    inspection = make_inspection()
    with pytest.raises(DomainError, match="只有检查组成员"):
        answer(inspection, "F1", "compliant", by="inspector2")


def test_values_are_checked_by_response_type(demo):
    inspection = make_inspection()
    with pytest.raises(DomainError, match="答案无效"):
        answer(inspection, "F1", "maybe")
    with pytest.raises(DomainError, match="请填写数字"):
        answer(inspection, "F18", "many")
    with pytest.raises(DomainError, match="0 或更大"):
        answer(inspection, "F18", "-2")
    assert answer(inspection, "F18", "12").value == "12"
    with pytest.raises(DomainError, match="不属于本次检查"):
        inspections.save_answer(db.session, user("inspector"), inspection,
                                AnswerInput(item_id=999999, client_uuid=str(uuid.uuid4()), base_revision=0,
                                            value="compliant"))


def test_the_same_client_uuid_twice_makes_one_answer(demo):
    inspection = make_inspection()
    op = str(uuid.uuid4())
    first = answer(inspection, "F1", "noncompliant", finding_text="发现一台上网机", client_uuid=op, base_revision=0)
    again = answer(inspection, "F1", "noncompliant", finding_text="发现一台上网机", client_uuid=op, base_revision=0)
    assert first.id == again.id and again.revision == 1
    assert count(AnswerRevision) == 1 and count(Answer) == 1


def test_different_content_under_the_same_uuid_is_a_conflict(demo):
    inspection = make_inspection()
    op = str(uuid.uuid4())
    answer(inspection, "F1", "compliant", client_uuid=op, base_revision=0)
    with pytest.raises(AnswerConflict, match="内容不同"):
        answer(inspection, "F1", "noncompliant", finding_text="x", client_uuid=op, base_revision=0)
    assert count(AnswerRevision) == 1


def test_an_edit_from_a_stale_revision_is_a_conflict_that_carries_the_current_answer(demo):
    inspection = make_inspection(members=["inspector2"])
    answer(inspection, "F1", "compliant", by="inspector")
    answer(inspection, "F1", "partial", finding_text="部分机器未检查", by="inspector2", base_revision=1)
    with pytest.raises(AnswerConflict) as raised:
        answer(inspection, "F1", "noncompliant", finding_text="旧页面上的修改", base_revision=1)
    assert raised.value.current.value == "partial" and raised.value.current.revision == 2
    # The same content as the server holds is no conflict at all.
    same = answer(inspection, "F1", "partial", finding_text="部分机器未检查", base_revision=1)
    assert same.revision == 2


def test_a_failing_answer_gets_the_items_severity_and_history_is_kept(demo):
    inspection = make_inspection()
    saved = answer(inspection, "F3", "noncompliant", finding_text="U盘交叉使用")
    assert saved.severity == "critical"
    answer(inspection, "F3", "compliant")
    revisions = db.session.scalars(select(AnswerRevision).order_by(AnswerRevision.revision)).all()
    assert [(r.revision, r.value) for r in revisions] == [(1, "noncompliant"), (2, "compliant")]


def test_text_that_looks_classified_needs_confirmation(demo):
    inspection = make_inspection()
    with pytest.raises(ClassifiedSuspected) as raised:
        answer(inspection, "F4", "noncompliant", finding_text="上网机中存有标注“机密★10年”的文件")
    assert raised.value.suspicions[0].field == "finding_text"
    assert count(Answer) == 0
    saved = answer(inspection, "F4", "noncompliant", finding_text="上网机中存有标注“机密★10年”的文件",
                   confirm_unclassified=True)
    assert saved.classified_confirmed
    assert db.session.scalar(select(AuditRecord.action).order_by(AuditRecord.id.desc()).limit(1)) == \
        "inspection.unclassified_confirmed"


@pytest.mark.parametrize("text", ["密级：秘密", "绝密☆", "秘密★长期"])
def test_classification_marks_are_recognised(text):
    from inspect_app.services.classified import find_suspicions

    assert find_suspicions({"note": f"抄录：{text}"})


@pytest.mark.parametrize("text", ["涉密计算机未贴密级标识", "秘密级计算机与互联网物理隔离", "保密柜密码未定期更换"])
def test_ordinary_findings_are_not_flagged(text):
    from inspect_app.services.classified import find_suspicions

    assert not find_suspicions({"finding_text": text})


# Progress and submitting


def test_progress_needs_a_finding_for_failures_and_a_reason_for_not_applicable(demo):
    inspection = make_inspection()
    answer(inspection, "F1", "noncompliant")
    answer(inspection, "F2", "not_applicable")
    answer(inspection, "F3", "compliant")
    state = inspections.progress(inspections.load_items(db.session, inspection),
                                 inspections.load_answers(db.session, inspection))
    assert state.answered == 3 and state.complete == 1
    assert {i.key for i in state.incomplete} >= {"F1", "F2"}


def test_submit_refuses_an_incomplete_inspection(demo):
    inspection = make_inspection()
    answer_all(inspection)
    answer(inspection, "F5", "not_applicable")  # no reason given
    with pytest.raises(DomainError, match="还有 1 项未完成"):
        submit(inspection)


def test_submit_needs_both_signatures(demo):
    from .factories import png

    inspection = make_inspection()
    answer_all(inspection)
    with pytest.raises(DomainError, match="两人签名"):
        inspections.submit_inspection(db.session, user("inspector"), inspection,
                                      [inspections.SignatureInput("lead", "王建国", png())])
    with pytest.raises(DomainError, match="只有组长"):
        inspections.submit_inspection(db.session, user("inspector2"), inspection, [])


def test_submit_scores_locks_and_makes_findings(demo):
    inspection, findings = submitted_inspection(failing={"F3": "noncompliant", "F7": "partial", "F5": "noncompliant"})
    assert inspection.status == "submitted" and inspection.submitted_at
    assert {f.item_key for f in findings} == {"F3", "F5", "F7"}
    f7 = next(f for f in findings if f.item_key == "F7")
    assert f7.compliance == "partial" and f7.category == "network" and f7.basis and f7.description
    # F3 is a deduction item (4 points); F5 scored 3 points and failed, F7 half of its points.
    detail = inspection.score_detail
    assert detail["deductions"] == 4 and detail["deduction_cases"]
    expected = round(detail["earned"] / detail["applicable"] * 100 - 4, 1)
    assert inspection.score == expected and inspection.band in ("meets", "basic", "fails")
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 2
    with pytest.raises(Conflict, match="答案不能再修改"):
        answer(inspection, "F1", "noncompliant", finding_text="提交后修改")


def test_a_failed_veto_item_fails_the_self_assessment(demo):
    inspection = inspections.plan_inspection(db.session, user("officer"), unit=node("DH-ZFB"), kind="self",
                                             versions=versions("self-assessment"), scheduled_on=local_today())
    answer_all(inspection, failing={"Z59": "noncompliant"}, by="officer")
    submit(inspection, by="officer")
    db.session.refresh(inspection)
    assert inspection.veto and inspection.band == "fails" and inspection.score > 90


def test_reopen_unlocks_and_withdraws_findings(demo):
    inspection, _findings = submitted_inspection(failing={"F3": "noncompliant"})
    with pytest.raises(DomainError, match="原因"):
        inspections.reopen_inspection(db.session, user("inspector"), inspection, " ")
    inspections.reopen_inspection(db.session, user("inspector"), inspection, "组长发现F3描述有误")
    db.session.refresh(inspection)
    assert inspection.status == "in_progress" and inspection.reopen_count == 1 and inspection.score is None
    assert count(Finding) == 0 and count(Signature) == 0
    answer(inspection, "F3", "noncompliant", finding_text="更正后的描述")
    findings = submit(inspection)
    assert [f.description for f in findings] == ["更正后的描述"]


# Repeat findings


def _age(inspection: Inspection, days: int) -> None:
    inspection.submitted_at = utcnow() - timedelta(days=days)
    db.session.commit()


def test_a_failure_of_the_same_item_within_24_months_is_a_repeat(demo):
    first, _ = submitted_inspection(failing={"F3": "noncompliant"})
    _age(first, 300)
    second = make_inspection()
    saved = answer(second, "F3", "partial", finding_text="又发现交叉使用")  # general → suggested one step up
    assert saved.severity == "critical"  # critical already; stays at the top
    answer(second, "F7", "noncompliant", finding_text="台账不全")
    assert answer(second, "F7", "noncompliant", finding_text="台账不全").severity == item_of(second, "F7").severity
    answer_all_remaining(second)
    findings = {f.item_key: f for f in submit(second)}
    assert findings["F3"].is_repeat and findings["F3"].repeat_of.inspection_id == first.id
    assert not findings["F7"].is_repeat


def test_a_failure_older_than_24_months_is_not_a_repeat(demo):
    first, _ = submitted_inspection(failing={"F7": "noncompliant"})
    _age(first, 740)
    _second, findings = submitted_inspection(failing={"F7": "noncompliant"})
    assert not findings[0].is_repeat


def test_repeat_suggests_the_next_severity_up(demo):
    first, _ = submitted_inspection(failing={"F7": "noncompliant"})
    item_severity = item_of(first, "F7").severity
    second = make_inspection()
    saved = answer(second, "F7", "noncompliant", finding_text="台账仍不全")
    assert saved.severity == inspections.step_up(item_severity) != item_severity


def test_another_units_failure_is_no_repeat(demo):
    submitted_inspection("DH-JYJ", failing={"F7": "noncompliant"})
    _second, findings = submitted_inspection("DH-ZFB", failing={"F7": "noncompliant"})
    assert not findings[0].is_repeat


def answer_all_remaining(inspection):
    answered = inspections.load_answers(db.session, inspection)
    from .factories import answer as save
    from .factories import default_value

    for item in inspections.load_items(db.session, inspection):
        if item.id not in answered:
            save(inspection, item.key, default_value(item))


def test_two_first_answers_to_one_item_at_once_make_one_answer_and_one_conflict(app, demo):
    """Two team members, each with the page as it was before anyone answered: one is stored, the other is
    told — on PostgreSQL, where the two really run at once, as on SQLite."""
    import threading

    inspection = make_inspection(members=["inspector2"])
    inspection_id = inspection.id
    item_id = item_of(inspection, "F1").id
    db.session.remove()
    barrier, outcomes = threading.Barrier(2), []

    def write(username, value):
        with app.app_context():
            actor = db.session.scalar(select(type(user("leader"))).where(type(user("leader")).username == username))
            target = db.session.get(Inspection, inspection_id)
            barrier.wait()
            try:
                inspections.save_answer(db.session, actor, target, AnswerInput(
                    item_id=item_id, client_uuid=str(uuid.uuid4()), base_revision=0, value=value,
                    finding_text="x" if value != "compliant" else None))
                outcomes.append("saved")
            except AnswerConflict:
                outcomes.append("conflict")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=write, args=("inspector", "compliant")),
               threading.Thread(target=write, args=("inspector2", "noncompliant"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["conflict", "saved"]
    assert count(Answer) == 1 and count(AnswerRevision) == 1
