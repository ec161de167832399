"""Why an issue failed on-chain, as the issuer reads it on the application's page and in the
API: in the reader's language, the party by name, never a raw address or a decoded error."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from issuance import services
from issuance.models import Application
from qoima.chain.contracts import DecodedError
from qoima.chain.manager import settle_revert
from qoima.chain.models import ChainTransaction, Operation, TokenBalance
from qoima.custody.models import Wallet
from qoima.custody.selectors import custodial_wallet

from .conftest import World, issued_without_chain

SENTENCES = {
    "en": "The address {name} ({number}) is not a verified participant.",
    "ru": "Адрес {name} ({number}) не принадлежит верифицированному участнику.",
}


def refused(operation: Operation, error: DecodedError) -> None:
    """The chain refused the transaction carrying ``operation`` with ``error``, as the node's
    estimate decodes it (sending.py settles it the same way)."""
    tx = ChainTransaction.objects.create(
        chain_id=settings.CHAIN_ID,
        from_address="0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        to_address="0x5FbDB2315678afecb367f032d93F642f64180aa3",
        data="0x",
        function="batch",
    )
    Operation.objects.filter(pk=operation.pk).update(
        state=Operation.State.SUBMITTED, transaction=tx
    )
    settle_revert(tx, error, final_state=ChainTransaction.State.FATAL)


def issue_refused(world: World) -> Application:
    """A confirmed application whose issue the chain refused: an address it names had left the
    allowlist (the error as the node's estimate decodes it, raw lowercase address and all)."""
    application = world.approved()
    services.application_confirm(officer=world.officer_b, application_id=application.pk)
    application.refresh_from_db()
    issue = application.issue_operation
    assert issue is not None
    tx = ChainTransaction.objects.create(
        chain_id=settings.CHAIN_ID,
        from_address="0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        to_address="0x5FbDB2315678afecb367f032d93F642f64180aa3",
        data="0x",
        function="issueAsset",
    )
    Operation.objects.filter(pk=issue.pk).update(state=Operation.State.SUBMITTED, transaction=tx)
    wallet = Wallet.objects.get(holder=world.holders[0])
    error = DecodedError("RegistryNotAllowlisted", {"account": wallet.address.lower()})
    settle_revert(tx, error, final_state=ChainTransaction.State.FATAL)
    application.refresh_from_db()
    assert application.status == Application.Status.FAILED
    return application


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_issuer_reads_why_the_issue_failed(
    world, language, mailoutbox, django_capture_on_commit_callbacks
):
    world.issuer.preferred_language = language
    world.issuer.save(update_fields=["preferred_language"])
    with django_capture_on_commit_callbacks(execute=True):
        application = issue_refused(world)
    holder = world.holders[0]
    sentence = SENTENCES[language].format(
        name=holder.full_name, number=holder.identification_number
    )

    client = Client(headers={"Accept-Language": language})
    client.force_login(world.issuer)
    content = client.get(reverse("issuance-status", args=[application.pk])).content.decode()
    status = content[content.index('data-testid="application-status"') :]
    status = status[: status.index("</p>")]
    issue_state = content[content.index('data-testid="issue-state"') :]
    issue_state = issue_state[: issue_state.index("</dd>")]
    for shown in (status, issue_state):
        assert sentence in shown
        assert "0x" not in shown
        assert "DecodedError" not in shown
        assert "RegistryNotAllowlisted" not in shown

    api = APIClient(headers={"Accept-Language": language})
    api.force_authenticate(world.issuer)
    answer = api.get(reverse("api-application", args=[application.pk])).json()
    assert answer["status_reason"] == sentence

    told = [m for m in mailoutbox if world.issuer.email in m.to and sentence in m.body]
    assert told
    assert all("0x" not in m.body for m in told)


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("en", "{holder} holds 3.00 WHT3; 4.00 WHT3 are needed."),
        ("ru", "У {holder} единиц: 3,00 WHT3; требуется 4,00 WHT3."),
    ],
)
def test_the_holder_reads_why_a_redemption_burn_failed(world, language, sentence):
    application = issued_without_chain(world)
    holder = world.holders[0]
    wallet = custodial_wallet(holder)
    TokenBalance.objects.create(
        chain_id=settings.CHAIN_ID,
        token_address=application.token_address,
        holder=wallet.address,
        amount=1000,
    )
    redemption = services.redemption_request(
        actor=holder.user, application_id=application.pk, amount="4"
    )
    redemption = services.redemption_fulfil(
        actor=world.issuer, redemption_id=redemption.pk, reference="Act 9"
    )
    error = DecodedError(
        "ERC20InsufficientBalance", {"sender": wallet.address, "balance": 300, "needed": 400}
    )
    refused(redemption.operation, error)
    expected = sentence.format(holder=f"{holder.full_name} ({holder.identification_number})")

    for user, page in [(holder.user, "issuance-assets"), (world.issuer, "issuance-list")]:
        client = Client(headers={"Accept-Language": language})
        client.force_login(user)
        content = client.get(reverse(page)).content.decode()
        assert expected in content
        assert "DecodedError" not in content
        assert "ERC20InsufficientBalance" not in content
