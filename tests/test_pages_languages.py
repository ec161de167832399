"""Every page of every role, in Russian, Kazakh and English, reads in that language: no raw
code (a choice's value, a document kind, an audit action) and, on Russian and Kazakh pages,
none of the platform's English sentences where its catalogue has a translation."""

import gettext
import re
from collections import deque
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urlsplit

import django
import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext as gettext_
from django.utils.translation import trans_real
from rest_framework.test import APIClient

from issuance import services as issuance
from issuance.models import Application
from issuance.services.distribution import distribution_process
from qoima.audit.actions import AuditAction
from qoima.exchange.services import treasury
from qoima.participants import services as participants
from qoima.participants.models import Role
from tests.audit.actions import recorded_actions
from tests.factories import make_user
from tests.issuance.conftest import issued_without_chain, make_world
from tests.pages import visible_text, visible_texts

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ["ru", "kk", "en"]
# Paths a walk does not follow: they act (log out, switch language), stream files, or answer
# for programs rather than people.
SKIPPED = ("/accounts/logout/", "/i18n/", "/api/", "/static/", "/healthz", "/admin/logout/")
PAGES_PER_ROLE = 120


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)


def _followed(href: str) -> str | None:
    parts = urlsplit(urldefrag(href)[0])
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    if parts.path.startswith(SKIPPED) or "export=" in parts.query or "check=" in parts.query:
        return None
    # One visit a path: the same list with other filters reads the same labels.
    return parts.path


def walk(client: Client, starts: list[str]) -> Iterator[tuple[str, str]]:
    """Each page reachable from ``starts`` by following links, with its HTML."""
    seen = set(starts)
    queue = deque(starts)
    while queue and len(seen) <= PAGES_PER_ROLE:
        path = queue.popleft()
        response = client.get(path, follow=True)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        yield path, html
        parser = _Links()
        parser.feed(html)
        for href in parser.links:
            target = _followed(href)
            if target and target not in seen:
                seen.add(target)
                queue.append(target)


def known_codes() -> set[str]:
    """Codes that must never be read as text: every choice value that is not a plain word,
    every audit action."""
    codes = set(AuditAction.values) | recorded_actions() | {role.value for role in Role}
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.Field) and field.choices:
                codes.update(str(value) for value, _label in field.flatchoices if "_" in str(value))
    return {code for code in codes if "_" in code or "." in code}


def english_sentences(language: str) -> set[str]:
    """The platform's own English messages that its catalogue translates into ``language``."""
    with (ROOT / "locale" / language / "LC_MESSAGES" / "django.mo").open("rb") as mo:
        catalogue = gettext.GNUTranslations(mo)._catalog  # type: ignore[attr-defined]
    return {
        msgid
        for msgid, text in catalogue.items()
        if isinstance(msgid, str)
        and text
        and text != msgid
        and len(msgid) >= 12
        and " " in msgid
        and "%" not in msgid
        and "{" not in msgid
        and "\x04" not in msgid
    }


@pytest.fixture
def platform(db):
    """Every role, with something on each page: an issued asset and a draft, documents, a
    refused distribution file, a redemption, a suspended holder and a suspended permit."""
    world = make_world(holder_count=2)
    application = issued_without_chain(world)
    world.draft(name="Barley", symbol="BRL2")
    upload = SimpleUploadedFile("bad.csv", b"000000000000,12,50\n", content_type="text/csv")
    distribution = issuance.distribution_upload(
        actor=world.issuer, application_id=application.pk, upload=upload, idempotency_key="d-1"
    )
    distribution_process(distribution_id=distribution.pk)
    participants.holder_suspend(
        officer=world.officer_a, holder_id=world.holders[1].pk, reason="Court order 12"
    )
    participants.permit_set_status(
        actor=world.officer_a,
        permit_id=world.permit.pk,
        status="suspended",
        reason="Inspection",
        document_ref="ORD-1",
    )
    users: dict[str, Any] = {
        "applications": list(Application.objects.values_list("pk", flat=True)),
        "issuer": world.issuer,
        "holder": world.holders[0].user,
        "compliance": world.officer_a,
        "regulator": make_user(Role.REGULATOR),
        "admin": participants.user_create(
            actor=None,
            username="platform-admin",
            email="admin@example.kz",
            password="correct-horse-battery-9",
            role=Role.PLATFORM_ADMIN,
        ),
        "treasury": make_user(Role.TREASURY_OFFICER),
    }
    # Tenge on the holder's cash page and receipts in the treasury's queue.
    treasury.member_join(actor=world.holders[0].user)
    treasury.statement_import(
        actor=users["treasury"],
        file_name="statement.sta",
        content=(Path(__file__).parent / "exchange" / "data" / "statement.sta").read_bytes(),
        file_format="mt940",
    )
    return users


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "role", ["issuer", "holder", "compliance", "regulator", "admin", "treasury"]
)
def test_every_page_reads_in_the_readers_language(platform, role, language):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(platform[role])
    codes = known_codes()
    pattern = re.compile(
        r"(?<![\w.])("
        + "|".join(re.escape(c) for c in sorted(codes, key=len, reverse=True))
        + r")(?![\w.])"
    )
    english = english_sentences(language) if language != "en" else set()
    # Whole sentences are found inside longer texts too ("Error: <sentence>").
    sentences = {s for s in english if s.endswith(".") and len(s) > 20}
    # Pages a role reaches from a list it has no link to here (an officer opens an issued
    # asset from a notification) are started from as well; those it may not see answer 403.
    starts = ["/dashboard/", "/wallet/"]
    starts += [f"/issuance/{pk}/" for pk in platform["applications"]]
    starts += ["/admin/"] if role == "admin" else []
    found: dict[str, list[str]] = {}
    pages = 0
    for path, html in walk(client, starts):
        pages += 1
        wrong = sorted(set(pattern.findall(visible_text(html))))
        wrong += sorted(
            text
            for text in visible_texts(html)
            if text in english or any(text.startswith(f"{s} ") for s in sentences)
        )
        if wrong:
            found[path] = wrong
    assert pages > 3
    assert found == {}


def _django_russian_missing_in_kazakh() -> dict[str, str]:
    """Russian texts of Django's own catalogues whose Kazakh catalogue lacks them: what Django
    shows on a Kazakh page when nothing else translates them (it falls back to the default
    language, Russian)."""
    found: dict[str, str] = {}
    for mo in Path(django.__file__).parent.rglob("locale/ru/LC_MESSAGES/django.mo"):
        with mo.open("rb") as file:
            russian = gettext.GNUTranslations(file)._catalog  # type: ignore[attr-defined]
        kazakh_mo = Path(str(mo).replace("/ru/", "/kk/"))
        kazakh: dict[str, str] = {}
        if kazakh_mo.exists():
            with kazakh_mo.open("rb") as file:
                kazakh = gettext.GNUTranslations(file)._catalog  # type: ignore[attr-defined]
        found.update(
            (text, msgid)
            for msgid, text in russian.items()
            if isinstance(msgid, str) and msgid and text and not kazakh.get(msgid) and len(text) > 3
        )
    return found


def test_the_kazakh_admin_reads_in_kazakh(platform):
    client = Client(HTTP_ACCEPT_LANGUAGE="kk")
    client.force_login(platform["admin"])
    russian = _django_russian_missing_in_kazakh()
    # Every Kazakh catalogue Django reads (its own, the platform's, the libraries'), merged:
    # what it has not is what a Kazakh page would show in Russian.
    kazakh = trans_real.translation("kk")._catalog
    untranslated = {text for text, msgid in russian.items() if not kazakh.get(msgid)}
    found: dict[str, list[str]] = {}
    pages = 0
    for path, html in walk(client, ["/admin/"]):
        pages += 1
        wrong = [text for text in visible_texts(html) if text in untranslated]
        if wrong:
            found[path] = wrong
    assert pages > 10
    assert found == {}


@pytest.mark.parametrize(
    ("language", "english"),
    [("ru", "Not a valid string."), ("kk", "Not a valid string.")],
)
def test_the_api_answers_in_the_readers_language(platform, language, english):
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.force_authenticate(platform["holder"])
    response = client.post(
        "/api/v1/transfers/",
        {"asset": {"a": 1}, "to": ["x"], "amount": "1"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert english not in body
    with translation.override(language):
        assert gettext_(english) in response.json()["asset"]
