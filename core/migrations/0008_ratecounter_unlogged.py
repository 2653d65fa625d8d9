"""The rate counters' table is UNLOGGED on PostgreSQL: every public look-up and failed login
writes it, and a logged write makes each such request wait for the WAL to reach the disk.
Counters of one-minute windows need no crash safety or replicas: after a crash (or on a
promoted standby) they start again from zero, at worst one window of hits forgotten."""

from django.db import migrations


def unlogged(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('ALTER TABLE "core_ratecounter" SET UNLOGGED')


def logged(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('ALTER TABLE "core_ratecounter" SET LOGGED')


class Migration(migrations.Migration):
    dependencies = [("core", "0007_idempotent_requests")]

    operations = [migrations.RunPython(unlogged, logged)]
