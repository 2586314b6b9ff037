"""Audit events name the unit their object belongs to, so a unit's admins read their
subtree's events. Events written before stay without a unit (superusers read them):
history is not rewritten. The append-only trigger now guards the new column too."""

import django.db.models.deletion
from django.db import migrations, models

FORWARD = """
CREATE OR REPLACE FUNCTION offices_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND OLD.user_id IS NOT NULL AND NEW.user_id IS NULL
       AND (NEW.id, NEW.at, NEW.username, NEW.action, NEW.object_repr, NEW.detail::text,
            NEW.ip_address, NEW.unit_id)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.at, OLD.username, OLD.action, OLD.object_repr, OLD.detail::text,
            OLD.ip_address, OLD.unit_id)
    THEN
        RETURN NEW;  -- the user account was deleted; the event itself is unchanged
    END IF;
    RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""

BACKWARD = """
CREATE OR REPLACE FUNCTION offices_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND OLD.user_id IS NOT NULL AND NEW.user_id IS NULL
       AND (NEW.id, NEW.at, NEW.username, NEW.action, NEW.object_repr, NEW.detail::text,
            NEW.ip_address)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.at, OLD.username, OLD.action, OLD.object_repr, OLD.detail::text,
            OLD.ip_address)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("offices", "0009_audit_events_append_only"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="unit",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="offices.administrativeunit",
                verbose_name="unit",
            ),
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
