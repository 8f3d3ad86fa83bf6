"""The scoring function, down to its edges."""

import pytest

from inspect_app.services.inspections.scoring import ScoredItem, score

A = [ScoredItem("A1", "s1", 4), ScoredItem("A2", "s1", 2), ScoredItem("B1", "s2", 4)]
DEDUCT = ScoredItem("F2", "s3", 0, deduction=True, deduction_points=4)
COUNT = ScoredItem("Z51", "s3", 0, response="number", deduction=True, deduction_points=4)
VETO = ScoredItem("Z59", "s3", 0, veto=True)


def test_all_compliant_is_a_hundred():
    result = score(A, {"A1": "compliant", "A2": "compliant", "B1": "compliant"})
    assert result.score == 100.0 and result.band == "meets"
    assert [(s.key, s.score) for s in result.sections] == [("s1", 100.0), ("s2", 100.0)]


def test_partial_earns_half_and_not_applicable_leaves_the_denominator():
    result = score(A, {"A1": "partial", "A2": "not_applicable", "B1": "noncompliant"})
    # earned 2 of applicable 8
    assert result.earned == 2 and result.applicable == 8
    assert result.score == 25.0 and result.band == "fails"
    assert [s.score for s in result.sections] == [50.0, 0.0]


def test_every_item_not_applicable_has_no_score_and_no_band():
    result = score(A, {"A1": "not_applicable", "A2": "not_applicable", "B1": "not_applicable"})
    assert result.score is None and result.band is None
    assert all(s.score is None for s in result.sections)


def test_a_failed_veto_fails_even_with_full_points():
    result = score([*A, VETO], {"A1": "compliant", "A2": "compliant", "B1": "compliant", "Z59": "noncompliant"})
    assert result.score == 100.0
    assert result.veto and result.band == "fails"


def test_a_passed_veto_changes_nothing():
    result = score([*A, VETO], {"A1": "compliant", "A2": "compliant", "B1": "compliant", "Z59": "compliant"})
    assert not result.veto and result.band == "meets"


def test_deductions_per_case_and_never_below_zero():
    answers = {"A1": "compliant", "A2": "compliant", "B1": "compliant", "F2": "noncompliant", "Z51": "3"}
    result = score([*A, DEDUCT, COUNT], answers)
    assert result.deductions == 16 and result.deduction_cases == {"F2": 1, "Z51": 3}
    assert result.score == 84.0 and result.band == "basic"
    answers["Z51"] = "40"
    assert score([*A, DEDUCT, COUNT], answers).score == 0.0


def test_deduction_items_do_not_enter_the_denominator():
    answers = {"A1": "compliant", "A2": "compliant", "B1": "compliant", "F2": "compliant", "Z51": "0"}
    result = score([*A, DEDUCT, COUNT], answers)
    assert result.applicable == 10 and result.score == 100.0 and result.deductions == 0


@pytest.mark.parametrize(("earned_of_ten", "band"), [(9, "meets"), (8.5, "basic"), (8, "basic"), (7.5, "fails")])
def test_band_edges(earned_of_ten, band):
    items = [ScoredItem(f"I{i}", "s", 1) for i in range(20)]
    full = int(earned_of_ten * 2)
    answers = {f"I{i}": "compliant" if i < full else "noncompliant" for i in range(20)}
    assert score(items, answers).band == band


def test_unanswered_items_are_reported_not_scored():
    result = score(A, {"A1": "compliant"})
    assert result.unanswered == ["A2", "B1"] and result.score == 100.0


def test_text_number_and_choice_items_are_not_scored():
    items = [*A, ScoredItem("N1", "s1", 0, response="number"), ScoredItem("T1", "s1", 0, response="text")]
    result = score(items, {"A1": "compliant", "A2": "compliant", "B1": "compliant", "N1": "12", "T1": "见附件"})
    assert result.applicable == 10 and result.score == 100.0
