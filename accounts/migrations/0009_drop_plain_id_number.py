# ID numbers at rest (issue #8), step 3 of 3: the plain column goes; the constraints speak
# of the hash (a person owner has one) and keep ciphertext and hash together.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0008_seal_id_numbers'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='user',
            name='id_number',
        ),
        migrations.AddConstraint(
            model_name='user',
            constraint=models.CheckConstraint(condition=models.Q(('id_number_hash__isnull', True), ('kind', 'person'), ('role', 'owner'), _negated=True), name='person_owner_has_id_number'),
        ),
        migrations.AddConstraint(
            model_name='user',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('id_number_enc__isnull', True), ('id_number_hash__isnull', True)), models.Q(('id_number_enc__isnull', False), ('id_number_hash__isnull', False)), _connector='OR'), name='id_number_sealed_with_its_hash'),
        ),
    ]
