"""Emails to the people concerned at each step, through Django's email backend."""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import translation
from django.utils.functional import Promise

from qoima.events import event
from qoima.participants.models import Organisation, Role, User

logger = logging.getLogger(__name__)


def notify(*, users: Iterable[User], subject: Promise, body: Promise, **values: object) -> None:
    """Mail each user, in their language, once the current transaction commits.

    A user's language is their preferred language (set in the admin, or when they choose one
    on the site), else the platform's default. Everything the mail says is put into words in
    that language: pass labels (a status, a kind) as their lazy translations, never as text
    already rendered in the language of whoever acted.
    """
    recipients = [(user.email, user.preferred_language) for user in users if user.email]
    if not recipients:
        return

    def send() -> None:
        messages = []
        for email, language in recipients:
            with translation.override(language or settings.LANGUAGE_CODE):
                rendered = {
                    key: str(value) if isinstance(value, Promise) else value
                    for key, value in values.items()
                }
                messages.append(
                    (
                        str(subject) % rendered,
                        str(body) % rendered,
                        settings.DEFAULT_FROM_EMAIL,
                        [email],
                    )
                )
        sent = send_mass_mail(messages, fail_silently=True)
        for subject_text, _body, _sender, (email,) in messages:
            if sent:
                event("mail to %s — %s", email, subject_text)
            else:
                logger.error("mail to %s could not be sent — %s", email, subject_text)

    transaction.on_commit(send)


def officers() -> list[User]:
    return list(User.objects.filter(groups__name=Role.COMPLIANCE_OFFICER, is_active=True))


def issuer_staff(organisation: Organisation) -> list[User]:
    return list(organisation.staff.filter(is_active=True))
