from django.apps import AppConfig


class ChangesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "changes"
    verbose_name = "信息变更"

    def ready(self) -> None:
        from changes import signals  # noqa: F401  (connects the receivers)
