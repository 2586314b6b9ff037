from datetime import UTC, datetime

import factory
from django.contrib.auth import get_user_model

from offices.models import AdministrativeUnit, Desk, Membership, Office, StaffMember


def make_unit(code: str, name: str, level: str, parent: AdministrativeUnit | None = None):
    fields = {"code": code, "name": name, "level": level}
    if parent is None:
        return AdministrativeUnit.objects.add_root(fields)
    parent.refresh_from_db()
    return AdministrativeUnit.objects.add_child(parent, fields)


def make_new_tree(spec: dict) -> dict[str, AdministrativeUnit]:
    """A new root unit and its subtree in one INSERT, as `make_unit` would add them one by
    one: the same paths, depths and child counts (a unit's children are appended in the
    order given). `spec` maps (code, name, level) to the children's spec.

    Returns the units by code."""
    last_root = AdministrativeUnit.objects.get_last_root_node()
    root_path = AdministrativeUnit._get_path(None, 1, 1)
    if last_root is not None:
        root_path = last_root._inc_path()
    units: list[AdministrativeUnit] = []

    def add(level_spec: dict, path: str, depth: int) -> None:
        for position, (unit, children) in enumerate(level_spec.items(), 1):
            if depth == 1:
                node_path = root_path
            else:
                node_path = AdministrativeUnit._get_path(path, depth, position)
            fields = dict(zip(("code", "name", "level"), unit, strict=True))
            tree_fields = {"path": node_path, "depth": depth, "numchild": len(children)}
            units.append(AdministrativeUnit(**fields, **tree_fields))
            add(children, node_path, depth + 1)

    assert len(spec) == 1, "one root"
    add(spec, "", 1)
    return {unit.code: unit for unit in AdministrativeUnit.objects.bulk_create(units)}


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.vn")
    password = factory.django.Password("correct horse battery")


class OfficeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Office

    name = factory.Sequence(lambda n: f"Bộ phận một cửa {n}")


class DeskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Desk

    office = factory.SubFactory(OfficeFactory)
    number = factory.Sequence(lambda n: f"{n:02d}")
    name = "Tư pháp - Hộ tịch"


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffMember

    full_name = factory.Sequence(lambda n: f"Nguyễn Văn {n}")
    title = "Công chức"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership


# --- Surveys ------------------------------------------------------------------


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "surveys.Question"
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"q{n}")
    kind = "scale5"
    factor = "officials"
    text_vi = factory.LazyAttribute(lambda q: f"Câu hỏi {q.code}")
    text_en = factory.LazyAttribute(lambda q: f"Question {q.code}")
    text_fa = factory.LazyAttribute(lambda q: f"پرسش {q.code}")


class ChoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "surveys.Choice"

    question = factory.SubFactory(QuestionFactory, kind="multi", factor="")
    code = factory.Sequence(lambda n: f"c{n}")
    text_vi = factory.LazyAttribute(lambda c: f"Lý do {c.code}")


class SurveyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "surveys.Survey"

    code = factory.Sequence(lambda n: f"survey-{n}")
    name = factory.LazyAttribute(lambda s: f"Phiếu {s.code}")
    variant = "kiosk"


# Test surveys are published long before any rating a test makes (drafts: tests/surveys).
PUBLISHED = datetime(2020, 1, 1, tzinfo=UTC)


def survey_version(
    unit=None,
    items=(),
    *,
    variant="kiosk",
    office=None,
    code=None,
    required=True,
    published_at=PUBLISHED,
):
    """A survey (core at `unit`, or extension of `office`) with version 1 of `items` in
    order: questions, or (question, required) pairs; a bare question is `required`.
    Published (long ago) unless `published_at` is None."""
    from surveys.models import SurveyItem, SurveyVersion

    fields = {"unit": unit, "office": office, "variant": variant}
    if code:
        fields["code"] = code
    survey = SurveyFactory(**fields)
    version = SurveyVersion.objects.create(survey=survey, number=1)
    for position, item in enumerate(items):
        question, is_required = item if isinstance(item, tuple) else (item, required)
        SurveyItem.objects.create(
            version=version, question=question, position=position, required=is_required
        )
    if published_at is not None and items:
        version.publish(at=published_at)
    return version


def make_response(version, office, scores: dict, *, when=None, misuse=False, **fields):
    """Record a response through the real write path; `scores` maps question → value.

    A value may be an int (score), a Choice, a list of Choices, or a str (text).
    """
    import uuid

    from django.utils import timezone

    from surveys.models import Answer, Choice, Response

    response = Response(
        id=fields.pop("id", None) or uuid.uuid4(),
        survey_version=version,
        office=office,
        channel=fields.pop("channel", "kiosk"),
        submitted_at=when or timezone.now(),
        is_misuse=misuse,
        misuse_reason="test" if misuse else "",
        **fields,
    )
    answers = []
    for question, value in scores.items():
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, Choice):
                answers.append(Answer(question=question, choice=item))
            elif isinstance(item, str):
                answers.append(Answer(question=question, text=item))
            else:
                answers.append(Answer(question=question, score=item))
    Response.objects.record(response, answers)
    return response
