"""Issuance end to end through a real worker, broker, database and anvil: approval to mint,
distribution by CSV, redemption, and the ledger reconciled against the chain after each."""

from django.core.files.uploadedfile import SimpleUploadedFile

from issuance import services
from issuance.models import Application, Distribution, Redemption
from qoima.audit.actions import AuditAction
from qoima.audit.models import AuditEntry
from qoima.chain.deployment import platform_registry_ensure
from qoima.chain.direct import BackedAssetToken
from qoima.chain.indexer import index_until_head
from qoima.chain.models import Operation, TokenBalance
from qoima.custody.selectors import custodial_wallet, organisation_wallet
from tests.onchain import assert_ledger_matches_chain, issued, until


def test_approval_issues_and_mints_the_token_with_the_data_the_db_holds(worker_factory, chain):
    worker = worker_factory.start()
    world, application = issued(worker, chain)
    token = BackedAssetToken(chain, application.token_address)
    organisation = application.organisation
    assert token.issuer() == (
        organisation.legal_name,
        organisation.identification_number,
        world.permit.number,
    )
    assert token.cap() == int(application.backed_units)
    assert token.total_supply() == int(application.mint_units)
    assert (token.name(), token.symbol(), token.decimals()) == (
        "Wheat, class 3, Kostanay elevator",
        "WHT3",
        2,
    )
    for document in application.documents.all():
        stored = token.get_document(document.kind)
        assert stored.sha256.hex() == document.sha256
    wallet = organisation_wallet(organisation)
    assert token.balance_of(wallet.address) == int(application.mint_units)
    balance = TokenBalance.objects.get(token_address=token.address, holder=wallet.address)
    assert int(balance.amount) == int(application.mint_units)
    assert application.mint_operation.state == Operation.State.CONFIRMED
    assert_ledger_matches_chain(chain)


def test_a_csv_distribution_and_a_redemption_reach_the_chain_once(worker_factory, chain):
    worker = worker_factory.start()
    world, application = issued(worker, chain)
    token = BackedAssetToken(chain, application.token_address)
    rows = "holder,amount\n" + "".join(
        f"{holder.identification_number},{n + 1}.25\n" for n, holder in enumerate(world.holders)
    )
    distribution = services.distribution_upload(
        actor=world.issuer,
        application_id=application.pk,
        upload=SimpleUploadedFile("rows.csv", rows.encode()),
        idempotency_key="first",
    )
    # The worker checks the file (its task was enqueued on commit) and sends it.
    until(
        worker,
        lambda: Distribution.objects.get(pk=distribution.pk).status == Distribution.Status.DONE,
    )
    for n, holder in enumerate(world.holders):
        assert token.balance_of(custodial_wallet(holder).address) == (n + 1) * 100 + 25
    assert_ledger_matches_chain(chain)
    done = AuditEntry.objects.get(action=AuditAction.DISTRIBUTION_DONE)
    assert done.object_id == str(distribution.pk)
    assert len(done.details["operations"]) >= 1

    holder = world.holders[2]
    supply = token.total_supply()
    redemption = services.redemption_request(
        actor=holder.user, application_id=application.pk, amount="2"
    )
    services.redemption_fulfil(
        actor=world.issuer, redemption_id=redemption.pk, reference="Waybill 0042"
    )
    until(
        worker,
        lambda: Redemption.objects.get(pk=redemption.pk).status == Redemption.Status.REDEEMED,
    )
    assert token.total_supply() == supply - 200
    assert token.balance_of(custodial_wallet(holder).address) == 325 - 200
    assert_ledger_matches_chain(chain)


def test_the_demo_asset_is_minted_distributed_and_partly_redeemed(worker_factory, chain, settings):
    from issuance.demo import DEMO_SHARES, demo_assets_load, demo_assets_move
    from qoima.participants.demo import demo_load
    from qoima.participants.models import HolderProfile

    worker = worker_factory.start()
    platform_registry_ensure(chain)
    demo_load()
    assert demo_assets_load() is True
    assert demo_assets_load() is False
    statuses = sorted(Application.objects.values_list("status", flat=True))
    assert statuses == ["draft", "issuing", "submitted"]

    def moved():
        index_until_head(w3=chain)
        return demo_assets_move()

    until(worker, moved)
    wheat = Application.objects.get(status=Application.Status.ISSUED)
    token = BackedAssetToken(chain, wheat.token_address)
    for number, amount in DEMO_SHARES.items():
        wallet = custodial_wallet(HolderProfile.objects.get(identification_number=number))
        assert token.balance_of(wallet.address) == int(amount) * 100
    redemption = Redemption.objects.get()
    assert redemption.status == Redemption.Status.REQUESTED
    # Moving again changes nothing: every step is keyed.
    assert demo_assets_move() is True
    assert Distribution.objects.count() == len(DEMO_SHARES)
    assert Redemption.objects.count() == 1
    assert_ledger_matches_chain(chain)


def test_the_demo_market_trades_and_the_trade_settles_on_chain(worker_factory, chain, settings):
    from issuance.demo import demo_assets_load, demo_assets_move
    from qoima.exchange.demo import demo_exchange_load
    from qoima.exchange.matching.matcher import market_step
    from qoima.exchange.models import Market, Order, Trade
    from qoima.participants.demo import demo_load

    worker = worker_factory.start()
    platform_registry_ensure(chain)
    demo_load()
    assert demo_exchange_load() is False
    demo_assets_load()

    def moved():
        index_until_head(w3=chain)
        return demo_assets_move()

    until(worker, moved)
    assert demo_exchange_load() is True
    market = Market.objects.get()
    market_step(market_id=market.pk)
    # Loading again places nothing twice: every order has its client order id.
    assert demo_exchange_load() is True
    market_step(market_id=market.pk)
    assert Order.objects.count() == 4
    trade = Trade.objects.get()
    assert (trade.price, trade.quantity, trade.amount_tiyn) == (260_000, 1_000, 2_600_000)

    def settled():
        index_until_head(w3=chain)
        return Trade.objects.get(pk=trade.pk).state == Trade.State.FINAL

    until(worker, settled)
    assert sorted(Order.objects.values_list("state", flat=True)) == [
        "filled",
        "open",
        "open",
        "partially_filled",
    ]
    assert_ledger_matches_chain(chain)
