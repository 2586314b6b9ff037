import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from offices.models import AdministrativeUnit, Desk, Office, Role
from offices.scope import fetch_visible, get_in_scope

pytestmark = pytest.mark.django_db


def visible_names(user):
    return set(Office.objects.visible_to(user).values_list("name", flat=True))


def test_ward_official_sees_only_own_ward(tree, alice, bob):
    assert visible_names(alice) == {"Một cửa Nghĩa Tân"}
    assert visible_names(bob) == {"Một cửa Mỹ Đình 1"}


def test_district_official_sees_wards_below_not_beside(tree, dora):
    assert visible_names(dora) == {"Một cửa Nghĩa Tân"}


def test_city_official_and_superuser_see_everything(tree, carol, admin_user):
    everything = {"Một cửa Nghĩa Tân", "Một cửa Mỹ Đình 1", "Trung tâm HCC Ba Đình"}
    assert visible_names(carol) == everything
    assert visible_names(admin_user) == everything


def test_user_without_membership_sees_nothing(tree, django_user_model):
    nobody = django_user_model.objects.create_user("nobody", password="x-x-x-x-x")
    assert visible_names(nobody) == set()


def test_units_visible_are_the_membership_subtree(tree, dora):
    codes = set(AdministrativeUnit.objects.visible_to(dora).values_list("code", flat=True))
    assert codes == {"HN-CG", "HN-CG-NT"}


def test_subtree_is_one_query(tree, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert len(list(tree.city.subtree())) == 6


def test_get_in_scope_404_outside_and_403_for_weak_role(tree, alice, dora):
    assert get_in_scope(alice, Office.objects, pk=tree.office_a.pk) == tree.office_a
    with pytest.raises(Http404):
        get_in_scope(alice, Office.objects, pk=tree.office_b.pk)
    # The district viewer may read office A but not act as a manager on it.
    assert get_in_scope(dora, Office.objects, pk=tree.office_a.pk) == tree.office_a
    with pytest.raises(PermissionDenied):
        get_in_scope(dora, Office.objects, min_role=Role.MANAGER, pk=tree.office_a.pk)
    with pytest.raises(Http404):
        get_in_scope(alice, Office.objects, pk="not-a-number")


def test_fetch_visible_refuses_a_queryset_that_cannot_scope_itself(tree, alice, bob):
    """A desk's queryset has no visible_to(): fetch_visible would have returned any desk
    to anyone; it refuses, and get_in_scope scopes desks by the role over their unit."""
    with pytest.raises(TypeError, match="Desk querysets have no visible_to"):
        fetch_visible(bob, Desk.objects.all(), pk=tree.desk_a.pk)
    assert fetch_visible(alice, Office.objects.all(), pk=tree.office_a.pk) == tree.office_a
    with pytest.raises(Http404):
        fetch_visible(bob, Office.objects.all(), pk=tree.office_a.pk)
    assert get_in_scope(alice, Desk.objects.all(), pk=tree.desk_a.pk) == tree.desk_a
    with pytest.raises(Http404):
        get_in_scope(bob, Desk.objects.all(), pk=tree.desk_a.pk)


def test_office_list_page_shows_only_scope(client_for, tree, alice):
    response = client_for(alice).get(reverse("offices:my_offices"))
    assert response.status_code == 200
    assert "Một cửa Nghĩa Tân" in response.text
    assert "Một cửa Mỹ Đình 1" not in response.text


@pytest.mark.parametrize(
    ("persona", "office", "status"),
    [
        ("alice", "office_a", 200),
        ("alice", "office_b", 404),
        ("alice", "office_c", 404),
        ("bob", "office_b", 200),
        ("bob", "office_a", 404),
        ("dora", "office_a", 200),
        ("dora", "office_b", 404),
        ("carol", "office_c", 200),
        ("admin_user", "office_b", 200),
    ],
)
def test_office_detail_grant_and_denial(request, client_for, tree, persona, office, status):
    user = request.getfixturevalue(persona)
    url = reverse("offices:office_detail", args=[getattr(tree, office).pk])
    assert client_for(user).get(url).status_code == status


def test_anonymous_is_sent_to_log_in(client, tree):
    for url in [
        reverse("offices:my_offices"),
        reverse("offices:office_detail", args=[tree.office_a.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_breadcrumb_stops_at_the_users_highest_unit(client_for, tree, dora):
    response = client_for(dora).get(reverse("offices:office_detail", args=[tree.office_a.pk]))
    assert "Quận Cầu Giấy" in response.text
    assert "Thành phố Hà Nội" not in response.text


# --- The one primitive: subtree filter and "at least role R here" ---------------------------


def test_has_role_is_at_least_the_role_over_the_unit_or_an_ancestor(tree, alice, dora, carol):
    from offices.models import has_role

    assert has_role(alice, tree.ward_a, Role.MANAGER)
    assert not has_role(alice, tree.ward_b)
    assert has_role(dora, tree.ward_a) and not has_role(dora, tree.ward_a, Role.MANAGER)
    assert not has_role(dora, tree.district_b)
    assert has_role(carol, tree.ward_b) and not has_role(carol, tree.city, Role.MANAGER)


def test_an_inactive_superuser_is_nobody(tree, admin_user):
    from offices.models import has_role, is_active_superuser, role_over

    assert is_active_superuser(admin_user) and has_role(admin_user, tree.ward_a, Role.ADMIN)
    admin_user.is_active = False
    assert not is_active_superuser(admin_user)
    assert role_over(admin_user, tree.ward_a) is None
    assert visible_names(admin_user) == set()
    with pytest.raises(Http404):
        get_in_scope(admin_user, Office.objects.all(), pk=tree.office_a.pk)


def test_an_inactive_member_holds_no_role(tree, alice):
    from offices.models import has_role

    alice.is_active = False
    assert not has_role(alice, tree.ward_a)
    assert visible_names(alice) == set()


def test_subtree_filter_matches_units_under_any_path_and_nothing_for_none(tree):
    from offices.models import subtree_filter

    def codes(paths):
        units = AdministrativeUnit.objects.filter(subtree_filter(paths, "path"))
        return set(units.values_list("code", flat=True))

    assert codes([tree.district_a.path]) == {"HN-CG", "HN-CG-NT"}
    assert codes([tree.ward_a.path, tree.ward_b.path]) == {"HN-CG-NT", "HN-NTL-MD1"}
    assert codes([]) == set()
