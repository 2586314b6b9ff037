"""The demo suggestions load on top of the demo offices, in every state, idempotently."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from suggestions.models import Reply, SeenStamp, Status, Suggestion

pytestmark = pytest.mark.django_db

SMALL_HANOI = """code,name,level,parent_code
01,Thành phố Hà Nội,province,
00004,Phường Ba Đình,ward,01
00160,Phường Nghĩa Đô,ward,01
00166,Phường Cầu Giấy,ward,01
"""


def test_demo_suggestions_cover_every_state_and_load_twice_the_same(tmp_path):
    units = tmp_path / "units.csv"
    units.write_text(SMALL_HANOI, encoding="utf-8")
    call_command("load_demo", "--units-csv", str(units), stdout=io.StringIO())
    call_command("load_demo_suggestions", stdout=io.StringIO())
    first = (Suggestion.objects.count(), SeenStamp.objects.count(), Reply.objects.count())
    call_command("load_demo_suggestions", stdout=io.StringIO())
    assert (Suggestion.objects.count(), SeenStamp.objects.count(), Reply.objects.count()) == first

    assert set(Suggestion.objects.values_list("status", flat=True)) == set(Status.values)
    assert Suggestion.objects.filter(is_public=True).exists()
    assert Suggestion.objects.overdue(timezone.now()).exists()
    assert Suggestion.objects.values("office").distinct().count() >= 4
    assert Suggestion.objects.on_public_board().exists()


def test_demo_suggestions_need_the_demo_offices():
    with pytest.raises(Exception, match="load_demo"):
        call_command("load_demo_suggestions", stdout=io.StringIO())


def test_demo_suggestions_need_the_demo_officials_and_change_nothing_without_them(tmp_path):
    """Offices without the officials who read and answer the demo suggestions: a clear
    refusal before anything is written (it used to fail half-way on a missing user)."""
    units = tmp_path / "units.csv"
    units.write_text(SMALL_HANOI, encoding="utf-8")
    call_command("load_demo", "--units-csv", str(units), stdout=io.StringIO())
    get_user_model().objects.filter(username="ward_nghiatan").delete()
    with pytest.raises(CommandError, match="officials missing"):
        call_command("load_demo_suggestions", stdout=io.StringIO())
    assert not Suggestion.objects.exists()
