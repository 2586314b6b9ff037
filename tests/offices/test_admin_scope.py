"""The delegated admin: what an `admin` membership may do, and what it may not."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from offices.models import AuditEvent, Desk, Kiosk, Membership, Office, Role
from surveys.models import SurveyVersion
from tests.factories import MembershipFactory, QuestionFactory, UserFactory, survey_version

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client):
    """Messages are asserted in English (the default language is Vietnamese)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def test_the_admin_role_alone_opens_the_admin_and_losing_it_closes_it(client, tree, admin_a):
    assert not admin_a.is_staff and not admin_a.user_permissions.exists()
    client.force_login(admin_a)
    reply = client.post(
        reverse("admin:offices_office_add"),
        {
            "unit": tree.ward_a.pk,
            "name": "Điểm tiếp nhận Nghĩa Tân 2",
            "time_zone": "Asia/Ho_Chi_Minh",
            "opens_at": "07:30",
            "closes_at": "17:00",
            "open_days": ["1", "2", "3", "4", "5"],
            "is_active": "on",
            **_empty_inlines("desks", "staff"),
        },
        REMOTE_ADDR="10.1.1.1",
    )
    assert reply.status_code == 302, _errors(reply)
    assert Office.objects.filter(name="Điểm tiếp nhận Nghĩa Tân 2", unit=tree.ward_a).exists()
    event = AuditEvent.objects.get(action="config.add")
    assert (event.username, event.ip_address) == ("admin_a", "10.1.1.1")

    Membership.objects.filter(user=admin_a).delete()
    assert client.get(reverse("admin:offices_office_changelist")).status_code == 302


def test_managers_and_viewers_never_reach_the_admin_even_as_staff(client, tree, alice, dora):
    for user in (alice, dora):
        user.is_staff = True
        user.save()
        client.force_login(user)
        assert client.get(reverse("admin:index")).status_code == 302


def test_self_escalation_through_the_membership_form_is_refused(client, tree, admin_a):
    client.force_login(admin_a)
    own = admin_a.memberships.get()
    add = reverse("admin:offices_membership_add")
    # A higher unit for oneself: the unit is not even a choice.
    reply = client.post(add, {"user": admin_a.pk, "unit": tree.district_a.pk, "role": "admin"})
    assert reply.status_code == 200
    assert "inside your area of administration" in reply.text
    # A second role in one's own ward, or changing one's own membership: refused.
    reply = client.post(add, {"user": admin_a.pk, "unit": tree.ward_a.pk, "role": "admin"})
    assert reply.status_code == 200
    assert "cannot change your own roles" in reply.text
    change = reverse("admin:offices_membership_change", args=[own.pk])
    reply = client.post(change, {"user": admin_a.pk, "unit": tree.district_a.pk, "role": "admin"})
    assert reply.status_code == 403
    assert list(Membership.objects.filter(user=admin_a).values_list("unit", "role")) == [
        (tree.ward_a.pk, "admin")
    ]


def test_an_admin_grants_roles_only_inside_the_subtree(client, tree, admin_a, bob):
    colleague = UserFactory(username="colleague")
    MembershipFactory(user=colleague, unit=tree.ward_a, role=Role.VIEWER)
    client.force_login(admin_a)
    add = reverse("admin:offices_membership_add")
    reply = client.post(add, {"user": colleague.pk, "unit": tree.ward_b.pk, "role": "viewer"})
    assert reply.status_code == 200 and not colleague.memberships.filter(unit=tree.ward_b)
    # Someone of ward B cannot be picked at all.
    reply = client.post(add, {"user": bob.pk, "unit": tree.ward_a.pk, "role": "admin"})
    assert reply.status_code == 200 and not bob.memberships.filter(unit=tree.ward_a)
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    reply = client.post(add, {"user": superuser.pk, "unit": tree.ward_a.pk, "role": "viewer"})
    assert reply.status_code == 200 and not superuser.memberships.exists()


def test_an_admin_adds_an_official_with_a_first_role_but_no_flags(client, tree, admin_a):
    client.force_login(admin_a)
    page = client.get(reverse("admin:auth_user_add"))
    assert page.status_code == 200
    assert 'name="is_superuser"' not in page.text and 'name="groups"' not in page.text
    reply = client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "new_clerk",
            "usable_password": "true",
            "password1": "a long enough passphrase 7",
            "password2": "a long enough passphrase 7",
            "unit": tree.ward_a.pk,
            "role": "manager",
            "is_superuser": "on",
            "is_staff": "on",
        },
    )
    assert reply.status_code == 302, _errors(reply)
    new = Membership.objects.select_related("user").get(user__username="new_clerk")
    assert (new.unit, new.role) == (tree.ward_a, "manager")
    assert not new.user.is_superuser and not new.user.is_staff
    # And editing an existing account (its e-mail, its password) is for superusers.
    change = reverse("admin:auth_user_change", args=[new.user.pk])
    assert client.post(change, {"username": "x", "email": "x@example.vn"}).status_code == 403
    assert (
        client.get(reverse("admin:auth_user_password_change", args=[new.user.pk])).status_code
        == 403
    )


def test_rotate_and_revoke_by_a_viewer_are_refused_and_change_nothing(client, tree, dora):
    kiosk = Kiosk.objects.create(office=tree.office_a, name="Kiosk 1")
    token = kiosk.issue_enrolment_token()
    enrolled, _credential = Kiosk.enrol(token)
    before = Kiosk.objects.filter(pk=kiosk.pk).values().get()
    # The hole as reported: a staff flag and the "view kiosk" permission.
    dora.is_staff = True
    dora.save()
    dora.user_permissions.add(Permission.objects.get(codename="view_kiosk"))
    client.force_login(dora)
    for action in ("rotate_credentials", "revoke_credentials"):
        reply = client.post(
            reverse("admin:offices_kiosk_changelist"),
            {"action": action, "_selected_action": [kiosk.pk], "index": "0"},
        )
        assert reply.status_code == 302 and "/login/" in reply["Location"]
        assert "kiosk/enrol" not in reply.content.decode()
    assert Kiosk.objects.filter(pk=kiosk.pk).values().get() == before
    assert not AuditEvent.objects.filter(action__startswith="kiosk.").exists()


def test_another_wards_admin_cannot_rotate_a_kiosk(client, tree, admin_b):
    kiosk = Kiosk.objects.create(office=tree.office_a, name="Kiosk 1")
    client.force_login(admin_b)
    reply = client.post(
        reverse("admin:offices_kiosk_changelist"),
        {"action": "rotate_credentials", "_selected_action": [kiosk.pk], "index": "0"},
    )
    assert reply.status_code == 404
    assert Kiosk.objects.get(pk=kiosk.pk).enrolment_token_hash == ""


def test_rotate_in_scope_gives_a_link_and_is_audited(client, tree, admin_a):
    kiosk = Kiosk.objects.create(office=tree.office_a, name="Kiosk 1")
    client.force_login(admin_a)
    reply = client.post(
        reverse("admin:offices_kiosk_changelist"),
        {"action": "rotate_credentials", "_selected_action": [kiosk.pk], "index": "0"},
        REMOTE_ADDR="10.2.2.2",
    )
    assert reply.status_code == 200 and "/kiosk/enrol/" in reply.text
    actions = set(
        AuditEvent.objects.filter(username="admin_a", ip_address="10.2.2.2").values_list(
            "action", flat=True
        )
    )
    assert {"admin.action.rotate_credentials", "kiosk.enrolment_link"} <= actions


def test_an_admin_cannot_save_a_desk_into_another_wards_office(client, tree, admin_a):
    client.force_login(admin_a)
    reply = client.post(
        reverse("admin:offices_desk_add"),
        {"office": tree.office_b.pk, "number": "09", "name": "Quầy lạ", "is_active": "on"},
    )
    assert reply.status_code == 200
    assert "inside your area of administration" in reply.text
    assert not Desk.objects.filter(number="09").exists()
    change = reverse("admin:offices_desk_change", args=[tree.desk_a.pk])
    reply = client.post(
        change, {"office": tree.office_b.pk, "number": "01", "name": "Tư pháp", "is_active": "on"}
    )
    assert reply.status_code == 200
    assert Desk.objects.get(pk=tree.desk_a.pk).office == tree.office_a


def test_core_surveys_above_the_admins_unit_are_read_only(client, tree, admin_a):
    core = survey_version(tree.city, [QuestionFactory(code="overall")], code="core-hn")
    client.force_login(admin_a)
    page = client.get(reverse("admin:surveys_survey_change", args=[core.survey.pk]))
    assert page.status_code == 200 and 'name="_save"' not in page.text
    reply = client.post(
        reverse("admin:surveys_survey_change", args=[core.survey.pk]),
        {"code": "core-hn", "name": "Đổi tên", "variant": "kiosk", "unit": tree.ward_a.pk},
    )
    assert reply.status_code == 403
    reply = client.post(reverse("admin:surveys_surveyversion_new_version", args=[core.pk]))
    assert reply.status_code == 403
    reply = client.post(
        reverse("admin:surveys_surveyversion_changelist"),
        {"action": "create_new_version", "_selected_action": [core.pk], "index": "0"},
    )
    assert reply.status_code == 403
    assert SurveyVersion.objects.filter(survey=core.survey).count() == 1
    question = reverse("admin:surveys_question_change", args=[core.ordered_items()[0].question.pk])
    assert 'name="_save"' not in client.get(question).text  # the national bank: read-only


def _empty_inlines(*prefixes):
    return {
        f"{prefix}-{name}": "0" for prefix in prefixes for name in ("TOTAL_FORMS", "INITIAL_FORMS")
    }


def _errors(reply):
    context = reply.context
    return (
        context["adminform"].form.errors
        if context and "adminform" in context
        else reply.status_code
    )


def test_kiosk_preview_needs_the_admin_role_over_the_office(client, tree, admin_a, admin_b, alice):
    version = survey_version(tree.city, [QuestionFactory(code="overall")], code="core-hn")
    url = reverse("surveys:kiosk_preview", args=[version.pk])
    client.force_login(admin_a)
    page = client.get(url)
    assert page.status_code == 200 and tree.office_a.name in page.text
    assert client.get(f"{url}?office={tree.office_b.pk}").status_code == 404
    for outsider in (alice, admin_b):  # a manager of the office; another ward's admin
        client.force_login(outsider)
        assert client.get(f"{url}?office={tree.office_a.pk}").status_code == 404


def test_receipts_are_minted_by_managers_not_viewers(client, tree, alice, dora):
    url = reverse("surveys:receipt_qr", args=[tree.office_a.pk])
    detail = reverse("offices:office_detail", args=[tree.office_a.pk])
    client.force_login(dora)
    assert client.get(f"{url}?dossier_code=HS-1").status_code == 403
    assert url not in client.get(detail).text
    client.force_login(alice)
    assert client.get(f"{url}?dossier_code=HS-1").status_code == 200
    assert url in client.get(detail).text


def test_the_index_and_app_pages_list_what_each_admin_may_configure(client, tree, admin_a):
    """The app list is built only when a page reads it (`ScopedAdminSite.get_app_list`):
    the index and an app's page still list exactly what the user may configure."""
    desks = reverse("admin:offices_desk_changelist")
    groups = reverse("admin:auth_group_changelist")  # superusers only
    client.force_login(admin_a)
    index = client.get(reverse("admin:index")).content.decode()
    assert desks in index and groups not in index
    offices_app = client.get(reverse("admin:app_list", args=["offices"])).content.decode()
    assert desks in offices_app
    # An app with nothing this admin may configure has no page (Django's 404).
    assert client.get(reverse("admin:app_list", args=["axes"])).status_code == 404

    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    index = client.get(reverse("admin:index")).content.decode()
    assert desks in index and groups in index
