"""Points from figures: the rules of a criteria set, and the totals by area.

Pure arithmetic over a set loaded in two queries (`SetTree.load`); callers pass the
figures (criterion id → value). Points are rounded to two decimals, half up, at the
criterion; a criterion with sub-criteria has the sum of theirs capped at its own
maximum, an area the sum of its criteria capped at the area's maximum, and the total
is the sum of the areas. A criterion without a figure scores nothing and makes the
score incomplete (it is never guessed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from reform.models import Area, CriteriaSet, Criterion, Rule

CENT = Decimal("0.01")
ZERO = Decimal(0)


def _clamp(points: Decimal, maximum: Decimal) -> Decimal:
    return min(max(points, ZERO), maximum)


def criterion_points(criterion: Criterion, value: Decimal | None) -> Decimal | None:
    """The points `value` earns under the criterion's rule (None without a value)."""
    if value is None:
        return None
    value = Decimal(value)
    maximum = criterion.max_points
    if criterion.rule == Rule.YESNO:
        points = maximum if value >= 1 else ZERO
    elif criterion.rule == Rule.DIRECT:
        points = value
    elif criterion.rule == Rule.PROPORTIONAL:
        points = maximum * value / criterion.target if criterion.target else ZERO
    elif criterion.rule == Rule.THRESHOLD:
        reached = [points for low, points in criterion.threshold_pairs() if value >= low]
        points = reached[0] if reached else ZERO
    else:  # an unknown rule scores nothing rather than something invented
        return None
    return _clamp(points, maximum).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class CriterionScore:
    criterion: Criterion
    points: Decimal | None  # None: a scored criterion without a figure
    children: list[CriterionScore] = field(default_factory=list)
    value: Decimal | None = None

    @property
    def max_points(self) -> Decimal:
        return self.criterion.max_points

    @property
    def complete(self) -> bool:
        if self.children:
            return all(c.complete for c in self.children)
        return self.points is not None


@dataclass
class AreaScore:
    area: Area
    points: Decimal
    criteria: list[CriterionScore]

    @property
    def max_points(self) -> Decimal:
        return self.area.max_points

    @property
    def complete(self) -> bool:
        return all(c.complete for c in self.criteria)


@dataclass
class SetScore:
    criteria_set: CriteriaSet
    areas: list[AreaScore]

    @property
    def total(self) -> Decimal:
        return sum((a.points for a in self.areas), ZERO)

    @property
    def max_points(self) -> Decimal:
        return sum((a.max_points for a in self.areas), ZERO)

    @property
    def complete(self) -> bool:
        return all(a.complete for a in self.areas)

    def by_criterion(self) -> dict[int, CriterionScore]:
        """Every criterion's score by criterion id (criteria and sub-criteria)."""
        found = {}
        for area in self.areas:
            for score in area.criteria:
                found[score.criterion.pk] = score
                for child in score.children:
                    found[child.criterion.pk] = child
        return found


@dataclass
class SetTree:
    """A criteria set with its areas and criteria, loaded once and scored many times."""

    criteria_set: CriteriaSet
    areas: list[Area]
    top: dict[int, list[Criterion]]  # area id → its criteria
    children: dict[int, list[Criterion]]  # criterion id → its sub-criteria

    @classmethod
    def load(cls, criteria_set: CriteriaSet) -> SetTree:
        areas = list(criteria_set.areas.order_by("position", "code"))
        top: dict[int, list[Criterion]] = {a.pk: [] for a in areas}
        children: dict[int, list[Criterion]] = {}
        criteria = Criterion.objects.filter(area__criteria_set=criteria_set).order_by(
            "position", "code"
        )
        for criterion in criteria:
            if criterion.parent_id:
                children.setdefault(criterion.parent_id, []).append(criterion)
            else:
                top[criterion.area_id].append(criterion)
        return cls(criteria_set, areas, top, children)

    def leaves(self) -> list[Criterion]:
        """The scored criteria, in reading order."""
        found = []
        for area in self.areas:
            for criterion in self.top[area.pk]:
                found.extend(self.children.get(criterion.pk) or [criterion])
        return found

    def score(self, values: dict[int, Decimal | None]) -> SetScore:
        areas = []
        for area in self.areas:
            scores = [self._score(c, values) for c in self.top[area.pk]]
            points = sum((s.points or ZERO for s in scores), ZERO)
            areas.append(AreaScore(area, _clamp(points, area.max_points), scores))
        return SetScore(self.criteria_set, areas)

    def _score(self, criterion: Criterion, values: dict[int, Decimal | None]) -> CriterionScore:
        subs = self.children.get(criterion.pk)
        if not subs:
            value = values.get(criterion.pk)
            return CriterionScore(criterion, criterion_points(criterion, value), value=value)
        scored = [self._score(sub, values) for sub in subs]
        points = sum((s.points or ZERO for s in scored), ZERO)
        return CriterionScore(criterion, _clamp(points, criterion.max_points), scored)
