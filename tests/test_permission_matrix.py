"""Every URL of the project (the Django admin aside) × every persona → the expected status.

The objects addressed all belong to ward A (Nghĩa Tân) or its office. A URL added to
the project without an entry here fails `test_every_url_pattern_is_in_the_matrix`, so
nobody can add a page without saying who may open it.
"""

from __future__ import annotations

import json
from datetime import date
from http.cookies import SimpleCookie
from importlib import import_module

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver

from inspections.models import Inspection
from offices.models import Kiosk
from reform.models import Assessment, CriteriaSet, Evidence
from reports.models import Alert, AlertRule
from suggestions.models import Suggestion
from surveys.tokens import Receipt
from tests.factories import QuestionFactory, make_response, survey_version

PERSONAS = ["anonymous", "alice", "bob", "dora", "carol", "ivan", "admin"]

# Reusable rows: the status each persona gets.
PUBLIC = dict.fromkeys(PERSONAS, 200)
#   Read in ward A's scope: alice (ward A), dora (district over A), carol (city), admin.
#   ivan, an inspector over ward A's district without a membership, reads no report.
READ_A = {
    "anonymous": 302,
    "alice": 200,
    "bob": 404,
    "dora": 200,
    "carol": 200,
    "ivan": 404,
    "admin": 200,
}
#   Pages listing the user's own scope: every logged-in official gets a page.
OWN_SCOPE = {"anonymous": 302, **dict.fromkeys(PERSONAS[1:], 200)}
#   A manager's action on ward A (POST): viewers dora and carol may read but not act.
ACT_A = {
    "anonymous": 302,
    "alice": 302,
    "bob": 404,
    "dora": 403,
    "carol": 403,
    "ivan": 404,
    "admin": 302,
}
#   The same on a suggestion another official already closed: 409, nothing changes.
ACT_A_AFTER_CLOSE = {**ACT_A, "admin": 409}
#   An empty reply is refused as invalid (400) for those who may reply.
REPLY_A = {**ACT_A, "alice": 400, "admin": 400}
#   A browser that is not an enrolled kiosk gets the "not enrolled" page (403).
NOT_A_KIOSK = dict.fromkeys(PERSONAS, 403)
#   The "sent" page shows a code only to the browser that just sent it; others go to tracking.
SENT_ELSEWHERE = dict.fromkeys(PERSONAS, 302)
#   The admins' kiosk preview: the admin role over an office the survey applies to;
#   officials without it get 404 (as outside their scope), anonymous the login page.
ADMIN_ROLE = {**dict.fromkeys(PERSONAS, 404), "anonymous": 302, "admin": 200}
#   Receipt codes (one rating each): managers of the office mint them, viewers may not.
MINT_A = {**READ_A, "dora": 403, "carol": 403}
#   Kiosk API without a device credential: refused whoever is logged in.
KIOSK_API = dict.fromkeys(PERSONAS, 401)
#   Inspections: readers in scope (members and ivan, who inspects the district over A);
#   recording needs an Inspector entry: ivan's, or the superuser.
READ_INSPECTION_A = {**READ_A, "ivan": 200}
INSPECT_A = {
    "anonymous": 302,
    "alice": 403,
    "bob": 404,
    "dora": 403,
    "carol": 403,
    "ivan": 200,
    "admin": 200,
}
#   ivan deletes the case first (personas run in order), so it is gone (404) for admin.
INSPECT_DELETE = {**INSPECT_A, "ivan": 302, "admin": 404}
INSPECT_NEW = {**dict.fromkeys(PERSONAS, 403), "anonymous": 302, "ivan": 200, "admin": 200}
#   An officer's own counter session: only a login linked to a staff member (alice is
#   Lan's login here); everyone else is told their login is not an officer's (403).
OFFICER = {**dict.fromkeys(PERSONAS, 403), "anonymous": 302, "alice": 200}
OFFICER_ACT = {**OFFICER, "alice": 302}
#   The integration API answers a session (however privileged) 401: it takes API tokens only
#   (their scope is tested in tests/api/). Its schema and docs are public.
API_TOKEN_ONLY = dict.fromkeys(PERSONAS, 401)
NOT_FOUND = dict.fromkeys(PERSONAS, 404)
#   The before/after satisfaction page needs a unit membership; the superuser picks any.
MEMBERS = {"anonymous": 302, **dict.fromkeys(PERSONAS[1:], 200)}
#   PAR INDEX: ward A's own managers self-assess (alice), its admin submits (nobody here but
#   the superuser); appraisal needs an Appraiser entry above the unit (the superuser only),
#   and only once submitted (409 before); after submission the self-assessment is closed.
SUBMIT_A = {
    "anonymous": 302,
    "alice": 403,
    "bob": 404,
    "dora": 403,
    "carol": 403,
    "ivan": 404,
    "admin": 302,
}
APPRAISE_A = {**SUBMIT_A, "admin": 409}
AFTER_SUBMIT_A = {**APPRAISE_A, "alice": 409}
SET_IMPORT = {**INSPECT_NEW, "ivan": 403}  # an inspector is no superuser
#   Flagged ratings: managers review their subtree's (bob's is empty); viewers and ivan
#   manage nothing (403). A review without a reason is refused as invalid (400).
MANAGERS = {**dict.fromkeys(PERSONAS, 403), "anonymous": 302, "alice": 200, "bob": 200}
MANAGERS["admin"] = 200


# The smallest valid PNG (1×1): a staff photo must be an image.
_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def expected_matrix() -> dict[str, tuple[str, str, dict]]:
    """URL name → (method, url template, statuses). `{…}` are filled from `objects`."""
    month = "{month}"
    return {
        "home": ("GET", "/", PUBLIC),
        "healthz": ("GET", "/healthz", PUBLIC),
        "privacy": ("GET", "/privacy/", PUBLIC),
        "login": ("GET", "/accounts/login/", {**PUBLIC, **dict.fromkeys(PERSONAS[1:], 302)}),
        "logout": ("POST", "/accounts/logout/", dict.fromkeys(PERSONAS, 302)),
        "set_language": ("POST", "/i18n/setlang/", dict.fromkeys(PERSONAS, 302)),
        "password_change": ("GET", "/accounts/password/change/", OWN_SCOPE),
        # The second factor: one's own authenticator; without one, verify sends to setup.
        "otp_setup": ("GET", "/accounts/2fa/setup/", OWN_SCOPE),
        "otp_verify": ("GET", "/accounts/2fa/verify/", dict.fromkeys(PERSONAS, 302)),
        "password_change_done": ("GET", "/accounts/password/change/done/", OWN_SCOPE),
        "password_reset": ("GET", "/accounts/password/reset/", PUBLIC),
        "password_reset_done": ("GET", "/accounts/password/reset/sent/", PUBLIC),
        # A forged link shows "not valid" (200), never a form.
        "password_reset_confirm": ("GET", "/accounts/password/reset/MQ/forged-token/", PUBLIC),
        "password_reset_complete": ("GET", "/accounts/password/reset/complete/", PUBLIC),
        # offices
        "offices:my_offices": ("GET", "/offices/", OWN_SCOPE),
        "offices:office_detail": ("GET", "/offices/{office}/", READ_A),
        "offices:serving": ("GET", "/offices/serving/", OFFICER),
        "offices:stop_serving": ("POST", "/offices/serving/stop/", OFFICER_ACT),
        # A staff photo (private): officials over the office, and the office's kiosk
        # (tests/offices/test_staff_photos.py); no login page, nothing revealed (404).
        "offices:staff_photo": (
            "GET",
            "/offices/staff/{staff}/photo/",
            {**READ_A, "anonymous": 404},
        ),
        # reports
        # ivan holds no unit membership: no report scope ("no scope" page, 404).
        "reports:dashboard": ("GET", "/reports/", {**OWN_SCOPE, "ivan": 404}),
        "reports:pick": ("GET", "/reports/monthly/", OWN_SCOPE),
        "reports:method": ("GET", "/reports/method/", PUBLIC),
        "reports:import_dossiers": (
            "GET",
            "/reports/dossiers/import/",
            {
                **dict.fromkeys(PERSONAS, 403),
                "anonymous": 302,
                "alice": 200,
                "bob": 200,
                "admin": 200,
            },
        ),
        "reports:report": ("GET", f"/reports/office/{{office}}/{month}/", READ_A),
        "reports:comments": ("GET", f"/reports/office/{{office}}/{month}/comments/", READ_A),
        "reports:export_tables": ("GET", f"/reports/office/{{office}}/{month}/tables.csv", READ_A),
        "reports:export_responses": (
            "GET",
            f"/reports/office/{{office}}/{month}/responses.csv",
            READ_A,
        ),
        "reports:export_pdf": ("GET", f"/reports/office/{{office}}/{month}/report.pdf", READ_A),
        "reports:hide_comment": ("POST", "/reports/comments/{comment}/visibility/", ACT_A),
        # Without a membership there is no unit to choose: the form is refused (400).
        "reports:inspections": ("GET", "/reports/inspections/", {**MEMBERS, "ivan": 400}),
        # alerts: the list of the user's scope, one alert, acknowledging it (managers; an
        # empty comment is refused as invalid for those who may acknowledge)
        "alerts:list": ("GET", "/alerts/", OWN_SCOPE),
        "alerts:detail": ("GET", "/alerts/{alert}/", READ_A),
        "alerts:acknowledge": ("POST", "/alerts/{alert}/acknowledge/", REPLY_A),
        "reports:reform_ranking": ("GET", "/reports/reform/", MEMBERS),
        # ivan holds no unit membership: no PAR INDEX scope to export (404).
        "reports:reform_ranking_export": (
            "GET",
            "/reports/reform/ranking.csv",
            {**OWN_SCOPE, "ivan": 404},
        ),
        "reports:reform_unit": ("GET", "/reports/reform/unit/{ward}/", READ_A),
        "reports:reform_unit_export": ("GET", "/reports/reform/unit/{ward}/tables.xlsx", READ_A),
        "reports:reform_unit_pdf": ("GET", "/reports/reform/unit/{ward}/report.pdf", READ_A),
        # suggestions: citizens
        "suggestions:new": ("GET", "/suggestions/new/?office={office}", PUBLIC),
        "suggestions:sent": ("GET", "/suggestions/sent/{code}/", SENT_ELSEWHERE),
        "suggestions:track": ("GET", "/suggestions/track/", PUBLIC),
        "suggestions:status": ("GET", "/suggestions/track/{code}/", PUBLIC),
        "suggestions:boards": ("GET", "/suggestions/boards/", PUBLIC),
        "suggestions:board": ("GET", "/suggestions/boards/{office}/", PUBLIC),
        # suggestions: officials
        "suggestions:list": ("GET", "/suggestions/", OWN_SCOPE),
        "suggestions:detail": ("GET", "/suggestions/{suggestion}/", READ_A),
        "suggestions:mark_seen": ("POST", "/suggestions/{suggestion}/seen/", ACT_A),
        "suggestions:reply": ("POST", "/suggestions/{suggestion}/reply/", REPLY_A),
        "suggestions:assign": ("POST", "/suggestions/{suggestion}/assign/", ACT_A),
        "suggestions:publish": ("POST", "/suggestions/{suggestion}/publish/", ACT_A),
        "suggestions:close": ("POST", "/suggestions/{suggestion}/close/", ACT_A_AFTER_CLOSE),
        # inspections
        "inspections:register": ("GET", "/inspections/", OWN_SCOPE),
        "inspections:create": ("GET", "/inspections/new/", INSPECT_NEW),
        "inspections:report": ("GET", "/inspections/report/", OWN_SCOPE),
        "inspections:export_register": ("GET", "/inspections/export/register.csv", OWN_SCOPE),
        "inspections:export_counts": ("GET", "/inspections/export/counts.csv", OWN_SCOPE),
        "inspections:detail": ("GET", "/inspections/{inspection}/", READ_INSPECTION_A),
        "inspections:edit": ("GET", "/inspections/{inspection}/edit/", INSPECT_A),
        "inspections:attachment": (
            "GET",
            "/inspections/{inspection}/attachment/",
            READ_INSPECTION_A,
        ),
        "inspections:case_create": ("GET", "/inspections/{inspection}/cases/new/", INSPECT_A),
        "inspections:case_edit": (
            "GET",
            "/inspections/{inspection}/cases/{case}/edit/",
            INSPECT_A,
        ),
        "inspections:case_delete": (
            "POST",
            "/inspections/{inspection}/cases/{case}/delete/",
            INSPECT_DELETE,
        ),
        # the public transparency board (office A opted in)
        "board:board": ("GET", "/board/{office}/", PUBLIC),
        "board:poster": ("GET", "/board/{office}/poster/", PUBLIC),
        # integration API
        "api:api-root": ("GET", "/api/v1/", NOT_FOUND),
        "api:openapi-json": ("GET", "/api/v1/schema/", PUBLIC),
        "api:openapi-view": ("GET", "/api/v1/docs/", PUBLIC),
        "api:units": ("GET", "/api/v1/units/", API_TOKEN_ONLY),
        "api:offices": ("GET", "/api/v1/offices/", API_TOKEN_ONLY),
        "api:figures_offices": ("GET", "/api/v1/figures/offices/", API_TOKEN_ONLY),
        "api:figures_units": ("GET", "/api/v1/figures/units/", API_TOKEN_ONLY),
        "api:figures_desks": ("GET", "/api/v1/figures/desks/?office={office}", API_TOKEN_ONLY),
        "api:figures_officers": (
            "GET",
            "/api/v1/figures/officers/?office={office}",
            API_TOKEN_ONLY,
        ),
        "api:dossiers": ("POST", "/api/v1/dossiers/", API_TOKEN_ONLY),
        "api:ratings": ("POST", "/api/v1/ratings/", API_TOKEN_ONLY),
        "api:event_service_started": (
            "POST",
            "/api/v1/events/service-started/",
            API_TOKEN_ONLY,
        ),
        "api:event_service_stopped": (
            "POST",
            "/api/v1/events/service-stopped/",
            API_TOKEN_ONLY,
        ),
        "api:event_dossier_returned": (
            "POST",
            "/api/v1/events/dossier-returned/",
            API_TOKEN_ONLY,
        ),
        # reform (PAR INDEX)
        "reform:home": ("GET", "/reform/", OWN_SCOPE),
        "reform:method": ("GET", "/reform/method/", PUBLIC),
        "reform:set_import": ("GET", "/reform/sets/import/", SET_IMPORT),
        "reform:set_export": (
            "GET",
            "/reform/sets/{par_set}/criteria.xlsx",
            {**OWN_SCOPE, "ivan": 404},
        ),
        "reform:assessment": ("GET", "/reform/sets/{par_set}/units/{ward}/", READ_A),
        "reform:self_assess": ("POST", "/reform/sets/{par_set}/units/{ward}/self/", ACT_A),
        "reform:upload_evidence": (
            "POST",
            "/reform/sets/{par_set}/units/{ward}/evidence/",
            AFTER_SUBMIT_A,
        ),
        "reform:submit": ("POST", "/reform/sets/{par_set}/units/{ward}/submit/", SUBMIT_A),
        "reform:appraise": ("POST", "/reform/sets/{par_set}/units/{ward}/appraise/", APPRAISE_A),
        "reform:finish_appraisal": (
            "POST",
            "/reform/sets/{par_set}/units/{ward}/appraise/finish/",
            APPRAISE_A,
        ),
        "reform:evidence": ("GET", "/reform/evidence/{evidence}/", READ_A),
        # surveys: kiosk
        "surveys:kiosk": ("GET", "/kiosk/", NOT_A_KIOSK),
        "surveys:kiosk_sw": ("GET", "/kiosk/sw.js", PUBLIC),
        "surveys:kiosk_enrol": ("GET", "/kiosk/enrol/{enrol_token}/", PUBLIC),
        "surveys:kiosk_api_rating": ("POST", "/kiosk/api/ratings/", KIOSK_API),
        "surveys:kiosk_api_heartbeat": ("POST", "/kiosk/api/heartbeat/", KIOSK_API),
        "surveys:kiosk_api_session": ("POST", "/kiosk/api/session/", KIOSK_API),
        "surveys:kiosk_preview": ("GET", "/kiosk/preview/{version}/", ADMIN_ROLE),
        # surveys: own phone
        "surveys:choose_office": ("GET", "/r/", PUBLIC),
        "surveys:thanks": ("GET", "/r/thanks/", PUBLIC),
        "surveys:rate_receipt": ("GET", "/r/receipt/{receipt}/", PUBLIC),
        "surveys:rate": ("GET", "/r/{office}/", PUBLIC),
        "surveys:rate_desk": ("GET", "/r/{office}/desk/{desk}/", PUBLIC),
        # surveys: officials' posters
        "surveys:office_poster": ("GET", "/qr/office/{office}/", READ_A),
        "surveys:desk_poster": ("GET", "/qr/desk/{desk}/", READ_A),
        "surveys:receipt_qr": ("GET", "/qr/office/{office}/receipt/", MINT_A),
        # surveys: managers review flagged ratings
        "surveys:flag_list": ("GET", "/flags/", MANAGERS),
        "surveys:flag_review": ("POST", "/flags/{flagged}/review/", REPLY_A),
    }


def url_names() -> set[str]:
    """Every named URL pattern outside the Django admin and the media files."""

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or namespace
                if inner != "admin":
                    yield from walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name

    return set(walk(get_resolver().url_patterns, None))


@pytest.fixture
def objects(tree, alice, bob, dora, carol, ivan, admin_user, settings, tmp_path):
    """One object of each kind in ward A, for the URLs to address."""
    settings.MEDIA_ROOT = tmp_path
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"  # attachments and evidence
    tree.office_a.public_board = True
    tree.office_a.transparency_board = True
    tree.office_a.save(update_fields=["public_board", "transparency_board"])
    version = survey_version(tree.city, [QuestionFactory(code="overall")])
    comment_q = QuestionFactory(code="comment", kind="text", factor="")
    question = version.ordered_items()[0].question
    response = make_response(version, tree.office_a, {question: 5, comment_q: "Tốt"})
    flagged = make_response(version, tree.office_a, {question: 1}, misuse=True)
    suggestion = Suggestion(office=tree.office_a, category="other", text="Cần thêm ghế chờ.")
    suggestion.save()
    inspection = Inspection.objects.create(
        unit=tree.ward_a,
        office=tree.office_a,
        inspecting_body="Thanh tra thành phố",
        inspecting_level="city",
        kind="surprise",
        date=date(2026, 3, 2),
        scope="Kỷ luật hành chính",
    )
    inspection.attachment.save("bien-ban.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"))
    case = inspection.cases.create(
        person="Nguyễn Văn A", breach="Đi muộn", measure="reprimand", date=date(2026, 3, 2)
    )
    kiosk = Kiosk.objects.create(office=tree.office_a, name="Kiosk 1")
    alert = Alert.objects.create(
        rule=AlertRule.LOW_STREAK,
        subject_key=f"office:{tree.office_a.pk}",
        office=tree.office_a,
        detail={"n": 5},
    )
    tree.staff_a.user = alice
    tree.staff_a.save(update_fields=["user"])
    tree.staff_a.photo.save("lan.png", ContentFile(_PNG))
    par_set = CriteriaSet.objects.create(issuer=tree.city, year=2025, level="commune", name="PAR")
    area = par_set.areas.create(code="1", name="Chỉ đạo", max_points=2)
    criterion = area.criteria.create(code="1.1", name="Kế hoạch", max_points=2, rule="yesno")
    assessment = Assessment.start(par_set, tree.ward_a)
    assessment.scores.create(criterion=criterion, self_value=1)
    evidence = Evidence(assessment=assessment, criterion=criterion)
    evidence.file.save("ke-hoach.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"))
    return {
        "office": tree.office_a.pk,
        "desk": tree.desk_a.pk,
        "staff": tree.staff_a.pk,
        "month": response.local_day().strftime("%Y-%m"),
        "comment": response.answers.get(question=comment_q).pk,
        "suggestion": suggestion.pk,
        "alert": alert.pk,
        "code": suggestion.code,
        "inspection": inspection.pk,
        "case": case.pk,
        "version": version.pk,
        "flagged": flagged.pk,
        "ward": tree.ward_a.pk,
        "par_set": par_set.pk,
        "evidence": evidence.pk,
        "enrol_token": kiosk.issue_enrolment_token(),
        "receipt": Receipt(office_id=tree.office_a.pk, dossier_code="HS-2026-001").dumps(),
        "personas": {
            "anonymous": None,
            "alice": alice,
            "bob": bob,
            "dora": dora,
            "carol": carol,
            "ivan": ivan,
            "admin": admin_user,
        },
    }


def test_every_url_pattern_is_in_the_matrix(db):
    missing = url_names() - set(expected_matrix())
    stale = set(expected_matrix()) - url_names()
    assert not missing, f"URLs without an access rule in the matrix: {sorted(missing)}"
    assert not stale, f"Matrix entries for URLs that no longer exist: {sorted(stale)}"


SHARDS = 4


def shard_of_namespace() -> dict[str, int]:
    """The URL namespaces dealt out to SHARDS tests, the biggest first, each to the shard
    with the fewest URLs so far. A namespace stays whole: its POSTs change what its own
    later URLs see, in the order below, as they did in one test."""
    sizes: dict[str, int] = {}
    for name in expected_matrix():
        namespace = name.partition(":")[0] if ":" in name else ""
        sizes[namespace] = sizes.get(namespace, 0) + 1
    load, shards = [0] * SHARDS, {}
    for namespace, size in sorted(sizes.items(), key=lambda item: (-item[1], item[0])):
        lightest = load.index(min(load))
        shards[namespace] = lightest
        load[lightest] += size
    return shards


def _sessions_after_login(client, personas: dict) -> dict[str, dict | None]:
    """What a real login leaves in a new session, for each persona (None: anonymous)."""
    sessions = {}
    for persona in PERSONAS:
        client.logout()
        if personas[persona] is None:
            sessions[persona] = None
            continue
        client.force_login(personas[persona])
        sessions[persona] = dict(client.session.items())
    client.logout()
    return sessions


def _fresh_as(client, session_data: dict | None) -> None:
    """The client as right after `logout()` and then `force_login()`: no cookies, and a new
    session holding what the login left. Each request starts so, independent of the ones
    before; logging in again for each of them cost a fifth of the matrix's time."""
    client.cookies = SimpleCookie()
    if session_data is None:
        return
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session.update(session_data)
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.parametrize("shard", range(SHARDS))
def test_every_url_as_every_persona(client, objects, settings, shard):
    """In shards, each on its own objects, so parallel workers share the requests."""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"  # no write per login
    mismatches, checked = [], 0
    shards = shard_of_namespace()
    # Deletions last, so the other URLs still find the object they address.
    rows = sorted(
        (
            (name, row)
            for name, row in expected_matrix().items()
            if shards[name.partition(":")[0] if ":" in name else ""] == shard
        ),
        key=lambda row: ("delete" in row[0], row[0]),
    )
    assert rows
    signed_in = _sessions_after_login(client, objects["personas"])
    for name, (method, template, statuses) in rows:
        url = template.format(**objects)
        for persona in PERSONAS:
            cache.clear()  # rate limits of the public pages count per address
            _fresh_as(client, signed_in[persona])
            response = client.post(url) if method == "POST" else client.get(url)
            checked += 1
            if response.status_code != statuses[persona]:
                mismatches.append((name, persona, statuses[persona], response.status_code))
    print(f"\npermission matrix, shard {shard + 1} of {SHARDS}: {len(rows)} URLs × {len(PERSONAS)}")
    assert not mismatches, json.dumps(mismatches, indent=1)
