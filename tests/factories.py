import factory
from django.contrib.auth import get_user_model

from offices.models import AdministrativeUnit, Desk, Membership, Office, StaffMember


def make_unit(code: str, name: str, level: str, parent: AdministrativeUnit | None = None):
    fields = {"code": code, "name": name, "level": level}
    if parent is None:
        return AdministrativeUnit.objects.add_root(fields)
    parent.refresh_from_db()
    return AdministrativeUnit.objects.add_child(parent, fields)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.vn")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")


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
