"""Staff read the mail the platform sent, kept as files in the embedded default."""

import re

import pytest
from django.core.mail import EmailMessage, send_mail
from django.test import Client, override_settings
from django.urls import reverse

from qoima.participants.models import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db

FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"


def staff_client() -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user(Role.PLATFORM_ADMIN, is_staff=True))
    return client


def test_staff_see_each_mail_with_its_subject_and_its_text_escaped(tmp_path):
    with override_settings(EMAIL_BACKEND=FILE_BACKEND, EMAIL_FILE_PATH=tmp_path):
        EmailMessage(
            "Одобрено: Пшеница 3 класса",
            "Өтінім мақұлданды. <b>Заявка</b> одобрена.",
            "Qoima <no-reply@qoima.kz>",
            ["issuer@demo.qoima.kz"],
            headers={"Date": "Wed, 01 Jan 2025 10:00:00 -0000"},
        ).send()
        send_mail("Second", "Екінші хат.", "no-reply@qoima.kz", ["holder1@demo.qoima.kz"])
        client = staff_client()
        page = client.get(reverse("admin-mailbox"))
        text = page.content.decode()
        assert page.status_code == 200
        assert "Одобрено: Пшеница 3 класса" in text
        assert "issuer@demo.qoima.kz" in text
        # Sent at 10:00 UTC, shown in Almaty's time.
        assert "1 Jan 2025, 15:00" in text
        # Newest first.
        assert text.index("Second") < text.index("Одобрено: Пшеница 3 класса")
        link = re.search(r'<a href="([^"]+)">Одобрено: Пшеница 3 класса</a>', text)
        assert link is not None
        opened = client.get(link.group(1))

    body = opened.content.decode()
    assert opened.status_code == 200
    assert "Өтінім мақұлданды." in body
    assert "&lt;b&gt;Заявка&lt;/b&gt;" in body
    assert "<b>Заявка</b>" not in body


def test_others_are_sent_to_the_admin_login(tmp_path):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user(Role.HOLDER))
    with override_settings(EMAIL_BACKEND=FILE_BACKEND, EMAIL_FILE_PATH=tmp_path):
        page = client.get(reverse("admin-mailbox"))
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("admin:login"))


def test_a_file_that_is_not_mail_is_named_and_the_rest_still_listed(tmp_path):
    (tmp_path / "garbage.log").write_bytes(b"\xff\xfe\x00 not a mail \x00" * 100)
    (tmp_path / "half.log").write_bytes(b"Subject: =?unknown-8?b?AAAA?=\nTo: \n\n")
    with override_settings(EMAIL_BACKEND=FILE_BACKEND, EMAIL_FILE_PATH=tmp_path):
        send_mail("Заявка на рассмотрение", "Текст.", "no-reply@qoima.kz", ["a@demo.qoima.kz"])
        page = staff_client().get(reverse("admin-mailbox"))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Заявка на рассмотрение" in text
    assert "garbage.log" in text


def test_a_missing_mail_answers_not_found(tmp_path):
    with override_settings(EMAIL_BACKEND=FILE_BACKEND, EMAIL_FILE_PATH=tmp_path / "none"):
        client = staff_client()
        assert "No mail yet." in client.get(reverse("admin-mailbox")).content.decode()
        assert client.get(reverse("admin-mailbox-mail", args=["x.log", 0])).status_code == 404


def test_the_admin_index_links_to_the_mailbox():
    page = staff_client().get(reverse("admin:index"))
    assert page.status_code == 200
    assert f'href="{reverse("admin-mailbox")}"' in page.content.decode()
