# ID numbers at rest (issue #8), step 1 of 3: the ciphertext and keyed-hash columns, empty.
# The constraint on the plain column goes here, not in step 3: going back, step 2 must have
# put the numbers back in the plain column before the constraint returns.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0006_staff_totp'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='user',
            name='person_owner_has_id_number',
        ),
        migrations.AddField(
            model_name='user',
            name='id_number_enc',
            field=models.CharField(blank=True, editable=False, max_length=160, null=True, verbose_name='身份证号码（密文）'),
        ),
        migrations.AddField(
            model_name='user',
            name='id_number_hash',
            field=models.CharField(blank=True, editable=False, max_length=64, null=True, unique=True, verbose_name='身份证号码（检索摘要）'),
        ),
    ]
