"""A "Seen" stamp is a signature: the database itself refuses to change or delete one.

The model and the admin refuse too; this trigger also covers raw SQL and
QuerySet.update()/delete(), which bypass the model. TRUNCATE (test teardown,
a deliberate full reset) is not affected.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION suggestions_seenstamp_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'seen stamps are immutable (% refused)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER suggestions_seenstamp_immutable
    BEFORE UPDATE OR DELETE ON suggestions_seenstamp
    FOR EACH ROW EXECUTE FUNCTION suggestions_seenstamp_immutable();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS suggestions_seenstamp_immutable ON suggestions_seenstamp;
DROP FUNCTION IF EXISTS suggestions_seenstamp_immutable();
"""


class Migration(migrations.Migration):
    dependencies = [("suggestions", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
