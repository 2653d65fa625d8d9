"""Log out everywhere (a session generation in the session hash) and API tokens that end
by themselves: tokens issued before get 30 days from their issue, as new ones do."""

from datetime import timedelta

from django.db import migrations, models
from django.db.models import F


def expire_old_tokens(apps, schema_editor):
    ApiToken = apps.get_model("accounts", "ApiToken")
    ApiToken.objects.update(expires_at=F("created_at") + timedelta(days=30))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_org_staff"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="session_generation",
            field=models.PositiveIntegerField(default=0, verbose_name="会话代次"),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(db_index=True, null=True, verbose_name="到期时间"),
        ),
        migrations.RunPython(expire_old_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(db_index=True, verbose_name="到期时间"),
        ),
    ]
