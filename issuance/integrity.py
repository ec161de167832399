"""Whether a stored document is still what was submitted: its file re-hashed now, against the
hash the platform recorded at upload and the hash the token recorded on-chain (Art. 5 items 2
and 6). Reads only; ``services.documents_recheck`` keeps the scheduled results."""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from web3 import Web3

from qoima.chain.client import ChainUnavailable
from qoima.chain.reads import NoContract, token_facts

from .documents import stored_sha256
from .models import Application, Document


@dataclass(frozen=True)
class DocumentVerification:
    document: Document
    # The stored file's hash now; blank when the file cannot be read.
    file_sha256: str
    # The token's hash for the document; None when the chain records none for it (not issued,
    # or superseded before the issue), blank when the node did not answer.
    chain_sha256: str | None
    chain_answered: bool = True

    @property
    def file_matches(self) -> bool:
        return self.file_sha256 == self.document.sha256

    @property
    def chain_matches(self) -> bool | None:
        """None when there is nothing on chain to compare with."""
        if self.chain_sha256 is None or not self.chain_answered:
            return None
        return self.chain_sha256 == self.document.sha256

    @property
    def ok(self) -> bool:
        return self.file_matches and self.chain_matches is not False

    @property
    def problems(self) -> list[str | Promise]:
        found: list[str | Promise] = []
        if not self.file_sha256:
            found.append(_("The stored file is missing or cannot be read."))
        elif not self.file_matches:
            found.append(_("The stored file no longer has the SHA-256 recorded at upload."))
        if self.chain_matches is False:
            found.append(_("The token records a different SHA-256 for this document."))
        if not self.chain_answered:
            found.append(_("The chain node did not answer; the on-chain hash was not compared."))
        return found


def onchain_names(application: Application) -> dict[str, str]:
    """SHA-256 -> the name under which the issue recorded the document on the token."""
    operation = application.issue_operation
    if operation is None:
        return {}
    return {
        str(entry["sha256"]).removeprefix("0x"): entry["name"]
        for entry in operation.payload.get("documents", [])
    }


def file_sha256(document: Document) -> str:
    try:
        return stored_sha256(document.file.name)
    except OSError:
        return ""


def documents_verify(
    application: Application, documents: list[Document], *, w3: Web3 | None
) -> list[DocumentVerification]:
    """Re-hash each document's file and compare with the DB and (when issued) the chain."""
    names = onchain_names(application)
    chain: dict[str, str] = {}
    answered = True
    if application.token_address and w3 is not None:
        try:
            chain = token_facts(w3, application.token_address).documents
        except ChainUnavailable:
            answered = False
        except NoContract:
            # No token there: every document it should record counts as not recorded.
            chain = {}
    results = []
    for document in documents:
        name = names.get(document.sha256)
        results.append(
            DocumentVerification(
                document=document,
                file_sha256=file_sha256(document),
                chain_sha256=None if name is None else chain.get(name, ""),
                chain_answered=answered or name is None,
            )
        )
    return results
