"""Staff photos move out of the public media root into private storage.

The kiosk of the officer's office (by its device credential) and officials over the
office see them through `offices:staff_photo`; no public address remains. Files already
uploaded are moved from MEDIA_ROOT to PRIVATE_MEDIA_ROOT (same relative name), so the
old public address stops working; moving back reverses it.
"""

import shutil
from pathlib import Path

from django.conf import settings
from django.db import migrations

import offices.files


def _move(apps, source: Path, target: Path) -> None:
    StaffMember = apps.get_model("offices", "StaffMember")
    for name in StaffMember.objects.exclude(photo="").values_list("photo", flat=True):
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
        ("offices", "0010_audit_event_unit"),
    ]

    operations = [
        migrations.AlterField(
            model_name="staffmember",
            name="photo",
            field=offices.files.PrivateImageField(
                blank=True,
                storage=offices.files.private_storage,
                upload_to="staff/",
                verbose_name="photo",
                view_name="offices:staff_photo",
            ),
        ),
        migrations.RunPython(to_private, to_public),
    ]
