"""Settings of the suggestion book, with defaults.

Override any of them in the project settings with a `SUGGESTIONS` dict, e.g.
`SUGGESTIONS = {"SEEN_WITHIN_WORKING_DAYS": 3}`; keys not given keep their default.
"""

from django.conf import settings

DEFAULTS = {
    # Deadlines, in working days (Monday to Friday) after the day a suggestion arrives.
    "SEEN_WITHIN_WORKING_DAYS": 2,
    "ANSWER_WITHIN_WORKING_DAYS": 10,
    # Rate limits per client address (a kiosk's office may share one address).
    "SUBMIT_LIMIT": 20,
    "SUBMIT_WINDOW_SECONDS": 3600,
    "LOOKUP_LIMIT": 30,
    "LOOKUP_WINDOW_SECONDS": 600,
    # A person needs at least this long to write a suggestion; faster means a script.
    "MIN_FILL_SECONDS": 3,
    # The signed form timestamp expires after this long (the form is then shown again).
    "FORM_MAX_AGE_SECONDS": 12 * 3600,
}


def setting(name: str):
    return getattr(settings, "SUGGESTIONS", {}).get(name, DEFAULTS[name])
