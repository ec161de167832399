"""Where issuance documents live: content-addressed, behind Django's storage API."""

from django.core.files.storage import Storage, storages


def document_storage() -> Storage:
    """The configured ``documents`` storage (a callable, so settings can change in tests)."""
    return storages["documents"]


def document_name(sha256: str, extension: str) -> str:
    """A file's name is its content's hash: the same bytes always land in the same place, and
    different bytes never replace them."""
    return f"{sha256[:2]}/{sha256}.{extension}"
