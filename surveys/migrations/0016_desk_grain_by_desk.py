"""Index the monthly desk grain by desk: a change of a desk's procedure fields re-sums that
desk's rows (whichever office they were rated at) under a lock that holds up ratings, and
deleting a desk cascades to them; both read the whole table without it.

Built CONCURRENTLY, so kiosks keep writing to these tables while it is made."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("offices", "0011_staff_photos_private"),
        ("surveys", "0015_response_has_comment"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="monthlydeskanswerrollup",
            index=models.Index(
                condition=models.Q(("desk__isnull", False)),
                fields=["desk"],
                name="monthly_desk_answer_by_desk",
            ),
        ),
        AddIndexConcurrently(
            model_name="monthlydeskresponserollup",
            index=models.Index(
                condition=models.Q(("desk__isnull", False)),
                fields=["desk"],
                name="monthly_desk_response_by_desk",
            ),
        ),
    ]
