"""Totals worked out by hand (see the set in conftest.py): rules, rounding and caps."""

from decimal import Decimal

import pytest

from reform.models import Criterion
from reform.scoring import SetTree, criterion_points
from tests.reform.conftest import criteria

D = Decimal


@pytest.mark.parametrize(
    ("rule", "fields", "value", "expected"),
    [
        ("yesno", {}, "1", "2.00"),
        ("yesno", {}, "0", "0.00"),
        ("threshold", {"thresholds": [[95, 2], [80, 1]]}, "95", "2.00"),
        ("threshold", {"thresholds": [[95, 2], [80, 1]]}, "94.99", "1.00"),
        ("threshold", {"thresholds": [[80, 1], [95, 2]]}, "100", "2.00"),  # order does not matter
        ("threshold", {"thresholds": [[95, 2], [80, 1]]}, "79.99", "0.00"),
        ("threshold", {"thresholds": [[95, 3]]}, "99", "2.00"),  # never above the maximum
        ("proportional", {"target": D(80)}, "72", "1.80"),  # 2 × 72 ÷ 80
        ("proportional", {"target": D(80)}, "120", "2.00"),  # capped at the maximum
        ("proportional", {"target": D(3)}, "1", "0.67"),  # 0.666… rounded half up
        ("proportional", {"target": D(8)}, "1", "0.25"),
        ("direct", {}, "1.255", "1.26"),
        ("direct", {}, "7", "2.00"),  # capped
    ],
)
def test_rule_points(rule, fields, value, expected):
    criterion = Criterion(code="x", name="x", max_points=D(2), rule=rule, **fields)
    assert criterion_points(criterion, D(value)) == D(expected)


def test_no_figure_scores_nothing_rather_than_a_guess():
    criterion = Criterion(code="x", name="x", max_points=D(2), rule="yesno")
    assert criterion_points(criterion, None) is None


def test_totals_cap_the_parent_criterion_and_the_area(par_set):
    c = criteria(par_set)
    values = {c["1.1"].pk: D(1), c["1.2"].pk: D(96), c["1.3.1"].pk: D(1), c["1.3.2"].pk: D("1.5")}
    values[c["2.1"].pk] = D(72)
    score = SetTree.load(par_set).score(values)
    one, two = score.areas
    parent = one.criteria[2]
    assert parent.criterion.code == "1.3" and parent.points == D("2.00")  # 1.5 + 1.5 capped at 2
    assert [s.points for s in one.criteria] == [D(2), D(3), D(2)]
    assert one.points == D(5)  # 2 + 3 + 2 = 7, capped at the area's 5
    assert two.points == D("5.40")  # 6 × 72 ÷ 80; 2.2 has no figure
    assert score.total == D("10.40") and score.max_points == D(15)
    assert not score.complete  # 2.2 (from the survey) is missing
    values[c["2.2"].pk] = D(85)
    score = SetTree.load(par_set).score(values)
    assert score.areas[1].points == D("8.80")  # 5.40 + 4 × 85 ÷ 100
    assert score.total == D("13.80") and score.complete


def test_totals_below_the_caps_add_up(par_set):
    c = criteria(par_set)
    values = {c["1.1"].pk: D(0), c["1.2"].pk: D(80), c["1.3.1"].pk: D(0), c["1.3.2"].pk: D("0.75")}
    values |= {c["2.1"].pk: D(100), c["2.2"].pk: D("33.333")}
    score = SetTree.load(par_set).score(values)
    assert [a.points for a in score.areas] == [D("1.75"), D("7.33")]  # 0+1+0.75; 6 + 1.33
    assert score.total == D("9.08")


def test_only_criteria_without_sub_criteria_are_scored(par_set):
    codes = [c.code for c in SetTree.load(par_set).leaves()]
    assert codes == ["1.1", "1.2", "1.3.1", "1.3.2", "2.1", "2.2"]
