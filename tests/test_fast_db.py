"""The suite's own database shortcuts (tests/fast_db.py) leave the database as Django's
would: a flush empties every table, guarded ones too, and a cloned test database is fully
migrated."""

import contextlib

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models.signals import post_migrate
from django_q.models import Schedule

from offices.models import AuditEvent
from suggestions.models import Category, SeenStamp, Suggestion
from tests import fast_db
from tests.factories import UserFactory

RESTORED_BY_POST_MIGRATE = {ContentType, Permission, Schedule}


def flush_as_after_a_test() -> None:
    """The flush pytest-django runs after a transactional test (the command's own default
    resets the sequences, which keeps Django's statements)."""
    call_command("flush", interactive=False, verbosity=0, reset_sequences=False)


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

    flush_as_after_a_test()

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


def _post_migrate_rows() -> dict[str, list[tuple]]:
    return {
        "content types": list(ContentType.objects.order_by("id").values_list()),
        "permissions": list(Permission.objects.order_by("id").values_list()),
        "schedules": list(Schedule.objects.order_by("id").values_list("id", "name", "cron")),
    }


def _post_migrate_contents() -> dict[str, set[tuple]]:
    """The same rows without their ids."""
    return {
        "content types": set(ContentType.objects.values_list("app_label", "model")),
        "permissions": set(
            Permission.objects.values_list("content_type__model", "codename", "name")
        ),
        "schedules": set(Schedule.objects.values_list("name", "func", "cron")),
    }


@contextlib.contextmanager
def post_migrate_senders():
    """The apps post_migrate is sent for while the block runs."""
    senders: list[str] = []

    def note(sender, **kwargs):
        senders.append(sender.label)

    post_migrate.connect(note, weak=False, dispatch_uid="tests.test_fast_db")
    try:
        yield senders
    finally:
        post_migrate.disconnect(dispatch_uid="tests.test_fast_db")


@pytest.mark.django_db(transaction=True)
def test_a_flush_keeps_untouched_post_migrate_rows_and_skips_the_signal():
    before = _post_migrate_rows()
    assert before["content types"] and before["permissions"] and before["schedules"]
    UserFactory(username="ward-clerk")

    with post_migrate_senders() as senders:
        flush_as_after_a_test()

    assert not UserFactory._meta.model.objects.exists()
    assert _post_migrate_rows() == before  # the very rows, ids and all
    assert senders == []


@pytest.mark.django_db(transaction=True)
def test_a_flush_after_a_test_changed_post_migrate_rows_writes_them_back_through_the_signal():
    before = _post_migrate_contents()
    Schedule.objects.filter(name="monthly-reports").update(cron="0 0 1 1 *")  # an admin's edit
    Schedule.objects.create(name="a test's own", func="math.floor", schedule_type=Schedule.ONCE)
    Permission.objects.filter(codename="view_auditevent").delete()

    with post_migrate_senders() as senders:
        flush_as_after_a_test()

    assert {"contenttypes", "auth", "scheduling"} <= set(senders)
    assert _post_migrate_contents() == before
    # And the next flush finds them as the test database began: kept again.
    with post_migrate_senders() as senders:
        flush_as_after_a_test()
    assert senders == []
