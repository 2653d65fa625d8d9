"""Uploaded files to bytes for the actions, shared by the pages and the API."""

from collections.abc import Iterable

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from core.errors import ActionError
from photos.processing import MAX_UPLOAD_BYTES


def read_photos(files: Iterable[UploadedFile] | None, field: str = "photos") -> list[bytes]:
    """The files' bytes; a file over the limit is refused before it is read into memory
    (process_photo would refuse it too, after reading it)."""
    files = list(files or [])
    for index, file in enumerate(files, start=1):
        if file.size is not None and file.size > MAX_UPLOAD_BYTES:
            raise ActionError(
                "photo_too_large",
                _("第%(n)s张照片：照片不能超过%(mb)sMB")
                % {"n": index, "mb": MAX_UPLOAD_BYTES // (1024 * 1024)},
                field=field,
            )
    return [file.read() for file in files]
