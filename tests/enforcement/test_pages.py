"""Every refusal of an act or a wallet link as the person reads it on the page, with a 4xx, and
nothing changed."""

import pytest
from django.test import Client
from django.urls import reverse
from eth_account import Account
from eth_account.messages import encode_defunct

from qoima.chain.models import TokenBalance
from qoima.custody.models import WalletLink
from qoima.custody.services import wallet_link_request
from qoima.enforcement.models import EnforcementAct, LegalBasis
from qoima.participants.models import Role
from tests.exchange.conftest import TOKEN
from tests.factories import make_user, pdf_upload
from tests.pages import visible_text
from tests.second_factor import proved_minutes_ago

from .acts import ALICE, BANK, K, ask

pytestmark = pytest.mark.django_db

FORM = {
    "reason": "Определение суда № 2-117/2026",
    "basis_kind": "court_decision",
    "basis_number": "2-117/2026",
    "basis_issued_on": "2026-12-01",
    "basis_authority": "СМЭС г. Алматы",
}


def client_of(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def text(answer):
    return visible_text(answer.content.decode())


def test_an_act_without_its_document_reads_why_and_nothing_is_recorded(officer, alice, asset):
    answer = client_of(officer).post(
        reverse("enforcement-act-new"), {**FORM, "kind": "freeze_wallet", "subject": ALICE}
    )
    assert answer.status_code == 400
    assert "Every act needs its legal basis: upload the document (PDF, PNG or JPEG)." in text(
        answer
    )
    assert not EnforcementAct.objects.exists()
    assert not LegalBasis.objects.exists()


def test_unfreezing_more_than_is_frozen_reads_how_much_is(officer, alice, asset):
    TokenBalance.objects.filter(holder=alice.wallet.address).update(frozen=1_000, reserved=1_000)
    answer = client_of(officer).post(
        reverse("enforcement-act-new"),
        {
            **FORM,
            "kind": "unfreeze_units",
            "subject": ALICE,
            "token_address": TOKEN,
            "amount": "10.01",
            "basis_document": pdf_upload("order.pdf"),
        },
    )
    assert answer.status_code == 400
    assert (
        "Only 10.00 ABAY10 of Alice (791028302728) are frozen; 10.01 ABAY10 cannot be released."
        in text(answer)
    )
    assert not EnforcementAct.objects.exists()


def test_a_forced_transfer_confirmed_by_its_requester_reads_why_and_waits(
    officer, alice, bank, asset
):
    act = ask(
        officer, K.FORCED_TRANSFER, subject=ALICE, token_address=TOKEN, amount="1", receiver=BANK
    )
    client = client_of(officer)
    page = text(client.get(reverse("enforcement-act", args=[act.pk])))
    assert "You asked for this act: a different officer must confirm it." in page
    answer = client.post(reverse("enforcement-act-confirm", args=[act.pk]))
    assert answer.status_code == 403
    assert "You asked for this act; a different officer must confirm it." in text(answer)
    act.refresh_from_db()
    assert (act.state, act.operation) == (EnforcementAct.State.AWAITING_CONFIRMATION, None)
    other = client_of(make_user(Role.COMPLIANCE_OFFICER))
    assert other.post(reverse("enforcement-act-confirm", args=[act.pk])).status_code == 302
    act.refresh_from_db()
    assert act.state == EnforcementAct.State.PENDING


def test_a_forced_transfer_waits_for_an_officer_who_proved_both_factors_just_now(
    officer, alice, bank, asset
):
    act = ask(
        officer, K.FORCED_TRANSFER, subject=ALICE, token_address=TOKEN, amount="1", receiver=BANK
    )
    second = client_of(make_user(Role.COMPLIANCE_OFFICER))
    proved_minutes_ago(second, 6)
    page = reverse("enforcement-act", args=[act.pk])
    asked = second.post(
        reverse("enforcement-act-confirm", args=[act.pk]), HTTP_REFERER=f"http://testserver{page}"
    )
    assert asked.status_code == 302
    assert asked["Location"].startswith(reverse("two-factor-confirm"))
    act.refresh_from_db()
    assert (act.state, act.operation) == (EnforcementAct.State.AWAITING_CONFIRMATION, None)
    shown = text(second.get(asked["Location"]))
    assert "This act needs you to confirm it is you" in shown


def test_only_compliance_reaches_the_acts(alice, asset):
    for user in (alice.user, make_user(Role.REGULATOR), make_user(Role.PLATFORM_ADMIN)):
        assert client_of(user).get(reverse("enforcement-acts")).status_code == 403


def _signed(key, link):
    return key.sign_message(encode_defunct(text=link.message)).signature.to_0x_hex()


def test_a_signature_for_another_holders_message_and_a_reused_nonce_read_why(alice, bank):
    key = Account.create()
    theirs = wallet_link_request(actor=alice.user, address=key.address, domain="d", uri="/")
    mine = wallet_link_request(actor=bank.user, address=key.address, domain="d", uri="/")
    client = client_of(bank.user)
    url = reverse("wallet-link", args=[mine.pk])
    answer = client.post(url, {"signature": _signed(key, theirs)})
    assert answer.status_code == 400
    assert f"This is not the signature of this message by {key.address}." in text(answer)
    assert client.post(url, {"signature": _signed(key, mine)}).status_code == 302
    again = client.post(url, {"signature": _signed(key, mine)})
    assert again.status_code == 409
    assert "This request was signed already: its nonce cannot be used again." in text(again)
    assert WalletLink.objects.get(pk=mine.pk).state == WalletLink.State.SIGNED


def test_linking_an_address_another_participant_holds_reads_why(alice, bank):
    client = client_of(alice.user)
    answer = client.post(
        reverse("wallet-link-request"), {"address": bank.wallet.address}, follow=True
    )
    assert "This address belongs to another participant of the platform." in text(answer)
    assert not WalletLink.objects.exists()


@pytest.mark.parametrize("signature", ["0x", "zz", "0x12", "0x" + "ff" * 65])
def test_a_malformed_signature_reads_why_and_changes_nothing(alice, signature):
    key = Account.create()
    link = wallet_link_request(actor=alice.user, address=key.address, domain="d", uri="/")
    answer = client_of(alice.user).post(
        reverse("wallet-link", args=[link.pk]), {"signature": signature}
    )
    assert answer.status_code == 400
    assert f"This is not the signature of this message by {key.address}." in text(answer)
    assert WalletLink.objects.get(pk=link.pk).state == WalletLink.State.AWAITING_SIGNATURE
