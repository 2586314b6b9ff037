"""The shared `tree` fixture is built in a few INSERTs (tests/conftest.py `build_tree`);
it must be the very tree treebeard builds one unit at a time."""

import pytest

from offices.models import AdministrativeUnit
from tests.conftest import TREE_UNITS, build_tree
from tests.factories import make_new_tree, make_unit

pytestmark = pytest.mark.django_db


def _shape(root: AdministrativeUnit) -> list[tuple]:
    return list(
        AdministrativeUnit.objects.filter(path__startswith=root.path)
        .order_by("path")
        .values_list("code", "name", "level", "path", "depth", "numchild")
    )


def _one_by_one(spec: dict, parent=None) -> None:
    for (code, name, level), children in spec.items():
        unit = make_unit(code, name, level, parent)
        _one_by_one(children, unit)


def test_the_tree_built_at_once_is_the_tree_treebeard_builds_unit_by_unit():
    _one_by_one(TREE_UNITS)
    by_treebeard = _shape(AdministrativeUnit.objects.get(code="01"))
    AdministrativeUnit.objects.all().delete()

    tree = build_tree()

    assert _shape(tree.city) == by_treebeard
    assert AdministrativeUnit.objects.find_problems() == ([], [], [], [], [])
    children = AdministrativeUnit.objects.get_children(tree.city)
    assert [u.code for u in children] == ["HN-CG", "HN-NTL", "00004"]
    assert AdministrativeUnit.objects.get_parent(tree.ward_a) == tree.district_a
    assert (tree.office_a.unit, tree.office_c.unit) == (tree.ward_a, tree.ward_c)
    assert tree.desk_a.office == tree.staff_a.office == tree.office_a


def test_a_unit_added_after_it_by_treebeard_takes_the_next_place():
    tree = build_tree()
    other = make_new_tree({("79", "Thành phố Hồ Chí Minh", "province"): {}})["79"]
    tree.city.refresh_from_db()
    added = make_unit("HN-BD2", "Phường Ba Đình 2", "ward", tree.city)

    assert other.path == AdministrativeUnit._get_path(None, 1, 2)  # the second root
    assert added.path == tree.city.path + AdministrativeUnit._get_path(None, 1, 4)
    assert AdministrativeUnit.objects.find_problems() == ([], [], [], [], [])
