"""Every state change of the fleets app, one named function each: start an import, run it
(the background task), submit many drafts. Each takes a keyword-only acting_user, refuses
outsiders, writes audit rows and saves with update_fields."""

import hashlib
import logging
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from django.core.files.base import ContentFile
from django.db import connections, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actions import can_act_for
from accounts.constants import Role
from accounts.models import User
from catalogue.lookup import lookup_many
from core import audit
from core.errors import ActionError, FieldErrors
from fleets.constants import ImportStatus, IssueKind
from fleets.importer import (
    CHUNK,
    MAX_ROWS,
    FileProblem,
    RowResult,
    StepMemo,
    check_row,
    data_rows,
    existing_keys,
    header_of,
    open_sheet,
)
from fleets.models import ImportedMachine, ImportIssue, ImportJob
from registry import actions as registry_actions
from registry.models import Declaration
from registry.steps import OTHER

logger = logging.getLogger(__name__)

MAX_IMPORT_BYTES = 20 * 1024 * 1024


def _require_owner_side(acting_user: User, owner: User) -> None:
    if not (acting_user.role == Role.OWNER and can_act_for(acting_user, owner)):
        raise ActionError("not_allowed", _("您不能为该机主导入机械"), status=403)


def start_import(*, acting_user: User, owner: User, file_name: str, data: bytes) -> ImportJob:
    """Check the upload (type, size, headers), keep it and queue the import. The rows are
    checked by the task; only what makes the whole file unusable is refused here."""
    _require_owner_side(acting_user, owner)
    if not file_name.lower().endswith(".xlsx"):
        raise FieldErrors({"file": _("请上传xlsx格式的Excel文件（文件名以.xlsx结尾）")})
    if len(data) > MAX_IMPORT_BYTES:
        raise FieldErrors({"file": _("文件不能超过20MB，请分成几个文件导入")})
    if not data:
        raise FieldErrors({"file": _("请选择要上传的文件")})
    try:
        sheet = open_sheet(BytesIO(data))
    except FileProblem as exc:
        raise FieldErrors({"file": str(exc)}) from None
    estimated = sheet.estimated_rows
    sheet.close()
    with transaction.atomic():
        job = ImportJob(
            owner=owner,
            created_by=acting_user,
            file_name=file_name[-200:],
            content_hash=hashlib.sha256(data).hexdigest(),
            total_rows=estimated,
        )
        job.file.save("upload.xlsx", ContentFile(data), save=False)
        job.save()
        audit.record(
            "import.started",
            actor=acting_user,
            target=job,
            data={"owner": owner.pk, "file": job.file_name, "sha256": job.content_hash},
        )
    # Queued after the commit above, so a worker process finds the job. With the immediate
    # backend (development, tests) the import runs here, before the page answers.
    from fleets.tasks import run_import_task

    run_import_task.enqueue(job.pk)
    return job


def previous_import(job: ImportJob) -> ImportJob | None:
    """An earlier import of the same file for the same owner, if any."""
    return (
        ImportJob.objects.filter(owner_id=job.owner_id, content_hash=job.content_hash)
        .filter(pk__lt=job.pk)
        .order_by("-pk")
        .first()
    )


@dataclass
class _Chunk:
    valid: list[RowResult] = field(default_factory=list)
    issues: list[ImportIssue] = field(default_factory=list)
    rows: int = 0
    error_rows: int = 0


def run_import(*, job_id: int) -> ImportJob:
    """The background task's body: the job's uploader is the acting user."""
    with transaction.atomic():
        job = (
            ImportJob.objects.select_for_update()
            .select_related("owner", "created_by")
            .get(pk=job_id)
        )
        if job.status != ImportStatus.PENDING:
            return job  # a retried task: the import ran (or is running) already
        job.status = ImportStatus.RUNNING
        job.started_at = timezone.now()
        job.save(update_fields=["status", "started_at"])
    try:
        _require_owner_side(job.created_by, job.owner)
        _import_rows(job)
    except Exception as exc:
        if isinstance(exc, (ActionError, FileProblem)):
            message = exc.message if isinstance(exc, ActionError) else str(exc)
        else:
            logger.exception("import %s failed", job.pk)
            message = _("导入中断：文件无法完整读取。已导入的机械会保留，重新上传不会重复导入")
        with transaction.atomic():
            ImportJob.objects.filter(pk=job.pk).update(
                status=ImportStatus.FAILED, message=message, finished_at=timezone.now()
            )
            audit.record("import.failed", actor=job.created_by, target=job, data={"error": message})
        job.refresh_from_db()
        return job
    with transaction.atomic():
        job.refresh_from_db()
        job.status = ImportStatus.DONE
        job.total_rows = job.rows_done
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "total_rows", "finished_at"])
        audit.record(
            "import.finished",
            actor=job.created_by,
            target=job,
            data={
                "rows": job.rows_done,
                "created": job.created_count,
                "duplicates": job.duplicate_count,
                "errors": job.error_count,
            },
        )
    return job


def _import_rows(job: ImportJob) -> None:
    headers = header_of()
    seen: dict[tuple[str, str], int] = {}  # key -> the row that first carried it
    memo: StepMemo = {}
    with job.file.open("rb") as stream:
        sheet = open_sheet(stream)
        try:
            chunk = _Chunk()
            for number, data in data_rows(sheet):
                if number > MAX_ROWS + 1:
                    # The sheet hid its size (or lied about it): stop, keep what is in.
                    _flush(job, chunk)
                    raise FileProblem(_("一次最多导入%(n)s行，请分成几个文件") % {"n": MAX_ROWS})
                result = check_row(number, data, memo)
                chunk.rows += 1
                if not result.errors:
                    for key in result.keys:
                        if key in seen:
                            result.errors[key[0]] = _(
                                "与第%(row)s行的%(label)s相同，同一台机械只能导入一次"
                            ) % {"row": seen[key], "label": headers.get(key[0], key[0])}
                            break
                if result.errors:
                    chunk.error_rows += 1
                    chunk.issues.extend(
                        ImportIssue(
                            job=job,
                            row=number,
                            kind=IssueKind.ERROR,
                            column=headers.get(name, ""),
                            message=message[:300],
                        )
                        for name, message in result.errors.items()
                    )
                else:
                    for key in result.keys:
                        seen[key] = number
                    chunk.valid.append(result)
                if chunk.rows >= CHUNK:
                    _flush(job, chunk)
                    chunk = _Chunk()
            _flush(job, chunk)
        finally:
            sheet.close()


def _flush(job: ImportJob, chunk: _Chunk) -> None:
    """One transaction per chunk: its drafts, their audit rows, its issues and progress."""
    if not chunk.rows:
        return
    with transaction.atomic():
        # Lock the owner, so two imports for one owner cannot both find a machine missing.
        User.objects.select_for_update().filter(pk=job.owner_id).first()
        keys = {key for result in chunk.valid for key in result.keys}
        present = existing_keys(job.owner_id, keys)
        drafts: list[tuple[int, Declaration]] = []
        for result in chunk.valid:
            if any(key in present for key in result.keys):
                chunk.issues.append(
                    ImportIssue(
                        job=job,
                        row=result.row,
                        kind=IssueKind.DUPLICATE,
                        message=_("已存在，未重复导入"),
                    )
                )
                continue
            draft = Declaration(
                owner_id=job.owner_id, declared_by_id=job.created_by_id, step=OTHER, **result.values
            )
            drafts.append((result.row, draft))
        known = lookup_many(n for _row, d in drafts for n in registry_actions.prefill_numbers(d))
        for _row, draft in drafts:
            registry_actions.prefill_from_catalogue(draft, known)
        insert_drafts([d for _row, d in drafts])
        ImportedMachine.objects.bulk_create(
            [ImportedMachine(job=job, declaration=d, row=row) for row, d in drafts],
            batch_size=500,
        )
        if drafts:
            # One audit row per chunk names every draft it created (and ImportedMachine
            # keeps row -> draft): one row per draft would be a third of the import's time.
            audit.record(
                "declarations.imported",
                actor=job.created_by,
                target=job,
                data={
                    "owner": job.owner_id,
                    "rows": [drafts[0][0], drafts[-1][0]],
                    "declarations": [d.pk for _row, d in drafts],
                },
            )
        ImportIssue.objects.bulk_create(chunk.issues, batch_size=500)
        duplicates = len(chunk.valid) - len(drafts)
        errors = sum(1 for i in chunk.issues if i.kind == IssueKind.ERROR)
        ImportJob.objects.filter(pk=job.pk).update(
            rows_done=F("rows_done") + chunk.rows,
            created_count=F("created_count") + len(drafts),
            duplicate_count=F("duplicate_count") + duplicates,
            error_rows=F("error_rows") + chunk.error_rows,
            error_count=F("error_count") + errors,
        )


def insert_drafts(drafts: list[Declaration]) -> None:
    """Declaration.objects.bulk_create(drafts), each draft given its primary key; on
    PostgreSQL by COPY with keys drawn from the table's sequence beforehand.

    bulk_create spent more time building its 500-row INSERT statements (every value of some
    60 fields prepared by Django, then the whole statement parsed again by the driver) than
    the database spent storing them; COPY streams the same prepared values.
    """
    if not drafts:
        return
    if connections[Declaration.objects.db].vendor != "postgresql":
        Declaration.objects.bulk_create(drafts, batch_size=500)
        return
    meta = Declaration._meta
    fields = [f for f in meta.concrete_fields if not f.generated]  # as bulk_create writes
    db = connections[Declaration.objects.db]  # the connection itself, not the proxy
    quote = db.ops.quote_name
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(drafts)],
        )
        keys = [row[0] for row in cursor.fetchall()]
        columns = ", ".join(quote(f.column) for f in fields)
        # Text fields store a str as it is (what get_db_prep_save returns for it).
        text = (models.CharField, models.TextField)
        prepared = [(f, type(f) in text) for f in fields]
        with cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
            for draft, key in zip(drafts, sorted(keys), strict=True):
                draft.pk = key
                values = draft.__dict__
                copy.write_row(
                    [
                        value
                        if plain and type(value := values[f.attname]) is str
                        else f.get_db_prep_save(f.pre_save(draft, True), db)
                        for f, plain in prepared
                    ]
                )
                draft._state.adding = False
                draft._state.db = db.alias


# --- submitting many drafts -----------------------------------------------------------------


@dataclass(frozen=True)
class SubmitOutcome:
    declaration: Declaration
    submitted: bool
    problems: dict[str, str]  # field -> message, when not submitted


def submit_many(*, acting_user: User, declarations: list[Declaration]) -> list[SubmitOutcome]:
    """Submit each draft through registry.actions.submit, each in its own transaction: one
    draft that cannot go (photos missing, say) does not hold back the others."""
    outcomes: list[SubmitOutcome] = []
    for declaration in declarations:
        try:
            submitted = registry_actions.submit(acting_user=acting_user, declaration=declaration)
        except FieldErrors as exc:
            outcomes.append(SubmitOutcome(declaration, False, dict(exc.errors)))
        except ActionError as exc:
            outcomes.append(SubmitOutcome(declaration, False, {exc.field or "form": exc.message}))
        else:
            outcomes.append(SubmitOutcome(submitted, True, {}))
    if outcomes:
        with transaction.atomic():
            audit.record(
                "declarations.submit_many",
                actor=acting_user,
                target=acting_user,
                data={
                    "submitted": [o.declaration.pk for o in outcomes if o.submitted],
                    "refused": [o.declaration.pk for o in outcomes if not o.submitted],
                },
            )
    return outcomes


def problems_text(problems: dict[str, Any]) -> list[str]:
    from owners.wizard import label_of

    return [
        f"{label_of(name)}：{message}" if name not in ("form", "step") else str(message)
        for name, message in problems.items()
    ]
