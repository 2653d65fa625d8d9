"""Background tasks (django-tasks). `manage.py send_reminders` enqueues the daily sweep; with
the default immediate backend it runs at once, with django_tasks_db a `db_worker` runs it."""

from django_tasks import task

from registry.reminders import send_due_reminders


@task()
def send_reminders() -> int:
    return send_due_reminders()
