"""Checking and storing uploaded documents: by content, hashed while streamed, never replaced."""

import hashlib
from dataclasses import dataclass

import filetype  # type: ignore[import-untyped]
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from qoima.errors import InvalidInput

from .storage import document_name, document_storage

# What a document may be, recognised by its first bytes whatever its name says.
ACCEPTED = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
HEAD_BYTES = 262  # as much as filetype reads


@dataclass(frozen=True)
class StoredFile:
    name: str
    sha256: str
    size: int
    content_type: str


def document_store(upload: UploadedFile) -> StoredFile:
    """Check an upload by content and size, hash it in one pass, and store it by its hash.

    Stored bytes are never overwritten: the same content has the same name and is kept once.
    """
    limit = settings.ISSUANCE_DOCUMENT_MAX_BYTES
    if upload.size is None or upload.size > limit:
        raise _too_large(limit)
    digest = hashlib.sha256()
    head = b""
    size = 0
    for chunk in upload.chunks():
        digest.update(chunk)
        size += len(chunk)
        if len(head) < HEAD_BYTES:
            head += chunk[: HEAD_BYTES - len(head)]
        if size > limit:
            raise _too_large(limit)
    guessed = filetype.guess(head)
    if size == 0 or guessed is None or guessed.mime not in ACCEPTED:
        raise InvalidInput(
            _("%(name)s is not a PDF, PNG or JPEG file (checked by its content, not its name).")
            % {"name": upload.name},
            field="file",
            code="disguised_upload",
        )
    sha256 = digest.hexdigest()
    name = document_name(sha256, ACCEPTED[guessed.mime])
    storage = document_storage()
    if not storage.exists(name):
        upload.seek(0)
        name = storage.save(name, upload)
    return StoredFile(name=name, sha256=sha256, size=size, content_type=guessed.mime)


def _too_large(limit: int) -> InvalidInput:
    return InvalidInput(
        _("The file is larger than %(limit)s.") % {"limit": filesizeformat(limit)},
        field="file",
        code="upload_too_large",
    )


def stored_sha256(name: str) -> str:
    """Re-read a stored document and hash it again."""
    digest = hashlib.sha256()
    with document_storage().open(name, "rb") as stored:
        for chunk in iter(lambda: stored.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
