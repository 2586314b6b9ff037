"""Inspection attachments move out of the public media root into private storage.

Files already uploaded are moved from MEDIA_ROOT to PRIVATE_MEDIA_ROOT (same
relative name), so the old public address stops working; moving back reverses it.
"""

import shutil
from pathlib import Path

from django.conf import settings

import django.core.validators
import inspections.models
import offices.files
from django.db import migrations


def _move(apps, source: Path, target: Path) -> None:
    Inspection = apps.get_model("inspections", "Inspection")
    for name in Inspection.objects.exclude(attachment="").values_list("attachment", flat=True):
        old, new = source / name, target / name
        if old.is_file() and not new.exists():
            new.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(old, new)


def to_private(apps, schema_editor):
    _move(apps, Path(settings.MEDIA_ROOT), Path(settings.PRIVATE_MEDIA_ROOT))


def to_public(apps, schema_editor):
    _move(apps, Path(settings.PRIVATE_MEDIA_ROOT), Path(settings.MEDIA_ROOT))


class Migration(migrations.Migration):
    dependencies = [
        ("inspections", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="inspection",
            name="attachment",
            field=offices.files.PrivateFileField(
                blank=True,
                help_text="Optional: the inspection report or conclusion (PDF, office document, image).",
                max_length=250,
                storage=offices.files.private_storage,
                upload_to=inspections.models.attachment_path,
                validators=[
                    django.core.validators.FileExtensionValidator(
                        ["pdf", "doc", "docx", "odt", "xls", "xlsx", "ods", "jpg", "jpeg", "png"]
                    )
                ],
                verbose_name="attachment",
                view_name="inspections:attachment",
            ),
        ),
        migrations.RunPython(to_private, to_public),
    ]
