"""The mail the platform sent, as the embedded default keeps it: files under ``var/mail/``.

Django's file-based email backend writes each connection's messages into one file, one after
another, each followed by a line of 79 dashes. Staff read them in the administration, so a
demo needs no mail server; a file that cannot be read is named on the page, never an error.
"""

import datetime
import email
import email.policy
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from django.conf import settings
from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _

# What the file-based backend writes after each message.
SEPARATOR = b"\n" + b"-" * 79 + b"\n"
# Files larger than this are not read: the demo's mails are a few kilobytes each.
MAX_FILE_BYTES = 10 * 1024 * 1024
# The page lists at most this many mails, newest first.
MAX_LISTED = 500


@dataclass(frozen=True)
class Mail:
    file: str
    index: int
    sent_at: datetime.datetime | None
    to: str
    subject: str
    body: str


@dataclass(frozen=True)
class Mailbox:
    folder: Path | None
    mails: list[Mail]
    unreadable: list[str]


def mail_folder() -> Path | None:
    """Where the platform's mail is kept, or None when it is sent elsewhere."""
    folder = getattr(settings, "EMAIL_FILE_PATH", None)
    if not settings.EMAIL_BACKEND.endswith(".filebased.EmailBackend") or not folder:
        return None
    return Path(folder)


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    if part is None:
        return ""
    content = part.get_content()
    return content if isinstance(content, str) else ""


def _mail(file: str, index: int, raw: bytes) -> Mail:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    if not isinstance(message, EmailMessage) or ("To" not in message and "Subject" not in message):
        raise ValueError("not a mail")
    sent_at = getattr(message["Date"], "datetime", None)
    if sent_at is not None and sent_at.tzinfo is None:
        # Django dates its mail in UTC, written "-0000", which parses without a zone.
        sent_at = sent_at.replace(tzinfo=datetime.UTC)
    return Mail(
        file=file,
        index=index,
        sent_at=sent_at,
        to=str(message["To"] or "").strip(),
        subject=" ".join(str(message["Subject"] or "").split()),
        body=_body(message),
    )


def _mails_in(file: Path) -> list[Mail]:
    if file.stat().st_size > MAX_FILE_BYTES:
        raise ValueError("too large")
    chunks = [chunk.strip(b"\n") for chunk in file.read_bytes().split(SEPARATOR)]
    return [_mail(file.name, index, chunk) for index, chunk in enumerate(chunks) if chunk]


def _written(file: Path) -> int:
    try:
        return file.stat().st_mtime_ns
    except OSError:
        return 0


def mailbox_read(folder: Path | None = None) -> Mailbox:
    """Every mail in the folder, newest first; files that are not mail are named apart."""
    folder = folder if folder is not None else mail_folder()
    if folder is None:
        return Mailbox(folder=None, mails=[], unreadable=[])
    mails: list[Mail] = []
    unreadable: list[str] = []
    try:
        # Oldest file first: a date says the second a mail was sent, the file's order the rest.
        files = sorted((e for e in folder.iterdir() if e.is_file()), key=lambda e: (_written(e), e))
    except OSError:
        return Mailbox(folder=folder, mails=[], unreadable=[])
    for file in files:
        try:
            mails.extend(_mails_in(file))
        except (OSError, ValueError, LookupError, TypeError):
            # A malformed header or an unknown charset is a bad file, not a broken page.
            unreadable.append(file.name)
    oldest = datetime.datetime.min.replace(tzinfo=datetime.UTC)
    order = {mail: n for n, mail in enumerate(mails)}
    mails.sort(key=lambda mail: (mail.sent_at or oldest, order[mail]), reverse=True)
    return Mailbox(folder=folder, mails=mails[:MAX_LISTED], unreadable=unreadable)


def mailbox_index(request: HttpRequest) -> HttpResponse:
    mailbox = mailbox_read()
    context = {
        **admin.site.each_context(request),
        "title": _("Mail sent by the platform"),
        "mailbox": mailbox,
    }
    return render(request, "admin/mailbox.html", context)


def mailbox_mail(request: HttpRequest, file: str, index: int) -> HttpResponse:
    mailbox = mailbox_read()
    found = next((m for m in mailbox.mails if m.file == file and m.index == index), None)
    if found is None:
        raise Http404(_("No such mail."))
    context = {**admin.site.each_context(request), "title": found.subject, "mail": found}
    return render(request, "admin/mailbox_mail.html", context)


urlpatterns = [
    path("", admin.site.admin_view(mailbox_index), name="admin-mailbox"),
    path(
        "<str:file>/<int:index>/",
        admin.site.admin_view(mailbox_mail),
        name="admin-mailbox-mail",
    ),
]
