"""One key's owner links the same address to several holders at once: one link wins, the
others are refused with the message a holder reads, and nothing breaks."""

from eth_account import Account
from eth_account.messages import encode_defunct

from qoima.custody.models import WalletLink
from qoima.custody.services import wallet_link_request, wallet_link_sign
from qoima.errors import ApplicationError
from tests.issuance.conftest import make_world
from tests.threads import together

THREADS = 6


def test_one_address_signed_for_several_holders_at_once_links_to_one(committed_db):
    holders = make_world(holder_count=THREADS).holders
    key = Account.create()
    links = [
        wallet_link_request(actor=h.user, address=key.address, domain="qoima.kz", uri="/")
        for h in holders
    ]

    def sign(i):
        link = links[i]
        signature = key.sign_message(encode_defunct(text=link.message)).signature.to_0x_hex()
        return wallet_link_sign(actor=holders[i].user, link_id=link.pk, signature=signature)

    results = together(THREADS, sign)
    unexpected = [
        r for r in results if isinstance(r, Exception) and not isinstance(r, ApplicationError)
    ]
    assert unexpected == []
    refused = [r for r in results if isinstance(r, ApplicationError)]
    assert {r.code for r in refused} == {"address_taken"}
    assert len(refused) == THREADS - 1
    assert WalletLink.objects.filter(state=WalletLink.State.SIGNED).count() == 1
