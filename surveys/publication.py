"""Which surveys and versions are in force at an office: what kiosks and phones serve,
and what a rating may be recorded against.

One query reads every active survey that could apply to the office (core surveys at
its unit or above, its own extensions) with its versions' publication times; the rest
is arithmetic, so the kiosk's submit path pays one round trip for the check.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.utils.translation import gettext as _

from offices.models import AdministrativeUnit, Office
from surveys.models import SurveyVersion, Variant, version_in_force

if TYPE_CHECKING:
    from surveys.submission import VersionSpec


@dataclass
class Candidate:
    survey_id: int
    variant: str
    depth: int  # of the core survey's unit; -1 for an office extension
    is_extension: bool
    locked: bool = False
    timeline: list[tuple[int, datetime]] = field(default_factory=list)  # published versions

    def published_by(self, moment: datetime) -> bool:
        return any(at <= moment for _vid, at in self.timeline)


def ancestor_paths(office: Office) -> list[str]:
    path, step = office.unit.path, AdministrativeUnit.steplen
    return [path[:i] for i in range(step, len(path) + 1, step)]


def candidates(office: Office) -> dict[int, Candidate]:
    """Active surveys that may apply to `office`, each with its published versions."""
    rows = SurveyVersion.objects.filter(
        Q(survey__unit__path__in=ancestor_paths(office)) | Q(survey__office=office),
        survey__is_active=True,
    ).values(
        "id",
        "survey_id",
        "survey__variant",
        "survey__office_id",
        "survey__unit__depth",
        "survey__is_locked",
        "published_at",
    )
    return candidates_from_rows(rows.order_by())


def candidates_from_rows(rows: Iterable[Mapping[str, Any]]) -> dict[int, Candidate]:
    """Candidates from rows of a version with its survey (keys as in `candidates`)."""
    found: dict[int, Candidate] = {}
    for row in rows:
        candidate = found.setdefault(
            row["survey_id"],
            Candidate(
                survey_id=row["survey_id"],
                variant=row["survey__variant"],
                depth=row["survey__unit__depth"] if row["survey__office_id"] is None else -1,
                is_extension=row["survey__office_id"] is not None,
                locked=row["survey__is_locked"],
            ),
        )
        if row["published_at"] is not None:
            candidate.timeline.append((row["id"], row["published_at"]))
    return found


def pick(
    found: dict[int, Candidate], variant: str, moment: datetime, *, extension: bool
) -> Candidate | None:
    """The survey in force for `variant` (falling back to the other variant when the
    office has none of it): for a core, the one defined nearest above the office."""
    other = Variant.FULL if variant == Variant.KIOSK else Variant.KIOSK
    for wanted in (variant, other):
        live = [
            c
            for c in found.values()
            if c.variant == wanted and c.is_extension == extension and c.published_by(moment)
        ]
        locked = [c for c in live if c.locked and not extension]
        if locked:  # a locked core is never shadowed by a lower one: the highest wins
            return min(locked, key=lambda c: (c.depth, c.survey_id))
        if live:
            return max(live, key=lambda c: (c.depth, -c.survey_id))
    return None


# The same rows as `candidates`, as one JSON column of a query on the kiosk (with its
# office and the office's unit joined): the kiosk's submit path reads them in the query
# that authenticates and locks the kiosk (surveys.submission.lock_kiosk). The ancestors of
# the office's unit are the prefixes of its path, one step (steplen) at a time, found by
# the unique index on the path. Parameters: (steplen, steplen).
CANDIDATES_JSON_SQL = """(
SELECT coalesce(json_agg(json_build_array(
    v.id, v.survey_id, s.variant, s.office_id, u.depth, s.is_locked, v.published_at)), '[]')
FROM surveys_survey s
JOIN surveys_surveyversion v ON v.survey_id = s.id
LEFT JOIN offices_administrativeunit u ON u.id = s.unit_id
WHERE s.is_active AND (
    s.office_id = "offices_office"."id"
    OR s.unit_id IN (
        SELECT a.id FROM offices_administrativeunit a WHERE a.path = ANY(ARRAY(
            SELECT left("offices_administrativeunit"."path", g)
            FROM generate_series(%s, length("offices_administrativeunit"."path"), %s) g)))
))"""
CANDIDATE_KEYS = (
    "id",
    "survey_id",
    "survey__variant",
    "survey__office_id",
    "survey__unit__depth",
    "survey__is_locked",
    "published_at",
)


def candidates_from_json(rows: list[list]) -> dict[int, Candidate]:
    from django.utils.dateparse import parse_datetime

    return candidates_from_rows(
        {**dict(zip(CANDIDATE_KEYS, row, strict=True)), "published_at": parse_datetime(row[6])}
        if row[6] is not None
        else dict(zip(CANDIDATE_KEYS, row, strict=True))
        for row in rows
    )


def refusal(
    specs: Iterable[VersionSpec],
    office: Office,
    variant: str,
    moment: datetime,
    found: dict[int, Candidate] | None = None,
) -> tuple[str, str, str] | None:
    """(code, message, field) when a rating given at `moment` may not be recorded against
    the versions `specs` (surveys.submission.VersionSpec), else None. `found`: the
    office's candidates when already read (else one query)."""
    if found is None:
        found = candidates(office)
    for spec in specs:
        key = "extension_version" if spec.is_extension else "version"
        candidate = found.get(spec.survey_id)
        if candidate is None:
            return "survey_inactive", _("This survey is no longer in use."), key
        in_force = pick(found, variant, moment, extension=spec.is_extension)
        if in_force is None or in_force.survey_id != spec.survey_id:
            message = _("This office does not use this survey here.")
            return "other_survey", message, key
        reason = version_in_force(candidate.timeline, spec.id, moment)
        if reason:
            return "version_" + reason, VERSION_MESSAGES[reason](), key
    return None


VERSION_MESSAGES = {
    "draft": lambda: _("This survey version is a draft: it has not been published."),
    "not_yet": lambda: _("This survey version was not yet published at the rating's time."),
    "superseded": lambda: _("This survey version had been replaced by a newer one."),
}


def version_ids_in_force(office: Office, variant: str, moment: datetime) -> tuple[int | None, ...]:
    """(core version id, extension version id) a kiosk or phone serves at `moment`."""
    found = candidates(office)
    result = []
    for extension in (False, True):
        candidate = pick(found, variant, moment, extension=extension)
        live = [(at, vid) for vid, at in candidate.timeline if at <= moment] if candidate else []
        result.append(max(live)[1] if live else None)
    return tuple(result)
