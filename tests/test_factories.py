"""The shared `tree` and `bank` fixtures are built in a few INSERTs (tests/conftest.py);
they must be what treebeard and the factories build one row at a time."""

import pytest
from django.db import transaction

from offices.models import AdministrativeUnit
from tests.conftest import BANK_CHOICES, BANK_QUESTIONS, TREE_UNITS, build_bank, build_tree
from tests.factories import ChoiceFactory, QuestionFactory, make_new_tree, make_unit

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


def _bank_rows() -> tuple[list, list]:
    from surveys.models import Choice, Question

    fields = ("code", "kind", "factor", "reasons__code", "text_vi", "text_en", "text_fa")
    questions = list(Question.objects.order_by("code").values_list(*fields))
    choices = Choice.objects.order_by("question__code", "position")
    return questions, list(choices.values_list("question__code", "code", "text_vi", "text_en"))


def test_the_bank_built_at_once_is_the_bank_the_factories_make_one_by_one():
    from surveys.models import Question

    before = transaction.savepoint()
    for code, fields in BANK_QUESTIONS.items():  # as the fixture once made them
        if "reasons" in fields:
            fields = {**fields, "reasons": Question.objects.get(code=fields["reasons"])}
        QuestionFactory(code=code, **fields)
    for code, (question, fields) in BANK_CHOICES.items():
        ChoiceFactory(question=Question.objects.get(code=question), code=code, **fields)
    one_by_one = _bank_rows()
    transaction.savepoint_rollback(before)
    assert not Question.objects.exists()

    bank = build_bank()

    assert _bank_rows() == one_by_one
    assert bank.overall.reasons == bank.reasons and bank.slow.question == bank.reasons
    assert [c.code for c in bank.visit.choices.order_by("position")] == ["first", "again"]


def test_the_bank_keeps_a_question_the_test_made_before_it():
    comment = QuestionFactory(code="comment", kind="text", factor="", text_vi="Góp ý thêm")

    bank = build_bank()

    assert bank.comment == comment and bank.comment.text_vi == "Góp ý thêm"
    assert bank.overall.code == "overall" and bank.overall.pk != comment.pk
