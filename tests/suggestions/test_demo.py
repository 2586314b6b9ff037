"""The demo suggestions load on top of the demo offices, in every state, idempotently."""

import io

import pytest
from django.core.management import call_command
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
