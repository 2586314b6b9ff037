"""Every kiosk's `latest_rating_given_at` set from the ratings it already delivered.

The submit path skips the misuse check's neighbour query when a rating is given later
than that time (surveys/misuse.py, `KioskState.none_given_after`), so it must not be
earlier than any stored rating of the kiosk, including those stored before the field
existed (offices 0008)."""

from django.db import migrations

# As surveys.misuse.LATEST_GIVEN_SQL at the time of writing (a migration keeps its own copy).
LATEST_GIVEN_SQL = """
UPDATE offices_kiosk k SET latest_rating_given_at = m.latest
FROM (SELECT kiosk_id, max(submitted_at) AS latest FROM surveys_response
      WHERE kiosk_id IS NOT NULL GROUP BY kiosk_id) m
WHERE m.kiosk_id = k.id
  AND (k.latest_rating_given_at IS NULL OR k.latest_rating_given_at < m.latest)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("offices", "0008_kiosk_misuse_state"),
        ("surveys", "0011_late_ratings"),
    ]

    operations = [migrations.RunSQL(LATEST_GIVEN_SQL, migrations.RunSQL.noop)]
