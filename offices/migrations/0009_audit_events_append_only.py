"""The audit log is append-only in the database, not only in the model.

The model refuses save() of an existing row and delete(); this trigger also covers
raw SQL and QuerySet.update()/delete(). One update stays possible: when a user
account is deleted, its events keep the username but lose the link
(`on_delete=SET_NULL`), and nothing else may change in that update.
TRUNCATE (test teardown, a deliberate full reset) is not affected.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION offices_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND OLD.user_id IS NOT NULL AND NEW.user_id IS NULL
       AND (NEW.id, NEW.at, NEW.username, NEW.action, NEW.object_repr, NEW.detail::text,
            NEW.ip_address)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.at, OLD.username, OLD.action, OLD.object_repr, OLD.detail::text,
            OLD.ip_address)
    THEN
        RETURN NEW;  -- the user account was deleted; the event itself is unchanged
    END IF;
    RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER offices_auditevent_append_only
    BEFORE UPDATE OR DELETE ON offices_auditevent
    FOR EACH ROW EXECUTE FUNCTION offices_auditevent_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS offices_auditevent_append_only ON offices_auditevent;
DROP FUNCTION IF EXISTS offices_auditevent_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("offices", "0008_kiosk_misuse_state")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
