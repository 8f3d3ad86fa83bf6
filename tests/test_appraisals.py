"""The annual appraisal: every indicator on hand-computed data, the weights shared when an indicator cannot be
computed, the vetoes and bands, the bureau's values and adjustments, the freeze on approval, and who sees what.

The fixed data set: last year (Y), 东湖区's four units, appraised by the district (inspector2), approved by the
city's leader. Times are local; every date lies in Y, so the round reads up to 31 December Y.

    DH-ZFB  A  routine network  Y-03-10  score 88, F3 fails    → ticket due 7 days after Y-03-12, accepted 5 days late
            S  self-assessment  Y-08-01  score 95 (the unit's own)
            B  routine network  Y-09-15  score 75, F3 fails again (a repeat), F7 partly
                                         → F3's ticket accepted 2 days before its deadline; F7's still open, overdue
    DH-FY   C  spot network     Y-06-01  score 92, all compliant (no findings, no tickets)
    DH-JYJ  never inspected
    DH-DL   D  routine self-assessment form  Y-07-01  score 85, Z59 (a veto item) fails

The annual scheme's indicators (weights): inspection 35, self-assessment 10 (5 off for each point above the
bureau's score), completion 15, on-time 10, repeats 5 (25 off each; none for a unit not inspected), incidents 5 and
late reports 5 (50 off each), training 5, leadership 10 (manual); a unit is rated only when its computed
indicators carry at least 50 of the 100 (min_weight). No unit has an incident: each reads 0 incidents and
0 late reports, 100 points each. No unit keeps a personnel register: training is left out. The bureau rates leadership
80, 90, 70, 85 and takes 2 points off DH-ZFB. By hand:

    DH-ZFB  inspection 75; self 95−75=20 → 0; completion 2/3=66.7; on-time 1/3=33.3 (A late, B-F3 on time, B-F7
            overdue); repeats 1 → 75; incidents 0 → 100; late reports 0 → 100; leadership 80.
            (75·35+0·10+66.7·15+33.3·10+75·5+100·5+100·5+80·10)/95 = (2625+0+1000.5+333+375+500+500+800)/95
            = 6133.5/95 = 64.56 → 64.6 basic; −2 → 62.6 basic.
    DH-FY   inspection 92; no self-assessment, no tickets: self, completion and on-time left out; repeats 0 → 100;
            incidents and late reports 100; leadership 90. (92·35+100·5+100·5+100·5+90·10)/60 = 5620/60 = 93.67 → 93.7
            excellent.
    DH-JYJ  not inspected and no self-assessment: inspection, self, completion, on-time and repeats left out;
            incidents and late reports 100; leadership 70. Computed: 5+5+10 = 20 of 100, below 50: no total, no
            band, no rank (it would have been (100·5+100·5+70·10)/20 = 85.0, rated on a fifth of the scheme).
    DH-DL   inspection 85; repeats → 100; incidents and late reports 100; leadership 85.
            (2975+500+500+500+850)/60 = 5325/60 = 88.75 → 88.8, but the failed veto item makes it unqualified.
    Computed weights: DH-ZFB 95 (all but training), DH-FY 35+5+5+5+10 = 60, DH-DL 60: all rated.
    Ranks: DH-FY 1, DH-ZFB 2, DH-DL 3 (vetoed units after all others); DH-JYJ unrated, no place.
"""

from __future__ import annotations

import io
import json
import subprocess
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from inspect_app import clock
from inspect_app.database import transaction
from inspect_app.extensions import db
from inspect_app.models import (
    AppraisalResult,
    AppraisalRound,
    AuditRecord,
    DocumentKind,
    Finding,
    Incident,
    Inspection,
    Notification,
    SecretPerson,
    Ticket,
)
from inspect_app.services import Conflict, DomainError, NotAllowed, appraisals, documents, rectification, registers
from inspect_app.services.appraisals import scoring

from .factories import (
    answer_all,
    case_through,
    make_inspection,
    report_incident,
    respond,
    submit,
    submitted_inspection,
    tickets_of,
)
from .helpers import make_unit, node, user

Y = clock.local_today().year - 1


def local(day: date, hour: int = 10) -> datetime:
    """The stored (naive UTC) instant of a local time."""
    return clock.utc_at(day, time(hour))


def backdate(inspection: Inspection, day: date, score: float) -> Inspection:
    with transaction(db.session):
        inspection = db.session.get(Inspection, inspection.id)
        inspection.submitted_at, inspection.score = local(day, 16), score
        for finding in db.session.scalars(select(Finding).where(Finding.inspection_id == inspection.id)):
            finding.created_at = inspection.submitted_at
    return inspection


def issue(inspection: Inspection, day: date) -> dict[str, Ticket]:
    """The notice as issued on `day`: each ticket created that day, due as its severity gives."""
    rectification.issue_notice(db.session, user(inspection.lead.username), inspection, today=day)
    tickets = {t.finding.item_key: t for t in tickets_of(inspection)}
    with transaction(db.session):
        for ticket in tickets.values():
            db.session.get(Ticket, ticket.id).created_at = local(day, 9)
    return {k: db.session.get(Ticket, t.id) for k, t in tickets.items()}


def accepted_on(ticket: Ticket, day: date) -> None:
    """The unit answers and the inspector accepts; the acceptance is dated `day`."""
    respond(ticket)
    rectification.accept(db.session, user("inspector"), db.session.get(Ticket, ticket.id), note="复查确认已整改。")
    with transaction(db.session):
        db.session.get(Ticket, ticket.id).accepted_at = local(day, 15)


@dataclass
class District:
    round: AppraisalRound
    tickets: dict[str, Ticket]
    inspections: dict[str, Inspection]

    def result(self, code: str) -> AppraisalResult:
        return db.session.scalar(select(AppraisalResult).where(AppraisalResult.round_id == self.round.id,
                                                               AppraisalResult.unit_id == node(code).id))

    def indicator(self, code: str, key: str) -> dict:
        return next(i for i in self.result(code).indicators if i["key"] == key)

    def refreshed(self) -> AppraisalRound:
        db.session.expire_all()
        return db.session.get(AppraisalRound, self.round.id)


@pytest.fixture
def schemes(app):
    report = appraisals.sync_schemes(db.session)
    assert report.errors == []
    return {s.key: s for s in appraisals.current_schemes(db.session)}


@pytest.fixture
def district(demo, schemes) -> District:
    a, _ = submitted_inspection("DH-ZFB", failing={"F3": "noncompliant"})
    backdate(a, date(Y, 3, 10), 88.0)
    a_tickets = issue(a, date(Y, 3, 12))
    accepted_on(a_tickets["F3"], a_tickets["F3"].due_date + timedelta(days=5))

    own = make_inspection("DH-ZFB", lead="officer", templates=("self-assessment",), kind="self")
    answer_all(own, by="officer")
    submit(own, by="officer")
    backdate(own, date(Y, 8, 1), 95.0)

    b, findings = submitted_inspection("DH-ZFB", failing={"F3": "noncompliant", "F7": "partial"})
    assert {f.item_key: f.is_repeat for f in findings} == {"F3": True, "F7": False}
    backdate(b, date(Y, 9, 15), 75.0)
    b_tickets = issue(b, date(Y, 9, 20))
    accepted_on(b_tickets["F3"], b_tickets["F3"].due_date - timedelta(days=2))
    assert b_tickets["F7"].due_date < date(Y, 12, 31)

    c, _ = submitted_inspection("DH-FY", kind="spot", failing={})
    backdate(c, date(Y, 6, 1), 92.0)
    d, _ = submitted_inspection("DH-DL", templates=("self-assessment",), failing={"Z59": "noncompliant"})
    assert d.veto
    backdate(d, date(Y, 7, 1), 85.0)

    appraisal = appraisals.create_round(db.session, user("inspector2"), area=node("BC-DH"), year=Y,
                                        scheme=schemes["annual"])
    for code, value in (("DH-ZFB", 80), ("DH-FY", 90), ("DH-JYJ", 70), ("DH-DL", 85)):
        appraisals.enter_value(db.session, user("inspector2"), appraisal, node(code), "leadership", value,
                               f"{code}主要负责人年内两次专题听取保密工作汇报。")
    appraisals.adjust(db.session, user("inspector2"), appraisal, node("DH-ZFB"), -2,
                      "年内一名干部违规携带涉密笔记本外出，被市局通报。")
    return District(appraisal, {"A-F3": a_tickets["F3"], "B-F3": b_tickets["F3"], "B-F7": b_tickets["F7"]},
                    {"A": a, "S": own, "B": b, "C": c, "D": d})


# Every indicator, by hand ------------------------------------------------------------------------------------------


def values(district: District, code: str) -> dict[str, tuple]:
    return {i["key"]: (i["value"], i["score"], i["state"]) for i in district.result(code).indicators}


def test_every_indicator_of_a_unit_inspected_twice(district):
    assert values(district, "DH-ZFB") == {
        "inspection": (75.0, 75.0, "ok"),
        "self-assessment": (20.0, 0.0, "ok"),
        "completion": (66.7, 66.7, "ok"),
        "on-time": (33.3, 33.3, "ok"),
        "repeats": (1.0, 75.0, "ok"),
        "incidents": (0.0, 100.0, "ok"),
        "late-reports": (0.0, 100.0, "ok"),
        "training": (None, None, "no_data"),
        "leadership": (80.0, 80.0, "ok"),
    }
    assert district.indicator("DH-ZFB", "training")["note"] == "no_register"
    result = district.result("DH-ZFB")
    # 6133.5/95 = 64.6, −2 → 62.6 (the module's docstring)
    assert (result.computed_score, result.adjustment, result.score) == (64.6, -2.0, 62.6)
    assert (result.band, result.vetoed, result.rank) == ("basic", False, 2)


def test_the_records_behind_each_number(district):
    inspection = district.indicator("DH-ZFB", "inspection")
    assert [(r["id"], r["mark"], r["number"]) for r in inspection["records"]] == [
        (district.inspections["B"].id, "counted", 75.0), (district.inspections["A"].id, "earlier", 88.0)]
    assert inspection["records"][0]["day"] == f"{Y}-09-15" and inspection["records"][0]["link"] == [
        "inspection", district.inspections["B"].id]
    on_time = {r["id"]: r["mark"] for r in district.indicator("DH-ZFB", "on-time")["records"]}
    assert on_time == {district.tickets["A-F3"].id: "late", district.tickets["B-F3"].id: "on_time",
                       district.tickets["B-F7"].id: "overdue"}
    completion = {r["id"]: r["mark"] for r in district.indicator("DH-ZFB", "completion")["records"]}
    assert completion == {district.tickets["A-F3"].id: "accepted", district.tickets["B-F3"].id: "accepted",
                          district.tickets["B-F7"].id: "unfinished"}
    gap = district.indicator("DH-ZFB", "self-assessment")["records"]
    assert [(r["mark"], r["number"]) for r in gap] == [("self", 95.0), ("bureau", 75.0)]
    repeats = district.indicator("DH-ZFB", "repeats")["records"]
    assert len(repeats) == 1 and repeats[0]["kind"] == "finding" and repeats[0]["text"].startswith("F3 ")
    manual = district.indicator("DH-ZFB", "leadership")
    assert manual["reason"] == "DH-ZFB主要负责人年内两次专题听取保密工作汇报。" and manual["entered_by"] == "李文静"


def test_a_unit_without_tickets_or_self_assessment(district):
    assert values(district, "DH-FY") == {
        "inspection": (92.0, 92.0, "ok"), "self-assessment": (None, None, "no_data"),
        "completion": (None, None, "no_data"), "on-time": (None, None, "no_data"), "repeats": (0.0, 100.0, "ok"),
        "incidents": (0.0, 100.0, "ok"), "late-reports": (0.0, 100.0, "ok"),
        "training": (None, None, "no_data"), "leadership": (90.0, 90.0, "ok")}
    result = district.result("DH-FY")
    assert (result.score, result.band, result.rank) == (93.7, "excellent", 1)
    assert district.indicator("DH-FY", "self-assessment")["note"] == "no_self_assessment"
    assert district.indicator("DH-FY", "completion")["note"] == "no_tickets"
    # The weights of what was left out are shared in proportion: inspection's 35 of the 60 counted is 58.3%,
    # leadership's 10 of 60 is 16.7%.
    shares = {i["key"]: i["share"] for i in district.result("DH-FY").indicators}
    assert shares["inspection"] == 58.3 and shares["leadership"] == 16.7 and shares["completion"] is None


def test_a_unit_never_inspected_is_not_rated(district, browser_for):
    result = district.result("DH-JYJ")
    assert district.indicator("DH-JYJ", "inspection")["note"] == "no_inspection"
    assert district.indicator("DH-JYJ", "repeats")["note"] == "no_inspection"  # no inspection, no clean record
    # No incident reported is a clean record, unlike no inspection; but incidents, late reports and leadership carry
    # 5+5+10 = 20 of the weight, below the scheme's 50: no total, no band, no place.
    counted = [i for i in result.indicators if i["counted"]]
    assert [i["key"] for i in counted] == ["incidents", "late-reports", "leadership"]
    assert [i["score"] for i in counted] == [100.0, 100.0, 70.0] and {i["share"] for i in counted} == {None}
    assert (result.computed_score, result.score, result.band, result.rank) == (None, None, None, None)
    page = browser_for("inspector2").get(f"/appraisals/{district.round.id}/units/{node('DH-JYJ').id}")
    assert "年度内可计算的指标权重不足 50%，本年度不评定等次。" in page.get_data(as_text=True)


def test_a_failed_veto_item_makes_a_good_total_unqualified(district):
    result = district.result("DH-DL")
    # 5325/60 = 88.75 → 88.8, vetoed all the same
    assert (result.computed_score, result.score, result.vetoed, result.band, result.rank) == (
        88.8, 88.8, True, "unqualified", 3)
    checks = {v["key"]: (v["state"], v["triggered"]) for v in result.vetoes}
    assert checks == {"leak": ("ok", False), "inspection-veto": ("ok", True)}
    veto = next(v for v in result.vetoes if v["key"] == "inspection-veto")
    assert [r["id"] for r in veto["records"]] == [district.inspections["D"].id]


def test_the_scoring_rules_on_their_own():
    scheme = {"indicators": [
        {"key": "a", "title": "甲", "title_en": "A", "source": "inspection.latest_score", "weight": 60},
        {"key": "b", "title": "乙", "title_en": "B", "source": "incidents.count", "weight": 30, "deduct": 50},
        {"key": "c", "title": "丙", "title_en": "C", "source": "inspection.self_assessment_gap", "weight": 10,
         "deduct": 5, "when_missing": "zero"}],
        "vetoes": [], "bands": [{"key": "excellent", "min": 90}, {"key": "qualified", "min": 75},
                                {"key": "basic", "min": 60}, {"key": "unqualified", "min": 0}]}
    ok, missing = scoring.Reading(scoring.OK, 80.0), scoring.Reading(scoring.NO_DATA)
    # b without data: its 30 shared by a and c; c's negative gap takes nothing off.
    outcome = scoring.unit_outcome(scheme, {"a": ok, "b": missing, "c": scoring.Reading(scoring.OK, -3.0)}, {})
    assert outcome.computed_score == pytest.approx((80 * 60 + 100 * 10) / 70, abs=0.05) == 82.9
    assert outcome.band == "qualified"
    # Three incidents take everything: 100 − 3·50 = −50, and a score is never below 0.
    outcome = scoring.unit_outcome(scheme, {"a": ok, "b": scoring.Reading(scoring.OK, 3.0),
                                            "c": scoring.Reading(scoring.NO_DATA)}, {}, adjustment=30)
    assert [i["score"] for i in outcome.indicators] == [80.0, 0.0, 0.0] and outcome.computed_score == 48.0
    assert outcome.score == 78.0 and outcome.band == "qualified"
    # Nothing computable: no total, no band, no place.
    outcome = scoring.unit_outcome(scheme, {"a": scoring.Reading(scoring.NO_DATA), "b": missing,
                                            "c": scoring.Reading(scoring.NOT_ENTERED)}, {})
    assert (outcome.computed_score, outcome.score, outcome.band) == (None, None, None)
    assert scoring.unrated_because(scheme, outcome.indicators) == scoring.NOTHING_COMPUTABLE
    assert scoring.ranks([(1, 90.0, False), (2, 95.0, True), (3, 90.0, False), (4, 70.0, False), (5, None, False)]
                         ) == {1: 1, 3: 1, 4: 3, 2: 4}
    assert scoring.half_up(60.35) == 60.4 and scoring.half_up(0.05) == 0.1


def test_a_unit_is_rated_from_the_schemes_min_weight_up():
    """Exactly at min_weight a unit is rated; below it, it has no total and no band, a veto still making it
    unqualified."""
    scheme = {"indicators": [
        {"key": "a", "title": "甲", "title_en": "A", "source": "inspection.latest_score", "weight": 60},
        {"key": "b", "title": "乙", "title_en": "B", "source": "incidents.count", "weight": 30, "deduct": 50},
        {"key": "c", "title": "丙", "title_en": "C", "source": "manual", "weight": 10}],
        "vetoes": [{"key": "v", "title": "否", "title_en": "V", "source": "inspection.veto_failed"}],
        "bands": [{"key": "excellent", "min": 90}, {"key": "qualified", "min": 75}, {"key": "basic", "min": 60},
                  {"key": "unqualified", "min": 0}], "min_weight": 40}
    clean, failed = {"v": scoring.Reading(scoring.OK, 0.0)}, {"v": scoring.Reading(scoring.OK, 1.0)}
    no_inspection = {"a": scoring.Reading(scoring.NO_DATA), "b": scoring.Reading(scoring.OK, 0.0),
                     "c": scoring.Reading(scoring.OK, 70.0)}
    # b and c carry 30+10 = 40 of 100, exactly the 40 required: rated, (100·30+70·10)/40 = 92.5.
    at = scoring.unit_outcome(scheme, no_inspection, clean, adjustment=1)
    assert (at.computed_score, at.score, at.band) == (92.5, 93.5, "excellent")
    assert scoring.unrated_because(scheme, at.indicators) is None
    # Required 40.5: 40 is below it. No total, no band, and the adjustment has nothing to add to.
    scheme["min_weight"] = 40.5
    below = scoring.unit_outcome(scheme, no_inspection, clean, adjustment=1)
    assert (below.computed_score, below.score, below.band) == (None, None, None)
    assert {i["share"] for i in below.indicators} == {None} and [i["score"] for i in below.indicators] == [
        None, 100.0, 70.0]
    assert scoring.unrated_because(scheme, below.indicators) == scoring.TOO_LITTLE_WEIGHT
    vetoed = scoring.unit_outcome(scheme, no_inspection, failed)
    assert (vetoed.score, vetoed.band, vetoed.vetoed) == (None, "unqualified", True)
    # A scheme stored before min_weight existed rates on any weight.
    del scheme["min_weight"]
    assert scoring.unit_outcome(scheme, no_inspection, clean).score == 92.5


# Incidents and registers -------------------------------------------------------------------------------------------


def found_and_reported(unit: str, by: str, day: date, hour: int, *, after: timedelta | None, **fields) -> Incident:
    """An incident found at `hour` local time on `day`, reported by the unit's officer (or registered by an
    inspector, the unit's report reaching the bureau) `after` later; None: not reported yet."""
    wall = datetime.combine(day, time(hour))
    if by != "officer":
        fields["reported_at"] = wall + after if after is not None else None
    return report_incident(unit, by, found_at=wall, now=local(day, hour) + (after or timedelta(hours=1)), **fields)


@dataclass
class Incidents:
    late: Incident
    violation: Incident
    leak: Incident
    unfounded: Incident
    trained: list[SecretPerson]


@pytest.fixture
def incidents_and_training(district) -> Incidents:
    """Made through the incidents and registers services: DH-ZFB's officer reports a lost USB drive 30 hours after
    finding it (late) and a violation within two hours; the district registers a leak at DH-FY found last December,
    determined a leak this January, and a suspected leak at DH-JYJ found not to be one. DH-ZFB's personnel register
    has five cleared staff on post, four trained in the year (80%), and one who left in the year (not on post)."""
    late = found_and_reported("DH-ZFB", "officer", date(Y, 5, 1), 9, after=timedelta(hours=30))
    violation = found_and_reported("DH-ZFB", "officer", date(Y, 6, 1), 14, after=timedelta(hours=2),
                                   kind="violation", title="涉密文件草稿误存上网计算机")
    leak = found_and_reported("DH-FY", "inspector2", date(Y - 1, 12, 20), 10, after=timedelta(hours=3),
                              title="涉密文件通过即时通信工具传递", carrier="internet")
    case_through(leak, to="determined", by="inspector2", determination="leak")
    unfounded = found_and_reported("DH-JYJ", "inspector2", date(Y, 7, 1), 11, after=timedelta(hours=1),
                                   title="疑似涉密文件误发外部邮箱")
    case_through(unfounded, to="determined", by="inspector2", determination="unfounded")
    with transaction(db.session):
        db.session.get(Incident, leak.id).determined_at = local(date(Y, 1, 15), 16)

    personnel, end = registers.REGISTERS["personnel"], date(Y, 12, 31)

    def person(number: str, trained_on: date, **more) -> SecretPerson:
        raw = {"number": number, "name": f"张{number[-1]}", "post": "机要室 机要员", "person_class": "important",
               "vetted_on": f"{Y - 3}-03-01", "trained_on": trained_on.isoformat(), **more}
        return registers.create_entry(db.session, user("officer"), node("DH-ZFB"), personnel, raw, today=end)

    trained = [person(f"RY-{n}", date(Y, n * 2, 10)) for n in range(1, 5)]
    person("RY-5", date(Y - 1, 11, 20))  # on post, last trained the year before
    person("RY-6", date(Y - 2, 4, 1), left_on=f"{Y}-09-30", declear_until=f"{Y + 1}-09-30")  # left in the year
    return Incidents(late, violation, leak, unfounded, trained)


def marks(district: District, code: str, key: str) -> dict[int, str]:
    return {r["id"]: r["mark"] for r in district.indicator(code, key)["records"]}


def test_incidents_and_training_count_from_their_own_records(district, incidents_and_training):
    made = incidents_and_training
    assert made.late.is_late and not made.violation.is_late
    appraisals.compute(db.session, user("inspector2"), district.round)
    got = values(district, "DH-ZFB")
    # One leak (the USB drive, reported as one, not yet determined); the violation is listed, not counted.
    assert got["incidents"] == (1.0, 50.0, "ok") and got["late-reports"] == (1.0, 50.0, "ok")
    assert marks(district, "DH-ZFB", "incidents") == {made.late.id: "counted", made.violation.id: "violation"}
    assert marks(district, "DH-ZFB", "late-reports") == {made.late.id: "reported_late",
                                                         made.violation.id: "reported_in_time"}
    # 4 of the 5 on post trained in the year = 80%; RY-6 left in September and is not counted.
    assert got["training"] == (80.0, 80.0, "ok")
    training = marks(district, "DH-ZFB", "training")
    assert len(training) == 5 and sorted(training.values()) == ["trained"] * 4 + ["untrained"]
    assert {p.id for p in made.trained} <= set(training)
    # (75·35+0·10+66.7·15+33.3·10+75·5+50·5+50·5+80·5+80·10)/100
    #   = (2625+0+1000.5+333+375+250+250+400+800)/100 = 6033.5/100 = 60.3, −2 → 58.3 unqualified
    result = district.result("DH-ZFB")
    assert (result.computed_score, result.score, result.band) == (60.3, 58.3, "unqualified")
    # The leak found last December and determined in January: not an incident of this year (found before it), the
    # veto of this year (determined in it). DH-FY is unqualified whatever its total, and ranks after the others:
    # (92·35+100·5+100·5+100·5+90·10)/60 = 5620/60 = 93.7, vetoed, after every unit not vetoed (DH-ZFB, first),
    # before DH-DL ((2975+500+500+500+850)/60 = 88.75 → 88.8), vetoed too.
    fy = district.result("DH-FY")
    assert values(district, "DH-FY")["incidents"] == (0.0, 100.0, "ok")
    assert fy.vetoed and fy.band == "unqualified" and (fy.score, fy.rank) == (93.7, 2)
    assert district.result("DH-ZFB").rank == 1 and district.result("DH-DL").rank == 3
    assert district.result("DH-DL").score == 88.8
    assert {v["key"]: v["triggered"] for v in fy.vetoes} == {"leak": True, "inspection-veto": False}
    leak = next(v for v in fy.vetoes if v["key"] == "leak")
    assert [(r["id"], r["mark"], r["day"], r["link"]) for r in leak["records"]] == [
        (made.leak.id, "leak", f"{Y}-01-15", ["incident", made.leak.id])]  # the day it was determined
    assert district.indicator("DH-FY", "training")["note"] == "no_register"  # no register: left out
    # A suspected leak found not to be one is listed, not counted: DH-JYJ still reads 0 incidents, and is still not
    # rated (20 of the weight).
    assert marks(district, "DH-JYJ", "incidents") == {made.unfounded.id: "unfounded"}
    assert values(district, "DH-JYJ")["incidents"] == (0.0, 100.0, "ok")
    assert (district.result("DH-JYJ").score, district.result("DH-JYJ").rank) == (None, None)


def test_a_report_still_awaited_after_24_hours_counts_as_unreported(district):
    awaited = found_and_reported("DH-FY", "inspector2", date(Y, 11, 2), 8, after=None, title="涉密笔记本遗失")
    assert awaited.reported_at is None
    appraisals.compute(db.session, user("inspector2"), district.round)
    assert values(district, "DH-FY")["late-reports"] == (1.0, 50.0, "ok")
    assert marks(district, "DH-FY", "late-reports") == {awaited.id: "unreported"}


def test_a_unit_whose_register_has_no_one_on_post_has_no_training_value(district):
    registers.create_entry(db.session, user("officer"), node("DH-ZFB"), registers.REGISTERS["personnel"],
                           {"number": "RY-9", "name": "吴刚", "post": "综合科 原科员", "person_class": "general",
                            "trained_on": f"{Y}-02-01", "left_on": f"{Y}-03-01", "declear_until": f"{Y}-09-01",
                            "released_on": f"{Y}-09-02"}, today=date(Y, 12, 31))
    appraisals.compute(db.session, user("inspector2"), district.round)
    training = district.indicator("DH-ZFB", "training")
    assert (training["state"], training["note"], training["records"]) == ("no_data", "none_on_post", [])


def test_each_new_record_opens_its_page(district, incidents_and_training, browser_for):
    appraisals.compute(db.session, user("inspector2"), district.round)
    base = f"/appraisals/{district.round.id}/units"
    page = browser_for("inspector2").get(f"{base}/{node('DH-ZFB').id}").get_data(as_text=True)
    assert f'href="/incidents/{incidents_and_training.late.id}"' in page and "迟报" in page
    person = incidents_and_training.trained[0]
    assert f'href="/registers/personnel/{person.id}"' in page and "年度内未培训" in page
    page = browser_for("inspector2").get(f"{base}/{node('DH-FY').id}").get_data(as_text=True)
    assert f'href="/incidents/{incidents_and_training.leak.id}"' in page and "认定为泄密" in page


# The bureau's values, adjustments and approval; the freeze -----------------------------------------------------------


def test_manual_values_and_adjustments_are_checked_and_audited(district):
    appraisal, unit = district.round, node("DH-JYJ")
    for value, reason, message in ((101, "理由", "分值应在 0 到 100 之间"), (70, "  ", "请写明理由"),
                                   (70, "x" * 501, "理由不能超过 500 个字")):
        with pytest.raises(DomainError, match=message):
            appraisals.enter_value(db.session, user("inspector2"), appraisal, unit, "leadership", value, reason)
    with pytest.raises(DomainError, match="这一项不由考核机关评定"):
        appraisals.enter_value(db.session, user("inspector2"), appraisal, unit, "inspection", 99, "想改检查得分")
    with pytest.raises(DomainError, match="加减分应在 -20 到 20 之间"):
        appraisals.adjust(db.session, user("inspector2"), appraisal, unit, 25, "表彰")
    with pytest.raises(appraisals.ClassifiedReason):
        appraisals.adjust(db.session, user("inspector2"), appraisal, unit, 2, "依据机密★10年文件精神加分")
    appraisals.adjust(db.session, user("inspector2"), appraisal, unit, 2, "依据机密★10年文件精神加分", confirmed=True)
    with pytest.raises(NotAllowed):
        appraisals.adjust(db.session, user("leader"), appraisal, unit, 2, "表彰")
    appraisals.enter_value(db.session, user("inspector2"), appraisal, unit, "leadership", 60, "改为60：年度报告迟报。")
    # Both adjustments are kept, but DH-JYJ's 20 of the weight is below the scheme's 50: still no total to add to.
    result = district.result("DH-JYJ")
    assert (result.adjustment, result.computed_score, result.score, result.band) == (2.0, None, None, None)
    actions = db.session.scalars(select(AuditRecord.action).where(AuditRecord.action.like("appraisal.%"))
                                 .order_by(AuditRecord.id)).all()
    assert actions.count("appraisal.value_entered") == 5 and actions.count("appraisal.adjust") == 2
    assert "appraisal.unclassified_confirmed" in actions
    last = db.session.scalar(select(AuditRecord).where(AuditRecord.action == "appraisal.value_entered")
                             .order_by(AuditRecord.id.desc()))
    assert '"before":{"reason":"DH-JYJ主要负责人年内两次专题听取保密工作汇报。","value":70.0}' in last.details


def test_approval_needs_every_manual_value_and_the_revision_seen(demo, schemes):
    appraisal = appraisals.create_round(db.session, user("inspector"), area=node("BC-XS"), year=Y,
                                        scheme=schemes["annual"])
    assert appraisals.missing_values(db.session, appraisal) == 4
    with pytest.raises(DomainError, match="还有 4 项考核机关评定的分值没有录入"):
        appraisals.approve(db.session, user("leader"), appraisal, appraisal.revision)
    for unit in appraisals.units_of(db.session, node("BC-XS")):
        appraisals.enter_value(db.session, user("inspector"), appraisal, unit, "leadership", 88, "年度报告按时报送。")
    seen = appraisal.revision
    appraisals.compute(db.session, user("inspector"), appraisal)
    with pytest.raises(Conflict, match="重新计算"):
        appraisals.approve(db.session, user("leader"), appraisal, seen)
    with pytest.raises(NotAllowed):
        appraisals.approve(db.session, user("inspector"), appraisal, appraisal.revision)
    appraisals.approve(db.session, user("leader"), appraisal, appraisal.revision)
    assert appraisal.is_approved and appraisal.number == f"西保考〔{clock.local_today().year}〕1号"


def test_an_approved_round_does_not_move_when_the_data_does(district):
    appraisal = district.round
    appraisals.approve(db.session, user("leader"), appraisal, appraisal.revision)
    before = {r.unit_id: (r.score, r.band, r.rank, r.indicators_json, r.vetoes_json)
              for r in db.session.scalars(select(AppraisalResult).where(AppraisalResult.round_id == appraisal.id))}
    pdf = documents.prepare(db.session, DocumentKind.APPRAISAL, appraisal)
    # The data changes: F7 is put right, DH-JYJ is inspected after all, a new unit joins the district.
    accepted_on(district.tickets["B-F7"], date(Y, 12, 1))
    late, _ = submitted_inspection("DH-JYJ", failing={"F3": "noncompliant"})
    backdate(late, date(Y, 11, 1), 60.0)
    make_unit(node("BC-DH"), "DH-NEW", "东湖区新设单位")
    # Nothing in the round follows it, and nothing may change it.
    for attempt in (lambda: appraisals.compute(db.session, user("inspector2"), appraisal),
                    lambda: appraisals.enter_value(db.session, user("inspector2"), appraisal, node("DH-FY"),
                                                   "leadership", 100, "改分"),
                    lambda: appraisals.adjust(db.session, user("inspector2"), appraisal, node("DH-FY"), 5, "加分"),
                    lambda: appraisals.approve(db.session, user("leader"), appraisal, appraisal.revision)):
        with pytest.raises(Conflict, match="已审定"):
            attempt()
        db.session.rollback()
    db.session.expire_all()
    after = {r.unit_id: (r.score, r.band, r.rank, r.indicators_json, r.vetoes_json)
             for r in db.session.scalars(select(AppraisalResult).where(AppraisalResult.round_id == appraisal.id))}
    assert after == before and node("DH-NEW").id not in after
    assert documents.prepare(db.session, DocumentKind.APPRAISAL, district.refreshed()).code == pdf.code
    # A draft round of the same data would have moved: DH-JYJ's inspection now counts.
    fresh = appraisals.create_round(db.session, user("inspector"), area=node("BC-DH"), year=Y - 1,
                                    scheme=appraisal.scheme)
    assert fresh.year == Y - 1  # (another year: a round per area and year)
    with pytest.raises(DomainError, match="已经建立"):
        appraisals.create_round(db.session, user("inspector"), area=node("BC-DH"), year=Y, scheme=appraisal.scheme)


def test_approval_tells_each_units_officer(district):
    appraisals.approve(db.session, user("leader"), district.round, district.round.revision)
    note = db.session.scalar(select(Notification).where(Notification.user_id == user("officer").id,
                                                        Notification.kind == "appraisal_approved"))
    assert note is not None and note.params["score"] == "62.6" and note.params["band"] == "basic"
    from inspect_app.services import notifications

    assert f"{Y}年度保密工作责任制考核结果已审定：本单位得分 62.6，等次为基本合格。" == notifications.text_of(note)
    # DH-JYJ, never inspected, is not rated: its officers are told so, not "得分 —，等次为—".
    unrated = db.session.scalar(select(AppraisalResult).where(AppraisalResult.round_id == district.round.id,
                                                              AppraisalResult.unit_id == node("DH-JYJ").id))
    assert unrated.band is None
    told = Notification(kind="appraisal_approved",
                        params_json=json.dumps({"year": Y, "score": "—", "band": unrated.band or ""}))
    assert notifications.text_of(told) == (
        f"{Y}年度保密工作责任制考核结果已审定：本单位本年度不评定等次，原因见考核结果。")


def test_rounds_are_made_only_where_the_inspector_works(demo, schemes):
    annual = schemes["annual"]
    with pytest.raises(DomainError, match="只能考核本机关或所辖区县"):
        appraisals.create_round(db.session, user("inspector2"), area=node("BC-XS"), year=Y, scheme=annual)
    with pytest.raises(DomainError, match="只能考核今年和前两年"):
        appraisals.create_round(db.session, user("inspector"), area=node("BC-XS"), year=Y - 5, scheme=annual)
    with pytest.raises(NotAllowed):
        appraisals.create_round(db.session, user("leader"), area=node("BC-XS"), year=Y, scheme=annual)
    city = appraisals.create_round(db.session, user("inspector"), area=node("BC-BMJ"), year=Y, scheme=annual)
    assert city.title == f"宝川市{Y}年度保密工作责任制考核"
    assert len(city_results := db.session.scalars(select(AppraisalResult).where(
        AppraisalResult.round_id == city.id)).all()) == 12
    # Nothing inspected, no register and no rating entered yet: only the incidents count, none at any unit, 100 each,
    # but 5+5 = 10 of the weight rates no one: no total, no band, no place.
    assert {(r.score, r.band, r.rank) for r in city_results} == {(None, None, None)}
    assert {tuple(i["key"] for i in r.indicators if i["counted"]) for r in city_results} == {
        ("incidents", "late-reports")}
    assert {i["state"] for r in city_results for i in r.indicators if i["key"] == "leadership"} == {"not_entered"}


# The pages ------------------------------------------------------------------------------------------------------------


def test_the_round_page_ranks_the_units_and_each_number_opens_its_records(district, browser_for):
    leader = browser_for("leader")
    html = leader.get(f"/appraisals/{district.round.id}").get_data(as_text=True)
    order = [html.index(name) for name in ("东湖区人民法院", "东湖区人民政府办公室", "宝川电力集团东湖供电公司",
                                           "东湖区教育局")]
    assert order == sorted(order)  # the unit not rated last, saying why
    assert html.count("年度内可计算的指标权重不足 50%，本年度不评定等次。") == 1
    assert "62.6" in html and "93.7" in html and "一票否决" in html and "审定考核结果" in html
    unit_url = f"/appraisals/{district.round.id}/units/{node('DH-ZFB').id}"
    assert f'href="{unit_url}#indicator-on-time"' in html
    page = leader.get(unit_url).get_data(as_text=True)
    assert 'id="indicator-on-time"' in page and "逾期未改" in page and "超期销号" in page and "按期销号" in page
    assert f'href="/tickets/{district.tickets["B-F7"].id}"' in page
    assert f'href="/inspections/{district.inspections["B"].id}"' in page
    assert "年内一名干部违规携带涉密笔记本外出" in page and "-2.0" in page
    assert " style=" not in page and "<script>" not in page


def test_the_bureau_enters_values_and_the_leader_approves_through_the_pages(district, browser_for):
    inspector2, leader = browser_for("inspector2"), browser_for("leader")
    unit = node("DH-FY")
    base = f"/appraisals/{district.round.id}/units/{unit.id}"
    response = inspector2.post(f"{base}/values", {"indicator": "leadership", "value": "abc", "reason": "说明"})
    assert response.status_code == 400
    response = inspector2.post(f"{base}/values", {"indicator": "leadership", "value": "95", "reason": "表现突出。"})
    assert response.status_code == 302
    assert district.result("DH-FY").indicators[-1]["value"] == 95.0
    response = inspector2.post(f"{base}/adjustments", {"points": "3", "reason": "机密★5年"})
    assert response.status_code == 422 and "我确认以上内容不含国家秘密" in response.get_data(as_text=True)
    assert inspector2.post(f"{base}/adjustments", {"points": "3", "reason": "受到市委表彰。"}).status_code == 302
    made = next(a for a in appraisals.unit_result(db.session, district.refreshed(), unit).adjustments)
    assert inspector2.post(f"{base}/adjustments/remove", {"adjustment_id": str(made.id)}).status_code == 302
    assert district.result("DH-FY").adjustment == 0
    # Only the leader approves; a stale page is refused with the reason.
    assert inspector2.post(f"/appraisals/{district.round.id}/approve",
                           {"revision": str(district.refreshed().revision)}).status_code == 403
    stale = leader.post(f"/appraisals/{district.round.id}/approve", {"revision": "1"})
    assert stale.status_code == 409 and "请核对最新结果后再审定" in stale.get_data(as_text=True)
    done = leader.post(f"/appraisals/{district.round.id}/approve", {"revision": str(district.refreshed().revision)})
    assert done.status_code == 302 and district.refreshed().is_approved
    assert inspector2.post(f"{base}/values", {"indicator": "leadership", "value": "50", "reason": "改"}
                           ).status_code == 409
    page = inspector2.get(base).get_data(as_text=True)
    assert "保存评定" not in page and "记录加减分" not in page


def test_a_unit_sees_its_own_result_once_approved_and_nothing_else(district, browser_for):
    officer, officer2 = browser_for("officer"), browser_for("officer2")
    own = f"/appraisals/{district.round.id}/units/{node('DH-ZFB').id}"
    other = f"/appraisals/{district.round.id}/units/{node('DH-FY').id}"
    assert officer.get(own).status_code == 404  # a draft is the bureau's
    assert "还没有审定的考核结果" in officer.get("/appraisals").get_data(as_text=True)
    appraisals.approve(db.session, user("leader"), district.refreshed(), district.round.revision)
    assert officer.get(own).status_code == 200
    assert officer.get(other).status_code == 404
    assert officer.get(f"/appraisals/{district.round.id}").status_code == 403
    assert officer.get(f"/appraisals/{district.round.id}?format=xlsx").status_code == 403
    assert officer.get(f"/appraisals/{district.round.id}/bulletin.pdf").status_code == 403
    assert own in officer.get("/appraisals").get_data(as_text=True)
    assert officer2.get(own).status_code == 404 and officer2.get("/appraisals").status_code == 200
    assert district.round.title not in officer2.get("/appraisals").get_data(as_text=True)
    for path in (own, f"/appraisals/{district.round.id}"):
        assert browser_for("admin").get(path).status_code in (403, 404)


def test_a_district_sees_its_own_rounds_and_not_the_citys(district, schemes, browser_for):
    city = appraisals.create_round(db.session, user("inspector"), area=node("BC-BMJ"), year=Y,
                                   scheme=schemes["annual"])
    inspector2 = browser_for("inspector2")
    assert inspector2.get(f"/appraisals/{city.id}").status_code == 404
    assert inspector2.post(f"/appraisals/{city.id}/compute").status_code == 404
    listed = inspector2.get("/appraisals").get_data(as_text=True)
    assert district.round.title in listed and city.title not in listed
    leader = browser_for("leader").get("/appraisals").get_data(as_text=True)
    assert district.round.title in leader and city.title in leader
    page = inspector2.get("/appraisals/new").get_data(as_text=True)
    assert "东湖区国家保密局" in page and "西山县国家保密局" not in page


def test_the_results_as_a_workbook(district, browser_for):
    book = load_workbook(io.BytesIO(browser_for("leader").get(f"/appraisals/{district.round.id}?format=xlsx").data))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    records = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    assert [(r["名次"], r["代码"], r["总分"], r["等次"]) for r in records] == [
        (1, "DH-FY", 93.7, "优秀"), (2, "DH-ZFB", 62.6, "基本合格"), (3, "DH-DL", 88.8, "不合格"),
        (None, "DH-JYJ", None, "不评定")]
    assert [r["说明"] for r in records] == [None, None, None, "年度内可计算的指标权重不足 50%，本年度不评定等次。"]
    office = records[1]
    assert office["保密检查得分（分）"] == 75.0 and office["按期整改率（%）"] == 33.3
    assert office["屡查屡犯问题（个）"] == 1 and office["屡查屡犯问题得分"] == 75.0
    assert office["泄密事件（起）"] == 0 and office["泄密事件得分"] == 100.0
    assert office["涉密人员保密教育培训覆盖率（%）"] is None  # no register
    assert office["加减分"] == -2.0 and office["指标得分"] == 64.6
    assert records[2]["一票否决"] == "保密检查否决项不符合"
    assert sheet.freeze_panes == "A2" and sheet.cell(row=2, column=5).number_format == "0.0"
    about = dict(book["筛选条件"].iter_rows(values_only=True))
    assert about["状态"] == "待审定" and about["数据截至"] == f"{Y}-12-31"
    csv_text = browser_for("inspector2").get(f"/appraisals/{district.round.id}?format=csv").data.decode("utf-8")
    assert csv_text.startswith("\ufeff名次,单位,") and len(csv_text.strip().splitlines()) == 5


def test_the_bulletin_is_an_official_document_of_the_approved_round(district, browser_for):
    leader = browser_for("leader")
    assert leader.get(f"/appraisals/{district.round.id}/bulletin.pdf").status_code == 400  # not approved yet
    appraisals.approve(db.session, user("leader"), district.refreshed(), district.round.revision)
    response = leader.get(f"/appraisals/{district.round.id}/bulletin.pdf")
    assert response.status_code == 303
    pdf = leader.get(response.location)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf.data, capture_output=True,
                          check=True, timeout=60).stdout.decode("utf-8")
    flat = "".join(text.split())
    number = district.refreshed().number
    assert number in flat and "东湖区国家保密局文件" in flat
    assert f"关于东湖区{Y}年度保密工作责任制考核结果的通报" in flat
    assert "《中华人民共和国保守国家秘密法》第八条" in flat and "《中华人民共和国保守国家秘密法实施条例》第六条" in flat
    assert "优秀（1个）：东湖区人民法院" in flat and "（二）合格（0个）：无。" in flat
    assert "有相关记录可以计分的指标分值合计不足50分的，不计总分，不评定等次。" in flat
    assert "以下单位年度内可以计分的指标分值合计不足50分，本年度不评定等次：东湖区教育局。" in flat
    assert "因没有可计分的记录" not in flat
    assert "基本合格（1个）：东湖区人民政府办公室" in flat
    assert "不合格（1个）" in flat and "宝川电力集团东湖供电公司（保密检查否决项不符合）" in flat
    assert "有发生经认定的泄密案件、保密检查否决项不符合情形的，实行一票否决" in flat  # both veto items checked
    assert "减2分（年内一名干部违规携带涉密笔记本外出，被市局通报）" in flat
    code = documents.prepare(db.session, DocumentKind.APPRAISAL, district.refreshed()).code
    assert code in flat.replace("验证码：", "")
    assert browser_for("inspector2").get(f"/verify?code={code}").status_code == 200
    assert browser_for("officer").get(f"/verify?code={code}").status_code == 404
