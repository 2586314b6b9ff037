"""A criteria set is frozen once scoring starts; a copy is the way to revise it."""

from decimal import Decimal

import pytest
from django.urls import reverse

from reform.models import Area, CriteriaSet, Criterion, FrozenSetError
from tests.reform.conftest import criteria


def test_a_set_is_editable_until_the_first_unit_starts_scoring(par_set, assessment_a):
    par_set.refresh_from_db()
    assert par_set.is_frozen


def test_a_frozen_set_cannot_be_edited(par_set, assessment_a):
    area = Area.objects.get(criteria_set=par_set, code="1")
    area.max_points = Decimal(50)
    with pytest.raises(FrozenSetError):
        area.save()
    criterion = criteria(par_set)["1.2"]
    criterion.thresholds = [[50, 3]]
    with pytest.raises(FrozenSetError):
        criterion.save()
    with pytest.raises(FrozenSetError):
        Criterion.objects.create(area=area, code="1.9", name="Mới", max_points=1, rule="yesno")
    with pytest.raises(FrozenSetError):
        criterion.delete()
    fresh = CriteriaSet.objects.get(pk=par_set.pk)
    fresh.name = "Đổi tên"
    with pytest.raises(FrozenSetError):
        fresh.save()
    with pytest.raises(FrozenSetError):
        fresh.delete()
    assert Area.objects.get(pk=area.pk).max_points == Decimal(5)
    assert criteria(par_set)["1.2"].thresholds == [[95, 3], [80, 1]]
    assert CriteriaSet.objects.get(pk=par_set.pk).name == par_set.name


def test_the_admin_shows_a_frozen_set_read_only(client_for, admin_user, par_set, assessment_a):
    client = client_for(admin_user)
    url = reverse("admin:reform_criteriaset_change", args=[par_set.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="name"' not in page.content.decode()  # no input: view only
    response = client.post(url, {"name": "Đổi tên", "year": 2025, "level": "commune"})
    assert response.status_code == 403
    assert CriteriaSet.objects.get(pk=par_set.pk).name == par_set.name


def test_copy_to_next_year_gives_an_editable_set_with_the_same_rules(par_set, assessment_a):
    copy = par_set.copy_to(2026, "Hà Nội 2026 · cấp xã")
    assert not copy.is_frozen and copy.copied_from == par_set
    old, new = criteria(par_set), criteria(copy)
    assert sorted(old) == sorted(new)
    for code in old:
        a, b = old[code], new[code]
        assert (a.max_points, a.rule, a.source, a.target, a.thresholds) == (
            b.max_points, b.rule, b.source, b.target, b.thresholds,
        )  # fmt: skip
        assert (b.parent.code if b.parent else None) == (a.parent.code if a.parent else None)
        assert b.area.criteria_set == copy
    new["1.2"].thresholds = [[90, 3]]
    new["1.2"].save()  # the copy is editable; the original is not touched
    assert criteria(par_set)["1.2"].thresholds == [[95, 3], [80, 1]]


def test_the_admin_copies_a_set_to_the_next_year(client_for, admin_user, par_set):
    response = client_for(admin_user).post(
        reverse("admin:reform_criteriaset_changelist"),
        {"action": "copy_to_next_year", "_selected_action": [par_set.pk]},
    )
    assert response.status_code == 302
    copy = CriteriaSet.objects.get(year=2026)
    assert copy.copied_from == par_set and len(criteria(copy)) == 7
