"""A holder links an address they control by signing the platform's message; compliance
approves it; every refusal says what the holder reads."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from eth_account import Account
from eth_account.messages import encode_defunct

from qoima.chain.models import Operation, TokenBalance
from qoima.custody.models import Wallet, WalletLink
from qoima.custody.services import (
    wallet_link_decide,
    wallet_link_request,
    wallet_link_sign,
    wallet_unlink,
)
from qoima.errors import Conflict, InvalidInput, NotAllowed
from tests.exchange.conftest import TOKEN
from tests.pages import visible_text

pytestmark = pytest.mark.django_db

DOMAIN, URI = "qoima.kz", "https://qoima.kz/"


def signed(key, link):
    return key.sign_message(encode_defunct(text=link.message)).signature.to_0x_hex()


def ask(party, address):
    return wallet_link_request(actor=party.user, address=address, domain=DOMAIN, uri=URI)


def test_a_signed_link_approved_by_compliance_becomes_an_allowlisted_external_wallet(
    officer, alice
):
    # A key the platform never sees: only its address and its signature reach the platform.
    key = Account.create()
    link = ask(alice, key.address.lower())
    assert link.address == key.address
    message = link.message
    assert message.startswith(f"{DOMAIN} wants you to sign in with your Ethereum account:\n")
    assert f"\n{key.address}\n" in message
    assert "Alice (791028302728)" in message
    assert f"Nonce: {link.nonce}" in message
    assert "Chain ID: 31337" in message

    link = wallet_link_sign(actor=alice.user, link_id=link.pk, signature=signed(key, link))
    assert link.state == WalletLink.State.SIGNED
    link = wallet_link_decide(officer=officer, link_id=link.pk, approve=True)
    assert link.state == WalletLink.State.APPROVED
    wallet = link.wallet
    assert (wallet.kind, wallet.holder, wallet.address) == ("external", alice.holder, key.address)
    allowlist = Operation.objects.get(kind="allowlist", account=key.address)
    assert allowlist.state == Operation.State.PENDING


def test_the_wallet_page_shows_the_message_to_sign_and_the_linked_wallet(client, alice):
    key = Account.create()
    client.force_login(alice.user)
    answer = client.post(reverse("wallet-link-request"), {"address": key.address})
    link = WalletLink.objects.get()
    assert answer["Location"] == reverse("wallet-link", args=[link.pk])
    page = client.get(answer["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert link.message.splitlines()[0] in visible_text(page.content.decode())
    wrong = client.post(
        answer["Location"], {"signature": signed(Account.create(), link)}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert wrong.status_code == 400
    assert f"This is not the signature of this message by {key.address}." in visible_text(
        wrong.content.decode()
    )
    done = client.post(answer["Location"], {"signature": signed(key, link)})
    assert done.status_code == 302
    wallet_page = visible_text(
        client.get(reverse("holder-transfers"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    assert "Signed, waiting for compliance" in wallet_page


def test_a_signature_for_another_holders_message_is_refused(officer, alice, bank):
    key = Account.create()
    theirs = ask(alice, key.address)
    mine = ask(bank, key.address)
    with pytest.raises(InvalidInput) as refused:
        wallet_link_sign(actor=bank.user, link_id=mine.pk, signature=signed(key, theirs))
    assert refused.value.code == "signature_mismatch"
    assert str(refused.value.message) == (
        f"This is not the signature of this message by {key.address}."
    )
    mine.refresh_from_db()
    assert mine.state == WalletLink.State.AWAITING_SIGNATURE


def test_a_nonce_is_good_once(alice):
    key = Account.create()
    link = ask(alice, key.address)
    signature = signed(key, link)
    wallet_link_sign(actor=alice.user, link_id=link.pk, signature=signature)
    with pytest.raises(Conflict) as refused:
        wallet_link_sign(actor=alice.user, link_id=link.pk, signature=signature)
    assert refused.value.code == "nonce_used"
    assert str(refused.value.message) == (
        "This request was signed already: its nonce cannot be used again."
    )


def test_an_address_another_participant_holds_cannot_be_linked(alice, bank):
    with pytest.raises(InvalidInput) as refused:
        ask(alice, bank.wallet.address)
    assert refused.value.code == "address_taken"
    assert str(refused.value.message) == (
        "This address belongs to another participant of the platform."
    )
    key = Account.create()
    link = ask(bank, key.address)
    wallet_link_sign(actor=bank.user, link_id=link.pk, signature=signed(key, link))
    with pytest.raises(InvalidInput, match="another participant"):
        ask(alice, key.address)


def test_an_expired_request_is_refused(alice):
    key = Account.create()
    link = ask(alice, key.address)
    WalletLink.objects.filter(pk=link.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    with pytest.raises(Conflict, match="expired"):
        wallet_link_sign(actor=alice.user, link_id=link.pk, signature=signed(key, link))


def test_a_wallet_holding_units_is_not_unlinked(officer, alice, asset):
    key = Account.create()
    link = ask(alice, key.address)
    wallet_link_sign(actor=alice.user, link_id=link.pk, signature=signed(key, link))
    wallet = wallet_link_decide(officer=officer, link_id=link.pk, approve=True).wallet
    TokenBalance.objects.create(chain_id=31337, token_address=TOKEN, holder=key.address, amount=5)
    with pytest.raises(Conflict, match="still holds units"):
        wallet_unlink(actor=alice.user, wallet_id=wallet.pk)
    TokenBalance.objects.filter(holder=key.address).update(amount=0)
    wallet_unlink(actor=alice.user, wallet_id=wallet.pk)
    wallet.refresh_from_db()
    assert wallet.kind == Wallet.Kind.RETIRED
    assert Operation.objects.filter(kind="delist", account=key.address).exists()


def test_only_a_verified_holder_links_and_only_compliance_decides(officer, alice, bank):
    key = Account.create()
    link = ask(alice, key.address)
    wallet_link_sign(actor=alice.user, link_id=link.pk, signature=signed(key, link))
    with pytest.raises(NotAllowed):
        wallet_link_decide(officer=bank.user, link_id=link.pk, approve=True)
    with pytest.raises(NotAllowed):
        wallet_link_request(actor=officer, address=key.address, domain=DOMAIN, uri=URI)
