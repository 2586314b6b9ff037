"""Self-assessment, submission and appraisal through the pages: who may do what, and
the self-assessed and appraised figures kept apart."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from offices.models import AuditEvent
from reform.models import Assessment, Evidence, Score, Status
from tests.reform.conftest import criteria, score_all

pytestmark = pytest.mark.django_db


def url(name, criteria_set, unit):
    return reverse(f"reform:{name}", args=[criteria_set.pk, unit.pk])


def own_values(par_set, **values) -> dict:
    c = criteria(par_set)
    data = {}
    for code, value in values.items():
        data[f"value_{c[code.replace('_', '.')].pk}"] = value
    return data


def test_a_manager_saves_the_self_assessment_with_evidence(client_for, alice, tree, par_set):
    c = criteria(par_set)
    data = own_values(par_set, **{"1_1": "1", "1_2": "96.5", "2_1": "72"})
    data[f"note_{c['1.1'].pk}"] = "Kế hoạch số 12/KH-UBND ngày 05/01"
    response = client_for(alice).post(url("self_assess", par_set, tree.ward_a), data)
    assert response.status_code == 302
    assessment = Assessment.objects.get(criteria_set=par_set, unit=tree.ward_a)
    assert assessment.status == Status.DRAFT
    scores = {s.criterion.code: s for s in assessment.scores.select_related("criterion")}
    assert scores["1.2"].self_value == Decimal("96.5") and scores["1.2"].appraised_value is None
    assert scores["1.1"].evidence_note.startswith("Kế hoạch số 12")
    assert AuditEvent.objects.filter(action="reform.self_assess", user=alice).exists()
    page = client_for(alice).get(url("assessment", par_set, tree.ward_a)).content.decode()
    assert "Kế hoạch số 12/KH-UBND" in page and "96.5" in page


def test_a_bad_figure_is_refused_and_changes_nothing(client_for, alice, tree, par_set):
    data = own_values(par_set, **{"1_2": "-3", "2_1": "72"})
    response = client_for(alice).post(url("self_assess", par_set, tree.ward_a), data)
    assert response.status_code == 400
    assert not Score.objects.exists()


def test_only_the_units_own_managers_self_assess(client_for, dora, bob, tree, par_set):
    data = own_values(par_set, **{"1_1": "1"})
    assert client_for(dora).post(url("self_assess", par_set, tree.ward_a), data).status_code == 403
    assert client_for(bob).post(url("self_assess", par_set, tree.ward_a), data).status_code == 404
    assert not Score.objects.exists()


def test_submission_needs_the_units_admin_and_every_figure(
    client_for, alice, hank, tree, par_set, assessment_a
):
    assert client_for(alice).post(url("submit", par_set, tree.ward_a)).status_code == 403
    score_all(assessment_a, {"1.1": "1", "1.2": "90"})
    response = client_for(hank).post(url("submit", par_set, tree.ward_a))
    assert response.status_code == 400  # 1.3.1, 1.3.2 and 2.1 have no figure
    assert "1.3.1" in response.content.decode()
    score_all(assessment_a, {"1.3.1": "1", "1.3.2": "1", "2.1": "60"})
    assert client_for(hank).post(url("submit", par_set, tree.ward_a)).status_code == 302
    assessment_a.refresh_from_db()
    assert assessment_a.status == Status.SUBMITTED and assessment_a.submitted_by == hank
    # After submission the self-assessment no longer changes.
    data = own_values(par_set, **{"1_1": "0"})
    assert client_for(alice).post(url("self_assess", par_set, tree.ward_a), data).status_code == 409
    assert assessment_a.scores.get(criterion__code="1.1").self_value == Decimal(1)


@pytest.fixture
def submitted(assessment_a):
    score_all(assessment_a, {"1.1": "1", "1.2": "96", "1.3.1": "1", "1.3.2": "1.5", "2.1": "72"})
    assessment_a.status = Status.SUBMITTED
    assessment_a.save()
    return assessment_a


def test_the_appraiser_adjusts_with_a_reason_and_both_figures_are_kept(
    client_for, vera, tree, par_set, submitted
):
    c = criteria(par_set)
    data = own_values(par_set, **{"1_2": "85"})
    data[f"reason_{c['1.2'].pk}"] = "Báo cáo quý IV cho thấy 85 %"
    response = client_for(vera).post(url("appraise", par_set, tree.ward_a), data)
    assert response.status_code == 302
    score = submitted.scores.get(criterion__code="1.2")
    assert score.self_value == Decimal(96) and score.appraised_value == Decimal(85)
    assert score.appraisal_reason == "Báo cáo quý IV cho thấy 85 %" and score.appraised_by == vera
    untouched = submitted.scores.get(criterion__code="1.1")
    assert untouched.appraised_value is None and untouched.final_value == Decimal(1)
    page = client_for(vera).get(url("assessment", par_set, tree.ward_a)).content.decode()
    # Self-assessed area 1: 2 + 3 + 2 = 7 → 5; after appraisal 1.2 gives 1: 2 + 1 + 2 = 5 still;
    # area 2 (without the survey criterion): 5.40 on both sides.
    assert "10,40 / 15,00" in page  # Vietnamese decimal comma
    response = client_for(vera).post(url("finish_appraisal", par_set, tree.ward_a))
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Status.APPRAISED and submitted.appraised_by == vera
    assert client_for(vera).post(url("appraise", par_set, tree.ward_a), data).status_code == 409


def test_a_change_without_a_reason_is_refused(client_for, vera, tree, par_set, submitted):
    data = own_values(par_set, **{"1_2": "85"})
    response = client_for(vera).post(url("appraise", par_set, tree.ward_a), data)
    assert response.status_code == 400
    assert "Give the reason" in response.content.decode() or "lý do" in response.content.decode()
    assert submitted.scores.get(criterion__code="1.2").appraised_value is None


def test_a_manager_of_ward_a_cannot_appraise(client_for, alice, hank, tree, par_set, submitted):
    c = criteria(par_set)
    data = own_values(par_set, **{"1_2": "100"}) | {f"reason_{c['1.2'].pk}": "tự chấm"}
    for user in (alice, hank):
        assert client_for(user).post(url("appraise", par_set, tree.ward_a), data).status_code == 403
        assert (
            client_for(user).post(url("finish_appraisal", par_set, tree.ward_a)).status_code == 403
        )
    assert submitted.scores.get(criterion__code="1.2").appraised_value is None


def test_an_appraiser_of_district_b_sees_nothing_of_district_a(
    client_for, yuri, tree, par_set, submitted
):
    client = client_for(yuri)
    assert client.get(url("assessment", par_set, tree.ward_a)).status_code == 404
    assert client.post(url("appraise", par_set, tree.ward_a), {}).status_code == 404
    assert client.get(reverse("reports:reform_unit", args=[tree.ward_a.pk])).status_code == 404
    assert tree.ward_a.name not in client.get(reverse("reform:home")).content.decode()


def test_an_appraiser_reads_the_units_below_but_not_their_ratings(
    client_for, vera, tree, par_set, submitted
):
    page = client_for(vera).get(reverse("reports:reform_unit", args=[tree.ward_a.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert tree.ward_a.name in body


def test_evidence_is_private_to_the_scope(
    client_for, alice, dora, bob, yuri, tree, par_set, private_root
):
    c = criteria(par_set)
    upload = SimpleUploadedFile("bien-ban.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")
    response = client_for(alice).post(
        url("upload_evidence", par_set, tree.ward_a), {"criterion": c["1.1"].pk, "file": upload}
    )
    assert response.status_code == 302
    item = Evidence.objects.get()
    path = item.file.path
    assert path.startswith(str(private_root)) and "media" not in path
    with pytest.raises(ValueError):
        _ = item.file.url  # no public address at all
    download = client_for(dora).get(reverse("reform:evidence", args=[item.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    for outsider in (bob, yuri):
        assert (
            client_for(outsider).get(reverse("reform:evidence", args=[item.pk])).status_code == 404
        )


def test_evidence_is_served_as_every_private_file_is(
    client_for, alice, dora, tree, par_set, private_root, settings
):
    """The shared private storage and serve_private: nginx sends the bytes when X-Accel
    is configured, and a file gone from the disk is a 404 that no audit calls a download."""
    c = criteria(par_set)
    upload = SimpleUploadedFile("bien-ban.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")
    client_for(alice).post(
        url("upload_evidence", par_set, tree.ward_a), {"criterion": c["1.1"].pk, "file": upload}
    )
    item = Evidence.objects.get()
    settings.PRIVATE_FILES_X_ACCEL_PREFIX = "/_private/"
    download = client_for(dora).get(reverse("reform:evidence", args=[item.pk]))
    assert download.status_code == 200 and download.content == b""
    assert download["X-Accel-Redirect"] == f"/_private/{item.file.name}"
    assert "bien-ban" in download["Content-Disposition"]
    assert "attachment" in download["Content-Disposition"]

    settings.PRIVATE_FILES_X_ACCEL_PREFIX = ""
    Path(item.file.path).unlink()
    downloads = AuditEvent.objects.filter(action="reform.evidence.download")
    before = downloads.count()
    assert client_for(dora).get(reverse("reform:evidence", args=[item.pk])).status_code == 404
    assert downloads.count() == before


def test_evidence_of_a_refused_kind_is_not_stored(client_for, alice, tree, par_set, private_root):
    c = criteria(par_set)
    upload = SimpleUploadedFile("run.exe", b"MZ", "application/octet-stream")
    response = client_for(alice).post(
        url("upload_evidence", par_set, tree.ward_a), {"criterion": c["1.1"].pk, "file": upload}
    )
    assert response.status_code == 400
    assert not Evidence.objects.exists()
