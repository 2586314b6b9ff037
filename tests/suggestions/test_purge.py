"""Citizens' addresses and contact details go with `purge_personal_data`; the book stays."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.suggestions.conftest import make_suggestion

pytestmark = pytest.mark.django_db


def test_purge_forgets_old_addresses_and_contacts_but_keeps_the_suggestion(tree, alice):
    old = make_suggestion(
        tree.office_a,
        when=timezone.now() - timedelta(days=200),
        name="Trần Thị Mai",
        contact="0912345678",
        contact_consent=True,
        submitter_ip="203.0.113.7",
    )
    old.stamp_seen(alice)
    recent = make_suggestion(
        tree.office_a, contact="binh@example.vn", contact_consent=True, submitter_ip="203.0.113.8"
    )
    call_command("purge_personal_data", "--days", "180", stdout=StringIO())
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.name, old.contact, old.contact_consent, old.submitter_ip) == ("", "", False, None)
    assert old.text and old.stamps.count() == 1
    assert (recent.contact, str(recent.submitter_ip)) == ("binh@example.vn", "203.0.113.8")
