# ID numbers at rest (issue #8), step 2 of 3: seal every stored ID number (AES-GCM
# ciphertext and keyed hash, core/fieldcrypt.py) with the keys of the running settings.
# Reversible: going back opens them into the plain column again (the same keys needed).

from django.db import migrations

from core import fieldcrypt

PURPOSE = "accounts.User.id_number"  # accounts.models.ID_NUMBER_PURPOSE, frozen here
BATCH = 2000


def seal(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    ring = fieldcrypt.ring()
    batch = []
    rows = User.objects.filter(id_number__isnull=False).only("pk", "id_number").order_by("pk")
    for user in rows.iterator(chunk_size=BATCH):
        user.id_number_enc = ring.seal(user.id_number, purpose=PURPOSE)
        user.id_number_hash = ring.digest(user.id_number, purpose=PURPOSE)
        batch.append(user)
        if len(batch) >= BATCH:
            User.objects.bulk_update(batch, ["id_number_enc", "id_number_hash"])
            batch.clear()
    User.objects.bulk_update(batch, ["id_number_enc", "id_number_hash"])


def unseal(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    ring = fieldcrypt.ring()
    batch = []
    rows = User.objects.filter(id_number_enc__isnull=False).only("pk", "id_number_enc")
    for user in rows.order_by("pk").iterator(chunk_size=BATCH):
        user.id_number = ring.open(user.id_number_enc, purpose=PURPOSE)
        batch.append(user)
        if len(batch) >= BATCH:
            User.objects.bulk_update(batch, ["id_number"])
            batch.clear()
    User.objects.bulk_update(batch, ["id_number"])


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0007_id_number_sealed_fields'),
    ]

    operations = [
        migrations.RunPython(seal, unseal, elidable=False),
    ]
