"""Mark the ratings that carry a written comment, so a report's newest comments are found
through a small partial index instead of sorting a month of a province's ratings."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("offices", "0011_staff_photos_private"),
        ("surveys", "0014_unit_monthly_grain"),
    ]

    operations = [
        migrations.AddField(
            model_name="response",
            name="has_comment",
            field=models.BooleanField(
                db_default=False,
                default=False,
                editable=False,
                help_text="One of its answers is a written comment (set when it is stored).",
                verbose_name="has a comment",
            ),
        ),
        # Ratings stored before: marked from their answers, once.
        migrations.RunSQL(
            """
            UPDATE surveys_response r SET has_comment = true
            WHERE EXISTS (
                SELECT 1 FROM surveys_answer a WHERE a.response_id = r.id AND a.text <> ''
            )
            """,
            migrations.RunSQL.noop,
        ),
        migrations.AddIndex(
            model_name="response",
            index=models.Index(
                condition=models.Q(("has_comment", True)),
                fields=["submitted_at"],
                name="response_comment_time_idx",
            ),
        ),
    ]
