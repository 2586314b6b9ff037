"""What a kiosk shows: the office, desk, serving officer, the questions in three languages.

The page carries everything it needs (questions and interface text in vi / en / fa)
so that switching language and rating while offline need no further request.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from offices.models import CounterSession, Desk, Kiosk, Office, StaffMember
from surveys.models import SCALE_LABELS, SurveyVersion, Variant
from surveys.publication import version_ids_in_force
from surveys.submission import LANGUAGES, VersionSpec, load_spec

LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English", "fa": "فارسی"}


def ui_strings() -> dict[str, dict[str, str]]:
    """The kiosk's interface text in each language, from the gettext catalogues."""
    strings = {}
    for language in LANGUAGES:
        with translation.override(language):
            strings[language] = {
                "title": _("How was your visit today?"),
                "intro": _("Your rating is anonymous and takes less than a minute."),
                "start": _("Start rating"),
                "counter": _("Counter"),
                "served_by": _("Served by"),
                "who_served": _("Who served you? Tap their photo to start."),
                "staff_corner": _("Staff"),
                "staff_pick": _("Officers: tap your name, then enter your PIN."),
                "staff_pin": _("PIN"),
                "staff_start": _("Start serving here"),
                "staff_alone": _("Start serving here, alone"),
                "staff_stop": _("Stop serving"),
                "staff_cancel": _("Cancel"),
                "staff_wrong_pin": _("Wrong PIN. Try again."),
                "staff_offline": _("No connection: try again in a moment."),
                "languages": _("Choose your language"),
                "suggest": _("Leave a suggestion"),
                "progress": _("Question {n} of {total}"),
                "back": _("Back"),
                "skip": _("Skip"),
                "next": _("Continue"),
                "send": _("Send"),
                "done": _("Done"),
                "yes": _("Yes"),
                "no": _("No"),
                "choose_all": _("Choose all that apply, then continue."),
                "type_here": _("Type your comment here (optional)"),
                "thanks": _("Thank you!"),
                "thanks_body": _("Your rating helps this office serve citizens better."),
                "thanks_back": _("Back to the start"),
                "pending": _("Ratings waiting to be sent: {n}"),
                "pending_large": _(
                    "Ratings waiting to be sent: {n}. Staff: check this kiosk's network."
                ),
                "scale_5": str(SCALE_LABELS[5]),
                "scale_4": str(SCALE_LABELS[4]),
                "scale_3": str(SCALE_LABELS[3]),
                "scale_2": str(SCALE_LABELS[2]),
                "scale_1": str(SCALE_LABELS[1]),
            }
    return strings


def current_versions(
    office: Office, variant: str = Variant.KIOSK
) -> tuple[SurveyVersion | None, SurveyVersion | None]:
    """The core and extension versions a kiosk (or phone, variant "full") asks now: the
    published versions in force (drafts never). Falls back to the other variant when
    the office has none of this one (surveys.publication)."""
    ids = version_ids_in_force(office, variant, timezone.now())
    versions = SurveyVersion.objects.in_bulk([i for i in ids if i is not None])
    return tuple(versions.get(i) if i is not None else None for i in ids)  # type: ignore[return-value]


def initials(full_name: str) -> str:
    words = full_name.split()
    if not words:
        return "?"
    letters = words[0][0] + (words[-1][0] if len(words) > 1 else "")
    return letters.upper()


def _question_json(spec: VersionSpec) -> dict:
    return {
        code: {
            "kind": q.kind,
            "required": q.required,
            "reasons": q.reasons,
            "texts": q.texts,
            "choices": [{"code": c.code, "texts": c.texts} for c in q.choices],
        }
        for code, q in spec.questions.items()
    }


def serving_json(sessions: list[CounterSession]) -> list[dict]:
    """Who the start screen shows, with each session's deadline: a kiosk that cannot
    reach the server stops showing an officer at closing time by itself."""
    return [
        {
            "id": s.staff_id,
            "name": s.staff.full_name,
            "title": s.staff.title,
            "initials": initials(s.staff.full_name),
            "photo": s.staff.photo.url if s.staff.photo else "",
            "until": s.ends_at.isoformat(),
        }
        for s in sessions
    ]


def pin_officers(office: Office) -> list[dict]:
    """The officers who may sign in on the kiosk's staff corner (those with a PIN)."""
    people = StaffMember.objects.filter(office=office, is_active=True).exclude(pin_hash="")
    return [{"id": s.pk, "name": s.full_name} for s in people.order_by("full_name")]


@dataclass
class KioskScreen:
    """Everything the kiosk template needs."""

    office: Office
    desk: Desk | None
    sessions: list[CounterSession]
    core: VersionSpec | None
    extension: VersionSpec | None
    config: dict
    fingerprint: str

    @property
    def serving(self) -> list[StaffMember]:
        return [session.staff for session in self.sessions]

    @property
    def serving_cards(self) -> list[dict]:
        return serving_json(self.sessions)

    @property
    def staff(self) -> StaffMember | None:
        """The one officer serving, when exactly one is (a rating then credits them)."""
        return self.serving[0] if len(self.sessions) == 1 else None

    @property
    def staff_initials(self) -> str:
        return initials(self.staff.full_name) if self.staff else ""


def fingerprint(
    kiosk: Kiosk | None,
    office: Office,
    desk: Desk | None,
    serving: list[StaffMember],
    versions: tuple[SurveyVersion | None, SurveyVersion | None],
) -> str:
    """Changes whenever what the page shows changes, so the kiosk knows to reload."""
    parts = [
        *(version.pk if version else None for version in versions),
        desk.pk if desk else None,
        [(s.pk, s.full_name, s.title, s.photo.name if s.photo else None) for s in serving],
        kiosk.idle_seconds if kiosk else None,
        office.name,
    ]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:16]


def screen_for(
    office: Office,
    desk: Desk | None,
    *,
    kiosk: Kiosk | None = None,
    versions: tuple[SurveyVersion | None, SurveyVersion | None] | None = None,
) -> KioskScreen:
    core_version, extension_version = versions or current_versions(office)
    core = load_spec(core_version.pk) if core_version else None
    extension = load_spec(extension_version.pk) if extension_version else None
    sessions = desk.open_sessions() if desk and desk.pk else []
    serving = [session.staff for session in sessions]
    staff = serving[0] if len(serving) == 1 else None
    questions = {}
    for spec in (core, extension):
        if spec:
            questions.update(_question_json(spec))
    config = {
        "kiosk": kiosk.pk if kiosk else None,
        "office": office.pk,
        "version": core.id if core else None,
        "extension_version": extension.id if extension else None,
        "desk": desk.pk if desk else None,
        "staff": staff.pk if staff else None,
        "serving": serving_json(sessions),
        "pin_officers": pin_officers(office) if kiosk and desk and office.pk else [],
        "idle_seconds": kiosk.idle_seconds if kiosk else 45,
        "order": [*(core.order if core else ()), *(extension.order if extension else ())],
        "questions": questions,
        "strings": ui_strings(),
    }
    return KioskScreen(
        office=office,
        desk=desk,
        sessions=sessions,
        core=core,
        extension=extension,
        config=config,
        fingerprint=fingerprint(kiosk, office, desk, serving, (core_version, extension_version)),
    )


def current_fingerprint(kiosk: Kiosk, sessions: list[CounterSession] | None = None) -> str:
    if sessions is None:
        sessions = kiosk.desk.open_sessions() if kiosk.desk else []
    serving = [session.staff for session in sessions]
    return fingerprint(kiosk, kiosk.office, kiosk.desk, serving, current_versions(kiosk.office))
