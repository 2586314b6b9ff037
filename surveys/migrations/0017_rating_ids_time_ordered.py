"""New rating ids are time ordered (UUID version 7, common/ids.py). Only Python's default
changes: the column, its indexes and the ids already stored stay as they are (no SQL)."""

import common.ids
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0016_desk_grain_by_desk"),
    ]

    operations = [
        migrations.AlterField(
            model_name="response",
            name="id",
            field=models.UUIDField(
                default=common.ids.time_ordered_uuid,
                editable=False,
                primary_key=True,
                serialize=False,
            ),
        ),
    ]
