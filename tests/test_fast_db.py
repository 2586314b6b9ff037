"""The suite's own database shortcuts (tests/fast_db.py) leave the database as Django's
would: a flush empties every table, guarded ones too, and a cloned test database is fully
migrated."""

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django_q.models import Schedule

from offices.models import AuditEvent
from suggestions.models import Category, SeenStamp, Suggestion
from tests import fast_db
from tests.factories import UserFactory

RESTORED_BY_POST_MIGRATE = {ContentType, Permission, Schedule}


def _rows() -> dict[str, int]:
    return {
        model._meta.label: model._base_manager.count()
        for model in apps.get_models()
        if model not in RESTORED_BY_POST_MIGRATE and not model._meta.proxy
    }


@pytest.mark.django_db(transaction=True)
def test_a_flush_empties_every_table_the_append_only_and_the_large_ones_too(tree, alice):
    suggestion = Suggestion.objects.create(
        office=tree.office_a, category=Category.PROCEDURES, text="Nên có thêm ghế chờ."
    )
    suggestion.stamp_seen(alice)
    AuditEvent.record(alice, "test.flush", tree.office_a)
    many = fast_db.MANY_ROWS + 10  # emptied by TRUNCATE rather than row by row
    UserFactory._meta.model.objects.bulk_create(
        UserFactory._meta.model(username=f"user{i}") for i in range(many)
    )
    # The guards stand: a plain DELETE of either table is still refused by its trigger.
    for model in (AuditEvent, SeenStamp):
        with pytest.raises(IntegrityError), transaction.atomic():
            model.objects.all()._raw_delete(model.objects.db)
    assert sum(_rows().values()) > many

    call_command("flush", interactive=False, verbosity=0)

    assert {label: n for label, n in _rows().items() if n} == {}
    # post_migrate ran as after Django's flush: content types, permissions, schedules.
    assert ContentType.objects.get_for_model(AuditEvent).model_class() is AuditEvent
    assert Permission.objects.filter(codename="view_auditevent").exists()
    assert set(Schedule.objects.values_list("name", flat=True)) == set(settings.SCHEDULED_JOBS)


@pytest.mark.django_db
def test_the_test_database_has_every_migration_applied():
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
    assert connection.settings_dict["NAME"].startswith("test_")


def test_the_template_is_named_after_the_migrations_and_shared_by_the_workers():
    assert fast_db.template_applies()  # every app's tables come from its migration files
    digest = fast_db.migrations_digest()
    assert len(digest) == 12 and digest == fast_db.migrations_digest()
    assert fast_db.template_prefix("test_wt_x_gw0") == "test_wt_x_tpl_"
    assert fast_db.template_prefix("test_wt_x_gw13") == "test_wt_x_tpl_"
    assert fast_db.template_prefix("test_postgres") == "test_postgres_tpl_"
