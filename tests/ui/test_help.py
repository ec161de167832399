"""Each role's help page explains the role, its states and Art. 5, in the reader's language;
/help/ opens the reader's own role's page."""

import re

import pytest
from django.test import Client
from django.utils import translation

from issuance.models import Application
from issuance.selectors import ART5_ITEMS
from qoima.exchange.models import Withdrawal
from qoima.participants.models import HolderProfile, Permit
from qoima.ui.help import ROLE_PAGES
from tests.factories import make_user
from tests.pages import visible_text

LANGUAGES = ["ru", "kk", "en"]
# A state each role's page must explain, read in the reader's language.
A_STATE = {
    "issuer": Application.Status.CHANGES_REQUESTED,
    "holder": HolderProfile.Status.UNVERIFIED,
    "compliance": Permit.Status.PENDING,
    "regulator": Permit.Status.REVOKED,
    "administrator": Application.Status.ISSUING,
    "treasury": Withdrawal.State.AWAITING_SECOND,
}


def in_language(language: str, text: object) -> str:
    """A lazy text or a message id, as ``language`` reads it."""
    with translation.override(language):
        return translation.gettext(text) if isinstance(text, str) else str(text)


def text_of(html: str, name: str) -> str:
    """The visible text of the element carrying ``data-testid=name``, up to its own end tag."""
    found = re.search(rf'<(\w+)[^>]*data-testid="{name}"[^>]*>(.*?)</\1>', html, re.S)
    assert found is not None, f"no {name} on the page"
    return visible_text(found.group(2))


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("slug", list(ROLE_PAGES))
def test_each_roles_page_reads_in_the_readers_language(slug, language):
    response = Client(HTTP_ACCEPT_LANGUAGE=language).get(f"/help/{slug}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert text_of(html, "help-title") == in_language(language, ROLE_PAGES[slug].label)
    art5 = text_of(html, "help-art5")
    assert in_language(language, "Art. 5 checklist") in art5
    for number, wording in ART5_ITEMS.items():
        assert in_language(language, wording) in text_of(html, f"art5-item-{number}")
    assert in_language(language, A_STATE[slug].label) in text_of(html, "help-states")
    assert text_of(html, "help-steps")
    assert text_of(html, "help-contact")


@pytest.mark.django_db
def test_the_russian_page_is_not_the_english_one():
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get("/help/issuer/").content.decode()
    russian = Client(HTTP_ACCEPT_LANGUAGE="ru").get("/help/issuer/").content.decode()

    assert text_of(english, "help-title") == "Issuer staff"
    assert text_of(russian, "help-title") != "Issuer staff"
    assert "Has the issuer's decision on issuance" in text_of(english, "help-art5")
    assert "Has the issuer's decision on issuance" not in text_of(russian, "help-art5")


@pytest.mark.django_db
@pytest.mark.parametrize("slug", list(ROLE_PAGES))
def test_help_opens_the_readers_own_role(slug):
    role = ROLE_PAGES[slug]
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user(role))

    response = client.get("/help/", follow=True)

    assert response.redirect_chain == [(f"/help/{slug}/", 302)]
    html = response.content.decode()
    assert text_of(html, "help-title") == in_language("en", role.label)
    # Its own page is marked as the reader's, first in the list, and every other is linked.
    nav = re.search(r'data-testid="help-nav".*?</nav>', html, re.S)
    assert nav is not None
    links = re.findall(r'data-testid="help-link-(\w+)"', nav.group(0))
    assert links[0] == slug
    assert sorted(links) == sorted(ROLE_PAGES)
    assert re.search(rf'help-link-{slug}"[^>]*>\s*<span>[^<]*</span>\s*<span[^>]*help-yours', html)
    assert html.count('data-testid="help-yours"') == 1


@pytest.mark.django_db
def test_a_visitor_chooses_a_role():
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get("/help/")

    assert response.status_code == 200
    html = response.content.decode()
    assert text_of(html, "help-title") == "Help"
    for slug, role in ROLE_PAGES.items():
        assert f'href="/help/{slug}/"' in html
        assert in_language("en", role.label) in visible_text(html)
    assert "Has the issuer's decision on issuance" in text_of(html, "help-art5")
    assert 'data-testid="help-yours"' not in html


@pytest.mark.django_db
def test_a_page_for_no_role_is_not_found():
    assert Client().get("/help/issuer_staff/").status_code == 404


@pytest.mark.django_db
def test_every_help_page_leads_to_the_api_reference():
    html = Client(HTTP_ACCEPT_LANGUAGE="en").get("/help/regulator/").content.decode()

    assert 'href="/api/docs/"' in html
    assert text_of(html, "help-api-docs") == "API reference"
