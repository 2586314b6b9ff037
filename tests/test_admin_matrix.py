"""Every Django admin URL × every persona → the expected status, and no other ward's names.

For each registered ModelAdmin: its changelist, add, change, delete and history pages,
its own extra URLs, each of its actions, and each autocomplete field of it and its
inlines, addressed at an object of ward A (Nghĩa Tân). Personas: the admins of ward A,
of ward B and of the district over A, the manager and the viewer of ward A, a
superuser and anonymous. A ModelAdmin registered without an entry here fails
`test_every_model_admin_is_in_the_matrix`, so nobody adds one without saying who may
open it; one without the scoping mixin fails `test_every_model_admin_is_scoped`.

On every page that answers 200 to an admin, the names of the wards outside their
subtree must not appear.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_q.models import Failure, OrmQ, Schedule, Success

from inspections.models import Inspection, Inspector
from offices.admin_scope import NONE, ScopedAdmin
from offices.models import (
    ApiClient,
    AuditEvent,
    CounterSession,
    DossierCount,
    Kiosk,
    ProcedureField,
    Role,
)
from reports.models import Alert, AlertSettings, ReportDelivery
from scheduling.models import JobRun
from suggestions.models import SeenStamp, Suggestion
from surveys.models import FlagReview, RefusedSubmission, Response
from tests.factories import (
    ChoiceFactory,
    DeskFactory,
    MembershipFactory,
    QuestionFactory,
    StaffFactory,
    UserFactory,
    make_response,
    survey_version,
)

PERSONAS = ["anonymous", "admin_a", "admin_b", "admin_district", "manager_a", "viewer_a", "super"]
ADMINS = ["admin_a", "admin_b", "admin_district"]
# Names of ward A's, ward B's and ward C's things (units, offices, kiosks, staff, officials):
# on a 200 page a persona must not see those outside their subtree.
NAMES_A = [
    "Phường Nghĩa Tân",
    "Một cửa Nghĩa Tân",
    "Quận Cầu Giấy",
    "Kiosk Nghĩa Tân",
    "Nguyễn Thị Lan",
    "Hàng đợi Nghĩa Tân",
    "clerk_a",
]
NAMES_B = [
    "Phường Mỹ Đình 1",
    "Một cửa Mỹ Đình 1",
    "Quận Nam Từ Liêm",
    "Kiosk Mỹ Đình",
    "Trần Mỹ Đình",
    "Quầy Mỹ Đình",
    "Mỹ Đình cần quạt",
    "clerk_b",
]
NAMES_C = ["Phường Ba Đình", "Trung tâm HCC Ba Đình"]
FOREIGN = {
    "admin_a": NAMES_B + NAMES_C,
    "admin_district": NAMES_B + NAMES_C,
    "admin_b": NAMES_A + NAMES_C,
}


def row(admins, super_=200, *, b=None, a=None):
    """Statuses: managers, viewers and anonymous are sent to the admin login (302)."""
    a = admins if a is None else a
    return {
        "anonymous": 302,
        "admin_a": a,
        "admin_b": admins if b is None else b,
        "admin_district": a,
        "manager_a": 302,
        "viewer_a": 302,
        "super": super_,
    }


@dataclass
class Entry:
    """Expected statuses of one ModelAdmin's pages; `obj` names an object of ward A."""

    obj: str
    changelist: dict
    add: dict
    change: dict
    delete: dict
    history: dict
    actions: dict = field(default_factory=dict)  # action name → statuses
    extra: dict = field(default_factory=dict)  # url name → (method, statuses)


def edit_in_scope(obj, **overrides) -> Entry:
    """Admins configure it in their subtree: ward B's admin gets 404 on ward A's object."""
    in_scope = row(200, b=404)
    values = dict(
        obj=obj,
        changelist=row(200),
        add=row(200),
        change=in_scope,
        delete=in_scope,
        history=in_scope,
        actions={"delete_selected": in_scope},
    )
    return Entry(**{**values, **overrides})


def read_in_scope(obj, **overrides) -> Entry:
    """Admins read it in their subtree; only superusers change it (if anybody)."""
    values = dict(
        obj=obj,
        changelist=row(200),
        add=row(403),
        change=row(200, b=404),
        delete=row(403, b=404),
        history=row(200, b=404),
        actions={"delete_selected": NOT_OFFERED},
    )
    return Entry(**{**values, **overrides})


def read_national(obj, **overrides) -> Entry:
    """A national list every admin reads; superusers change it."""
    values = dict(
        obj=obj,
        changelist=row(200),
        add=row(403),
        change=row(200),
        delete=row(403),
        history=row(200),
        actions={"delete_selected": NOT_OFFERED},
    )
    return Entry(**{**values, **overrides})


def superusers_only(obj, **overrides) -> Entry:
    values = dict(
        obj=obj,
        changelist=row(403),
        add=row(403),
        change=row(404),
        delete=row(404),
        history=row(404),
        actions={"delete_selected": row(403)},
    )
    return Entry(**{**values, **overrides})


NOBODY_ADDS = row(403, super_=403)
# An action the user is not offered is refused.
NOT_OFFERED = row(403)
IN_SCOPE = row(200, b=404)
DISTRICT_ONLY = {**row(200, b=404), "admin_a": 404}
# Offered to admins (they may delete in their subtree), refused on what lies above it.
ADMINS_REFUSED = {"delete_selected": row(403)}


def expected_matrix() -> dict[str, Entry]:
    return {
        "offices.administrativeunit": read_in_scope(
            "unit",
            extra={
                # An empty move is refused as invalid (a valid one needs change permission).
                "move": ("POST", row(400, super_=400)),
                "children": ("GET", row(200)),
                # treebeard's translation catalogue: public, like Django's own.
                "jsi18n": ("GET", dict.fromkeys(PERSONAS, 200)),
            },
        ),
        "offices.office": edit_in_scope("office"),
        "offices.desk": edit_in_scope("desk"),
        "offices.staffmember": edit_in_scope("staff"),
        "offices.procedurefield": read_national("procedure_field"),
        "offices.membership": edit_in_scope("membership"),
        "offices.dossiercount": edit_in_scope("dossier_count"),
        # Admins read their subtree's events; nobody changes one (history never changes).
        "offices.auditevent": read_in_scope(
            "audit_event", add=NOBODY_ADDS, delete=row(403, b=404, super_=403), actions={}
        ),
        "auth.user": edit_in_scope(
            "user",
            change=IN_SCOPE,  # read-only for admins (shown, not editable)
            delete=row(403, b=404),
            actions={"delete_selected": NOT_OFFERED},
            extra={"password": ("GET", row(403, b=404))},
        ),
        "auth.group": superusers_only("group"),
        "surveys.question": read_national("question", extra={"correct": ("GET", row(403))}),
        "surveys.survey": edit_in_scope("survey"),
        "surveys.surveyversion": edit_in_scope(
            "version",
            delete=row(403, b=404, super_=403),  # published: history never changes
            actions={
                "delete_selected": IN_SCOPE,
                "create_new_version": row(302, b=404, super_=302),
            },
            extra={
                "new_version": ("POST", row(302, b=404, super_=302)),
                "publish": ("POST", row(302, b=404, super_=302)),  # already published: refused
            },
        ),
        "surveys.response": read_in_scope(
            "response",
            add=NOBODY_ADDS,
            delete=row(403, b=404, super_=403),
            actions={"delete_selected": row(403, super_=403)},
        ),
        "offices.kiosk": edit_in_scope(
            "kiosk",
            actions={
                "delete_selected": IN_SCOPE,
                "rotate_credentials": IN_SCOPE,
                "revoke_credentials": row(302, b=404, super_=302),
            },
        ),
        "suggestions.suggestion": read_in_scope(
            "suggestion",
            add=NOBODY_ADDS,
            delete=row(403, b=404, super_=403),
            actions={"delete_selected": row(403, super_=403)},
        ),
        "suggestions.seenstamp": read_in_scope(
            "seen_stamp",
            add=NOBODY_ADDS,
            delete=row(403, b=404, super_=403),
            actions={"delete_selected": row(403, super_=403)},
        ),
        "offices.countersession": read_in_scope(
            "counter_session",
            add=NOBODY_ADDS,
            delete=row(403, b=404, super_=403),
            actions={"delete_selected": row(403, super_=403)},
        ),
        "surveys.refusedsubmission": read_in_scope(
            "refused_submission",
            add=NOBODY_ADDS,
            delete=row(403, b=404, super_=403),
            actions={"delete_selected": row(403, super_=403)},
        ),
        "surveys.flagreview": read_in_scope(
            "flag_review",
            add=NOBODY_ADDS,
            delete=row(403, b=404, super_=403),
            actions={"delete_selected": row(403, super_=403)},
        ),
        "inspections.inspector": superusers_only("inspector"),
        "offices.apiclient": edit_in_scope(
            "api_client",
            actions={
                "delete_selected": IN_SCOPE,
                "new_tokens": IN_SCOPE,
                "revoke_clients": row(302, b=404, super_=302),
            },
        ),
        "scheduling.jobrun": superusers_only("job_run", add=NOBODY_ADDS),
        "django_q.schedule": superusers_only("schedule"),
        "django_q.success": superusers_only(
            "task_success",
            add=NOBODY_ADDS,
            actions={"delete_selected": row(403), "resubmit_task": row(403, super_=302)},
        ),
        "django_q.failure": superusers_only(
            "task_failure",
            add=NOBODY_ADDS,
            actions={"delete_selected": row(403), "resubmit_task": row(403, super_=302)},
        ),
        "django_q.ormq": superusers_only("queued_task", add=NOBODY_ADDS),
        "reports.reportdelivery": read_in_scope("report_delivery", add=NOBODY_ADDS),
        "reports.alertsettings": edit_in_scope("alert_settings"),
        "reports.alert": read_in_scope("alert", add=NOBODY_ADDS),
        # The appraiser sits at the district: the ward's admin is below it.
        "reform.appraiser": edit_in_scope(
            "appraiser",
            change=DISTRICT_ONLY,
            delete=DISTRICT_ONLY,
            history=DISTRICT_ONLY,
            actions={"delete_selected": DISTRICT_ONLY},
        ),
        # Issued by the city, above every admin: read-only to them. Frozen once an
        # assessment uses it: nobody deletes it (history never changes).
        "reform.criteriaset": read_national(
            "criteria_set",
            add=row(200),
            delete=row(403, super_=403),
            actions={"delete_selected": row(403), "copy_to_next_year": row(403, super_=302)},
        ),
        "reform.criterion": read_national(
            "criterion", add=row(200), delete=row(403, super_=403), actions=ADMINS_REFUSED
        ),
        "reform.area": read_national(
            "area", add=row(200), delete=row(403, super_=403), actions=ADMINS_REFUSED
        ),
        "reform.assessment": read_in_scope(
            "assessment",
            add=NOBODY_ADDS,
            delete=row(403, b=404, super_=403),
            actions={"delete_selected": row(403, super_=403)},
        ),
        "reform.evidence": read_in_scope("evidence", add=NOBODY_ADDS),
        "otp_totp.totpdevice": superusers_only(
            "totp_device",
            # Device secrets are never shown (OTP_ADMIN_HIDE_SENSITIVE_DATA), to anybody.
            extra={
                "config": ("GET", row(403, super_=403)),
                "qrcode": ("GET", row(403, super_=403)),
            },
        ),
        "axes.accessattempt": superusers_only(
            "access_attempt",
            add=NOBODY_ADDS,
        ),
        "axes.accesslog": superusers_only("access_log", add=NOBODY_ADDS),
        "axes.accessfailurelog": superusers_only("access_failure_log", add=NOBODY_ADDS),
        "inspections.inspection": read_in_scope("inspection"),
    }


# Admin-site pages that belong to no ModelAdmin.
SITE_PAGES = {
    "admin:index": row(200),
    "admin:app_list:offices": row(200),
    "admin:app_list:surveys": row(200),
    "admin:app_list:auth": row(200),
}


@pytest.fixture
def world(tree, settings, tmp_path):
    """Ward A's objects to address, ward B's twins whose names must not leak."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    t = tree
    desk_b = DeskFactory(office=t.office_b, number="01", name="Quầy Mỹ Đình")
    StaffFactory(office=t.office_b, desk=desk_b, full_name="Trần Mỹ Đình")
    field_ = ProcedureField.objects.create(code="ho-tich", name="Hộ tịch")
    personas = {
        "anonymous": None,
        "admin_a": _member("admin_a", t.ward_a, Role.ADMIN),
        "admin_b": _member("admin_b", t.ward_b, Role.ADMIN),
        "admin_district": _member("admin_district", t.district_a, Role.ADMIN),
        "manager_a": _member("manager_a", t.ward_a, Role.MANAGER),
        "viewer_a": _member("viewer_a", t.ward_a, Role.VIEWER),
        "super": UserFactory(username="root", is_staff=True, is_superuser=True),
    }
    _member("clerk_b", t.ward_b, Role.VIEWER)
    official = _member("clerk_a", t.ward_a, Role.VIEWER)
    question = QuestionFactory(code="overall")
    ChoiceFactory(code="slow")
    core = survey_version(t.city, [question], code="core-hn")
    extension_a = survey_version(None, [question], code="ext-nt", office=t.office_a)
    survey_version(None, [question], code="ext-md", office=t.office_b)
    response = make_response(core, t.office_a, {question: 5})
    make_response(core, t.office_b, {question: 2})
    kiosk = Kiosk.objects.create(office=t.office_a, name="Kiosk Nghĩa Tân")
    Kiosk.objects.create(office=t.office_b, name="Kiosk Mỹ Đình")
    suggestion = Suggestion(office=t.office_a, category="other", text="Cần thêm ghế chờ.")
    suggestion.save()
    Suggestion(office=t.office_b, category="other", text="Mỹ Đình cần quạt.").save()
    stamp = SeenStamp.objects.create(
        suggestion=suggestion,
        user=personas["manager_a"],
        signer_name="Lê Văn Nghĩa Tân",
        role="manager",
        role_unit=t.ward_a.name,
    )
    now = timezone.now()
    session = CounterSession.objects.create(
        staff=t.staff_a,
        desk=t.desk_a,
        started_at=now,
        started_how="web",
        closes_at=now + timedelta(hours=8),
    )
    refused = RefusedSubmission.objects.create(kiosk=kiosk, code="bad_office", message="x")
    flag_review = FlagReview.objects.create(
        response=response, decision="confirmed", reason="x", reviewed_by=personas["manager_a"]
    )
    FlagReview.objects.create(
        response=Response.objects.get(office=t.office_b),
        decision="confirmed",
        reason="Mỹ Đình",
        reviewed_by=personas["manager_a"],
    )
    RefusedSubmission.objects.create(
        kiosk=Kiosk.objects.get(name="Kiosk Mỹ Đình"), code="bad_office", message="Mỹ Đình"
    )
    inspection = _inspection(t.ward_a, t.office_a)
    _inspection(t.ward_b, t.office_b)
    return {
        "personas": personas,
        "unit": t.ward_a,
        "office": t.office_a,
        "desk": t.desk_a,
        "staff": t.staff_a,
        "procedure_field": field_,
        "membership": official.memberships.get(),
        "dossier_count": DossierCount.objects.create(
            office=t.office_a, month=date(2026, 1, 1), dossiers_handled=10
        ),
        "audit_event": AuditEvent.record(None, "test.event", t.office_a),
        "user": official,
        "group": Group.objects.create(name="Nhóm Nghĩa Tân"),
        "question": question,
        "survey": extension_a.survey,
        "version": extension_a,
        "response": response,
        "kiosk": kiosk,
        "suggestion": suggestion,
        "seen_stamp": stamp,
        "inspector": Inspector.objects.create(user=official, unit=t.ward_a),
        "inspection": inspection,
        "counter_session": session,
        "refused_submission": refused,
        "flag_review": flag_review,
        "access_attempt": AccessAttempt.objects.create(
            username="clerk_a",
            ip_address="10.0.0.1",
            user_agent="x",
            failures_since_start=1,
            get_data="",
            post_data="",
            http_accept="",
            path_info="/",
        ),
        "access_log": AccessLog.objects.create(
            username="clerk_a", ip_address="10.0.0.1", user_agent="x", http_accept="", path_info="/"
        ),
        "access_failure_log": AccessFailureLog.objects.create(
            username="clerk_a",
            ip_address="10.0.0.1",
            user_agent="x",
            http_accept="",
            path_info="/",
            locked_out=False,
        ),
        "api_client": ApiClient.objects.create(name="Hàng đợi Nghĩa Tân", unit=t.ward_a),
        "job_run": JobRun.objects.create(job="monthly_reports", period="2026-01-01"),
        "schedule": Schedule.objects.create(name="nightly", func="time.time"),
        "task_success": Success.objects.create(
            id="t-ok", name="t-ok", func="time.time", started=now, stopped=now, success=True
        ),
        "task_failure": Failure.objects.create(
            id="t-ko", name="t-ko", func="time.time", started=now, stopped=now, success=False
        ),
        "queued_task": OrmQ.objects.create(key="default", payload="x"),
        "report_delivery": ReportDelivery.objects.create(
            office=t.office_a, month=date(2026, 1, 1), recipient="head@example.vn"
        ),
        "alert_settings": AlertSettings.objects.create(unit=t.ward_a),
        "alert": Alert.objects.create(rule="kiosk_silent", office=t.office_a, subject_key="k1"),
        "totp_device": TOTPDevice.objects.create(user=official, name="phone"),
        **_reform(t, official),
        "_core": core,
    }


def _reform(t, official):
    from reform.models import Appraiser, Assessment, Evidence
    from tests.reform.conftest import criteria, make_set

    criteria_set = make_set(t.city)
    criterion = next(iter(criteria(criteria_set).values()))
    assessment = Assessment.start(criteria_set, t.ward_a)
    return {
        "appraiser": Appraiser.objects.create(user=official, unit=t.district_a),
        "criteria_set": criteria_set,
        "criterion": criterion,
        "area": criterion.area,
        "assessment": assessment,
        "evidence": Evidence.objects.create(
            assessment=assessment, criterion=criterion, file="reform/bien-ban.pdf"
        ),
    }


def _member(username, unit, role):
    user = UserFactory(username=username)
    MembershipFactory(user=user, unit=unit, role=role)
    return user


def _inspection(unit, office):
    inspection = Inspection.objects.create(
        unit=unit,
        office=office,
        inspecting_body=f"Thanh tra {unit.name}",
        inspecting_level="city",
        kind="surprise",
        date=date(2026, 3, 2),
        scope="Kỷ luật hành chính",
    )
    inspection.attachment.save("bien-ban.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"))
    return inspection


def registered_admins():
    return {
        f"{model._meta.app_label}.{model._meta.model_name}": model_admin
        for model, model_admin in admin.site._registry.items()
    }


def test_every_model_admin_is_in_the_matrix(db):
    registered, expected = set(registered_admins()), set(expected_matrix())
    assert not registered - expected, f"ModelAdmins without a matrix entry: {registered - expected}"
    assert not expected - registered, f"Matrix entries for no ModelAdmin: {expected - registered}"


def test_every_model_admin_is_scoped(db):
    """One base class decides scope for every ModelAdmin and every inline."""
    unscoped = []
    for label, model_admin in registered_admins().items():
        if not isinstance(model_admin, ScopedAdmin):
            unscoped.append(label)
        unscoped += [
            f"{label} inline {inline.__name__}"
            for inline in model_admin.inlines
            if not issubclass(inline, ScopedAdmin)
        ]
    assert not unscoped, f"Not built on offices.admin_scope.ScopedAdmin: {unscoped}"


def test_every_action_and_extra_url_has_an_entry(db):
    matrix = expected_matrix()
    missing = []
    for label, model_admin in registered_admins().items():
        names = (
            set()
            if model_admin.actions is None
            else {name for _func, name, _desc in model_admin._get_base_actions()}
        )
        missing += [f"{label} action {n}" for n in names - set(matrix[label].actions)]
        missing += [f"{label} url {n}" for n in _extra_urls(model_admin) - set(matrix[label].extra)]
    assert not missing, missing


STANDARD_VIEWS = {"changelist", "add", "change", "delete", "history"}


def _extra_urls(model_admin) -> set[str]:
    """A ModelAdmin's own URL patterns (beyond the standard five), by a short name."""
    names = set()
    for pattern in model_admin.get_urls():
        route = str(pattern.pattern).strip("/")
        if pattern.name and pattern.name.rsplit("_", 1)[-1] in STANDARD_VIEWS:
            continue
        if route in ("<path:object_id>", ""):
            continue
        names.add(route.rsplit("/", 1)[-1].strip("<>").split(":")[-1] or route)
    return {_short(n) for n in names}


def _short(name: str) -> str:
    return {"new-version": "new_version", "id": "password", "parent_id": "children"}.get(name, name)


def _extra_url(label, short, obj):
    base = f"/admin/{label.replace('.', '/')}/"
    return {
        "move": f"{base}move/",
        "children": f"{base}children/{obj.pk}/",
        "jsi18n": f"{base}jsi18n/",
        "password": f"{base}{obj.pk}/password/",
        "new_version": f"{base}{obj.pk}/new-version/",
        "publish": f"{base}{obj.pk}/publish/",
        "config": f"{base}{obj.pk}/config/",
        "qrcode": f"{base}{obj.pk}/qrcode/",
        "correct": f"{base}{obj.pk}/correct/",
    }[short]


def _autocomplete_fields():
    """(label, app_label, model_name, field) for every autocomplete field, inlines included."""
    for label, model_admin in registered_admins().items():
        admins = [
            model_admin,
            *(inline(model_admin.model, admin.site) for inline in model_admin.inlines),
        ]
        for each in admins:
            model = each.model
            for name in each.autocomplete_fields:
                yield label, model._meta.app_label, model._meta.model_name, name


def _text(response) -> str:
    if response.get("Content-Type", "").startswith("application/json"):
        return json.dumps(json.loads(response.content), ensure_ascii=False)
    return response.content.decode(errors="replace")


# The matrix runs in shards (the ModelAdmins dealt out in turn, the site pages with the
# first), each on a world of its own: parallel workers share the work, and each request is
# still made once. Within a shard the order is the old one (actions last).
SHARDS = 4


def _in_shard(label: str, shard: int) -> bool:
    return sorted(expected_matrix()).index(label) % SHARDS == shard


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.parametrize("shard", range(SHARDS))
def test_every_admin_url_as_every_persona(client_factory, world, settings, shard):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"  # no write per request
    clients = {}
    for persona in PERSONAS:
        clients[persona] = client_factory()
        if world["personas"][persona] is not None:
            clients[persona].force_login(world["personas"][persona])

    checks = []  # (what, persona, method, url, data, expected)
    for name, statuses in SITE_PAGES.items() if shard == 0 else ():
        parts = name.split(":")
        url = (
            reverse("admin:index")
            if len(parts) == 2
            else reverse("admin:app_list", args=[parts[2]])
        )
        checks += [(name, p, "GET", url, None, statuses[p]) for p in PERSONAS]
    actions = []
    for label, entry in expected_matrix().items():
        if not _in_shard(label, shard):
            continue
        obj = world[entry.obj]
        app, model = label.split(".")
        urls = {
            "changelist": reverse(f"admin:{app}_{model}_changelist"),
            "add": reverse(f"admin:{app}_{model}_add"),
            "change": reverse(f"admin:{app}_{model}_change", args=[obj.pk]),
            "delete": reverse(f"admin:{app}_{model}_delete", args=[obj.pk]),
            "history": reverse(f"admin:{app}_{model}_history", args=[obj.pk]),
        }
        for view, url in urls.items():
            checks += [
                (f"{label} {view}", p, "GET", url, None, getattr(entry, view)[p]) for p in PERSONAS
            ]
        for short, (method, statuses) in entry.extra.items():
            url = _extra_url(label, short, obj)
            checks += [(f"{label} {short}", p, method, url, {}, statuses[p]) for p in PERSONAS]
        for action, statuses in entry.actions.items():
            data = {"action": action, "_selected_action": [str(obj.pk)], "index": "0"}
            actions += [
                (f"{label} action {action}", p, "POST", urls["changelist"], data, statuses[p])
                for p in PERSONAS
            ]
    for label, app, model, field_name in _autocomplete_fields():
        if not _in_shard(label, shard):
            continue
        url = (
            f"{reverse('admin:autocomplete')}?app_label={app}&model_name={model}"
            f"&field_name={field_name}&term="
        )
        # Choices from a list the admins may not read are refused to them.
        target = admin.site._registry[
            apps.get_model(app, model)._meta.get_field(field_name).remote_field.model
        ]
        statuses = row(403) if target.delegated == NONE else row(200)
        checks += [
            (f"{label} autocomplete {model}.{field_name}", p, "GET", url, None, statuses[p])
            for p in PERSONAS
        ]

    mismatches, leaks = [], []
    for what, persona, method, url, data, expected in checks + actions:  # actions last
        client = clients[persona]
        response = client.post(url, data or {}) if method == "POST" else client.get(url)
        if response.status_code != expected:
            mismatches.append((what, persona, expected, response.status_code))
        elif response.status_code == 200 and persona in FOREIGN:
            text = _text(response)
            found = [name for name in FOREIGN[persona] if name in text]
            if found:
                leaks.append((what, persona, found))
    print(f"\nadmin matrix, shard {shard + 1} of {SHARDS}: {len(checks) + len(actions)} requests")
    assert checks and actions  # every shard has pages and actions to check
    assert not mismatches, json.dumps(mismatches, indent=1, ensure_ascii=False)
    assert not leaks, json.dumps(leaks, indent=1, ensure_ascii=False)
    if shard != 0:
        return
    # The absence of names means something: the same lists show them to those in scope.
    offices = reverse("admin:offices_office_changelist")
    assert "Một cửa Mỹ Đình 1" in clients["super"].get(offices).text
    assert "Một cửa Mỹ Đình 1" in clients["admin_b"].get(offices).text
    assert "Một cửa Nghĩa Tân" in clients["admin_a"].get(offices).text
    users = reverse("admin:auth_user_changelist")
    assert "clerk_a" in clients["admin_a"].get(users).text


@pytest.fixture
def client_factory():
    from django.test import Client

    return Client
