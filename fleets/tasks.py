"""Background tasks (django-tasks): the import runs in a worker (django_tasks_db in
production), or at once in the request with the immediate backend (development, tests)."""

from django_tasks import task

from fleets.actions import run_import


@task()
def run_import_task(job_id: int) -> str:
    return run_import(job_id=job_id).status
