"""Managers review flagged ratings: lifting counts the rating (roll-ups in the same
transaction), confirming changes no figure, both are audited and kept on the rating."""

import io
from datetime import date, datetime

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from offices.models import AuditEvent
from reports.indices import satisfaction_summary
from surveys.management.commands.rebuild_rollups import rebuild_rollups
from surveys.models import FlagReview, Response
from tests.conftest import HANOI
from tests.reports.test_rebuild_rollups import snapshot

pytestmark = pytest.mark.django_db
MARCH = (date(2026, 3, 1), date(2026, 4, 1))


@pytest.fixture
def flagged(tree, rate):
    """Ward A: three valid ratings and one flagged for spacing; ward B: one flagged."""
    for score in (5, 4, 2):
        rate(tree.office_a, access=score, officials=score, desk=tree.desk_a, staff=tree.staff_a)
    rating = rate(
        tree.office_a,
        access=1,
        officials=2,
        greet=0,
        reasons=["slow"],
        misuse=True,
        desk=tree.desk_a,
        staff=tree.staff_a,
        when=datetime(2026, 3, 12, 14, 30, tzinfo=HANOI),
    )
    reason = "arrived 3.2 s after another rating from this kiosk"
    Response.objects.filter(pk=rating.pk).update(misuse_reason=reason)
    other = rate(tree.office_b, access=1, misuse=True)
    Response.objects.filter(pk=other.pk).update(misuse_reason="completed in 0.4 s for 1 answers")
    return rating, other


def review(client, rating, decision, reason="Checked the camera: a real citizen."):
    url = reverse("surveys:flag_review", args=[rating.pk])
    return client.post(url, {"decision": decision, "reason": reason})


def figures(office):
    return satisfaction_summary([office.pk], *MARCH)


def test_lifting_a_flag_changes_the_figures_by_exactly_that_rating(
    client_for, alice, tree, flagged
):
    rating, _other = flagged
    before = figures(tree.office_a)
    reply = review(client_for(alice), rating, "lifted")
    assert reply.status_code == 302
    after = figures(tree.office_a)
    assert (after.n, after.excluded) == (before.n + 1, before.excluded - 1)
    n_before = {q.code: q.n for q in before.questions + before.conduct}
    n_after = {q.code: q.n for q in after.questions + after.conduct}
    assert n_after == {"access": 4, "officials": 4, "greet": 1}
    assert n_before == {"access": 3, "officials": 3}
    # access 5,4,2 + 1 → 2 of 4 satisfied; officials 5,4,2 + 2 → 2 of 4
    assert [q.share for q in after.questions] == [0.5, 0.5]
    # Every grain (daily, monthly, desk, hour × weekday) equals a rebuild from raw data.
    incremental = snapshot()
    rebuild_rollups()
    assert snapshot() == incremental
    rating.refresh_from_db()
    assert not rating.is_misuse
    assert rating.misuse_reason.startswith("arrived 3.2 s")  # the history stays


def test_confirming_a_flag_changes_no_figure(client_for, alice, tree, flagged):
    rating, _other = flagged
    before = snapshot()
    assert review(client_for(alice), rating, "confirmed").status_code == 302
    assert snapshot() == before
    rating.refresh_from_db()
    assert rating.is_misuse
    assert figures(tree.office_a).excluded == 1


@pytest.mark.parametrize("decision", ["lifted", "confirmed"])
def test_both_decisions_are_audited_and_kept_on_the_rating(client_for, alice, flagged, decision):
    rating, _other = flagged
    review(client_for(alice), rating, decision, reason="Seen on the camera")
    kept = FlagReview.objects.get(response=rating)
    assert (kept.decision, kept.reason, kept.reviewed_by) == (decision, "Seen on the camera", alice)
    assert kept.flag_reason.startswith("arrived 3.2 s")
    event = AuditEvent.objects.get(action=f"rating.flag_{decision}")
    assert (event.user, event.ip_address) == (alice, "127.0.0.1")
    assert event.detail["reason"] == "Seen on the camera"
    assert event.detail["rating"] == str(rating.pk)


def test_viewers_and_other_wards_cannot_review(client_for, client, dora, carol, bob, flagged):
    rating, _other = flagged
    before = snapshot()
    assert review(client_for(dora), rating, "lifted").status_code == 403
    assert review(client_for(carol), rating, "lifted").status_code == 403
    assert review(client_for(bob), rating, "lifted").status_code == 404
    client.logout()
    assert review(client, rating, "lifted").status_code == 302  # the log-in page
    assert snapshot() == before
    assert (
        not FlagReview.objects.exists()
        and not AuditEvent.objects.filter(action__startswith="rating.flag").exists()
    )


def test_a_review_needs_a_reason_and_a_flag(client_for, alice, flagged):
    rating, _other = flagged
    client = client_for(alice)
    blank = review(client, rating, "lifted", reason="   ")
    assert blank.status_code == 400 and not FlagReview.objects.exists()
    assert review(client, rating, "lifted").status_code == 302
    again = review(client, rating, "lifted")  # a colleague's lift came first
    assert again.status_code == 409
    assert FlagReview.objects.count() == 1
    assert figures(rating.office).n == 4


def test_the_list_shows_the_subtrees_flags_with_their_details(
    client_for, alice, bob, english, flagged
):
    rating, other = flagged
    page = client_for(alice).get(reverse("surveys:flag_list"))
    assert page.status_code == 200
    html = page.text
    assert "arrived 3.2 s after another rating" in html
    assert "Too close to another rating from the same kiosk" in html
    assert "Một cửa Nghĩa Tân" in html and "Mỹ Đình 1" not in html
    assert "access:</span> 1" in html and "Lift the flag" in html
    assert str(other.pk) not in html
    empty = client_for(bob).get(reverse("surveys:flag_list") + "?reason=spacing")
    assert empty.status_code == 200 and "No flagged ratings here." in empty.text


def test_the_list_filters_by_reason_month_office_and_state(
    client_for, alice, english, tree, flagged
):
    rating, _other = flagged
    client = client_for(alice)
    url = reverse("surveys:flag_list")
    assert str(rating.pk) in client.get(url + "?reason=spacing&month=2026-03").text
    assert str(rating.pk) not in client.get(url + "?reason=too_fast").text
    assert str(rating.pk) not in client.get(url + "?month=2026-02").text
    assert str(rating.pk) in client.get(url + f"?office={tree.office_a.pk}").text
    review(client, rating, "lifted", reason="A real citizen")
    assert str(rating.pk) not in client.get(url).text
    lifted = client.get(url + "?state=lifted").text
    assert str(rating.pk) in lifted and "Flag lifted by alice" in lifted
    assert "A real citizen" in lifted


def test_viewers_get_no_list(client_for, dora, carol):
    assert client_for(dora).get(reverse("surveys:flag_list")).status_code == 403
    assert client_for(carol).get(reverse("surveys:flag_list")).status_code == 403


def test_the_navigation_links_the_list_for_managers_only(client_for, alice, dora, english):
    link = f'href="{reverse("surveys:flag_list")}"'
    assert link in client_for(alice).get(reverse("reports:dashboard")).text
    assert link not in client_for(dora).get(reverse("reports:dashboard")).text


def test_the_report_shows_excluded_ratings_by_reason(client_for, alice, english, tree, flagged):
    kwargs = {"kind": "office", "pk": tree.office_a.pk, "month": "2026-03"}
    page = client_for(alice).get(reverse("reports:report", kwargs=kwargs)).text
    assert "Excluded as misuse, by reason" in page
    assert "Too close to another rating from the same kiosk" in page
    tables = client_for(alice).get(
        reverse("reports:export_tables", kwargs={**kwargs, "fmt": "xlsx"})
    )
    workbook = load_workbook(
        io.BytesIO(
            b"".join(tables.streaming_content)
            if hasattr(tables, "streaming_content")
            else tables.content
        )
    )
    sheet = next(s for s in workbook.worksheets if s.title.startswith("Excluded"))
    assert list(sheet.iter_rows(min_row=2, values_only=True)) == [
        ("Too close to another rating from the same kiosk", 1)
    ]
    pdf = client_for(alice).get(reverse("reports:export_pdf", kwargs=kwargs))
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Too close to another rating from the same kiosk" in text
