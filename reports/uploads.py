"""Uploaded photos to bytes for reports.actions, shared by the page and the API."""

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from core.errors import FieldErrors
from inspections.uploads import read_photos
from reports.constants import MAX_PHOTOS


def report_photos(files: list[UploadedFile]) -> list[bytes]:
    """Too many files are refused before any is read; each file over the size limit
    before it is read into memory (inspections.uploads.read_photos)."""
    files = [f for f in files if f.size]  # an empty file input sends one empty part
    if len(files) > MAX_PHOTOS:
        raise FieldErrors({"photos": _("最多上传%(n)s张照片") % {"n": MAX_PHOTOS}})
    return read_photos(files)
