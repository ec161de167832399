"""The admin site as a product: a screen for every model of the platform, the records the
workflow writes only looked at, every screen answering in Russian, Kazakh and English, Kazakh
pages free of Russian, and the platform's colours within WCAG AA contrast."""

import gettext
import re
from pathlib import Path
from typing import Any

import django
import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models, transaction
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import trans_real

from issuance import services as issuance
from issuance.models import Document, DocumentCheck
from issuance.services.distribution import distribution_process
from qoima.accounts.models import AccountSession, ApiToken
from qoima.audit.admin import ReadOnlyAdmin
from qoima.audit.models import AuditEntry, AuditHead, ChainCheck
from qoima.audit.services import audit_seal
from qoima.chain.models import (
    Attempt,
    Batcher,
    ChainTransaction,
    ComplianceEvent,
    DailyVolume,
    EventBlock,
    Hold,
    IndexedBlock,
    IndexerCursor,
    NodeHealth,
    Operation,
    PlatformDeployment,
    PlatformToken,
    Receipt,
    ReconciliationDifference,
    ReconciliationRun,
    SigningKey,
    TokenBalance,
    TokenTransfer,
    WorkerHeartbeat,
)
from qoima.custody.models import WalletLink
from qoima.enforcement.models import EnforcementAct, LegalBasis
from qoima.enforcement.services import ActData, BasisData, act_request
from qoima.exchange.models import (
    BankAccount,
    CashAccount,
    Market,
    MarketEvent,
    MatcherHeartbeat,
    Order,
    OrderChange,
    StatementImport,
    StatementLine,
    Trade,
    Transfer,
    Withdrawal,
)
from qoima.exchange.services import transfer_request, treasury
from qoima.exchange.services.cash import (
    Entry,
    member_accounts,
    member_ensure_in_transaction,
    platform_account,
    postings_write_in_transaction,
)
from qoima.participants.models import Role
from tests.factories import PDF, make_user
from tests.issuance.conftest import issued_without_chain, make_world
from tests.pages import visible_texts

pytestmark = pytest.mark.django_db

LANGUAGES = ["ru", "kk", "en"]
# The apps whose every model has an admin screen (README, "Admin screens").
PLATFORM_APPS = [
    "audit",
    "participants",
    "accounts",
    "custody",
    "chain",
    "exchange",
    "enforcement",
    "issuance",
    "registry",
]
# What the workflow writes, hashes or reads from the chain: the admin shows it and changes
# nothing, so it never bypasses the services that keep it consistent and audited.
READ_ONLY = [
    AuditEntry,
    AuditHead,
    ChainCheck,
    Operation,
    ChainTransaction,
    Attempt,
    Receipt,
    TokenTransfer,
    TokenBalance,
    Hold,
    Document,
    DocumentCheck,
    Transfer,
    BankAccount,
    StatementImport,
    StatementLine,
    Withdrawal,
    ComplianceEvent,
    LegalBasis,
    EnforcementAct,
    WalletLink,
    AccountSession,
    ApiToken,
]
ADMIN_CSS = Path(settings.BASE_DIR) / "qoima" / "ui" / "static" / "ui" / "admin.css"


def platform_models() -> list[type[models.Model]]:
    return [model for label in PLATFORM_APPS for model in apps.get_app_config(label).get_models()]


def _hash(n: int) -> str:
    return "0x" + f"{n:064x}"


@pytest.fixture
def rows(db):
    """At least one row of every platform model: an issued asset with its documents, reviews,
    a refused distribution file, a redemption, a transfer, and what the chain side records."""
    world = make_world(holder_count=2)
    application = issued_without_chain(world)
    upload = SimpleUploadedFile("bad.csv", b"000000000000,12,50\n", content_type="text/csv")
    distribution = issuance.distribution_upload(
        actor=world.issuer, application_id=application.pk, upload=upload, idempotency_key="d-1"
    )
    distribution_process(distribution_id=distribution.pk)
    issuance.distribution_send(
        actor=world.issuer,
        application_id=application.pk,
        receiver=world.holders[0].identification_number,
        amount="5",
        idempotency_key="send-1",
    )
    TokenBalance.objects.create(
        chain_id=settings.CHAIN_ID,
        token_address=application.token_address,
        holder=world.holders[0].wallets.get().address,
        amount=10_000,
    )
    issuance.redemption_request(
        actor=world.holders[0].user, application_id=application.pk, amount="1"
    )
    transfer_request(
        actor=world.holders[0].user,
        token_address=application.token_address,
        receiver_number=world.holders[1].identification_number,
        amount="1",
        idempotency_key="t-1",
    )
    chain_id, now = settings.CHAIN_ID, timezone.now()
    _exchange_rows(world, application.token_address)
    _treasury_rows(world)
    document = Document.objects.first()
    assert document is not None
    DocumentCheck.objects.create(document=document, file_sha256=document.sha256, ok=True)
    NodeHealth.objects.create(
        chain_id=chain_id, block_number=7, block_hash=_hash(7), observed_at=now
    )
    PlatformDeployment.objects.get_or_create(
        chain_id=chain_id,
        defaults={
            "registry_address": "0x" + "12" * 20,
            "deploy_tx_hash": _hash(1),
            "block_number": 1,
            "admin_address": "0x" + "34" * 20,
            "operator_address": "0x" + "56" * 20,
            "compliance_address": "0x" + "78" * 20,
            "artifact_sha256": "ab" * 32,
            "deployed_at": now,
        },
    )
    WorkerHeartbeat.objects.create(worker="celery@node-1", seen_at=now)
    MatcherHeartbeat.objects.create(name="matcher@node-1", seen_at=now)
    IndexerCursor.objects.update_or_create(
        chain_id=chain_id, defaults={"block_number": 7, "applied_block": 7}
    )
    IndexedBlock.objects.create(
        chain_id=chain_id, number=7, block_hash=_hash(7), parent_hash=_hash(6)
    )
    EventBlock.objects.create(chain_id=chain_id, number=7, block_hash=_hash(7), timestamp=now)
    TokenTransfer.objects.create(
        chain_id=chain_id,
        token_address=application.token_address,
        block_number=7,
        block_hash=_hash(7),
        log_index=0,
        tx_hash=_hash(70),
        sender="0x" + "00" * 20,
        receiver=world.holders[0].wallets.get().address,
        amount=5,
        ref=1,
        applied=True,
    )
    DailyVolume.objects.create(
        chain_id=chain_id, token_address=application.token_address, day=now.date(), minted=5
    )
    Hold.objects.get_or_create(
        key="admin-screen-hold",
        defaults={
            "chain_id": chain_id,
            "token_address": application.token_address,
            "holder": world.holders[0].wallets.get().address,
            "amount": 1,
        },
    )
    run = ReconciliationRun.objects.create(chain_id=chain_id, block_number=7)
    ReconciliationDifference.objects.create(
        run=run,
        kind=ReconciliationDifference.Kind.BALANCE,
        token_address=application.token_address,
        subject=world.holders[0].wallets.get().address,
        database_value="2",
        chain_value="1",
    )
    SigningKey.objects.get_or_create(chain_id=chain_id, address="0x" + "56" * 20)
    Batcher.objects.get_or_create(chain_id=chain_id)
    sent = ChainTransaction.objects.create(
        chain_id=chain_id,
        from_address="0x" + "56" * 20,
        to_address=application.token_address,
        data=b"\x00",
        function="mint",
        nonce=0,
        gas_limit=100_000,
        state=ChainTransaction.State.CONFIRMED,
    )
    attempt = Attempt.objects.create(
        transaction=sent,
        chain_id=chain_id,
        tx_hash=_hash(71),
        raw=b"\x02",
        max_fee_per_gas=1,
        max_priority_fee_per_gas=1,
    )
    Receipt.objects.create(
        attempt=attempt,
        tx_hash=_hash(71),
        block_number=7,
        block_hash=_hash(7),
        status=1,
        gas_used=21_000,
    )
    ComplianceEvent.objects.create(
        chain_id=chain_id,
        contract=application.token_address,
        block_number=7,
        block_hash=_hash(7),
        log_index=1,
        tx_hash=_hash(72),
        kind=ComplianceEvent.Kind.UNITS_FROZEN,
        account=world.holders[0].wallets.get().address,
        amount=1,
        reason_hash=_hash(9),
        applied=True,
    )
    act_request(
        officer=make_user(Role.COMPLIANCE_OFFICER),
        data=ActData(
            kind="freeze_wallet",
            reason="Court order",
            subject=world.holders[1].identification_number,
        ),
        basis=BasisData(
            kind="court_decision",
            number="2-1/2026",
            issued_on=now.date(),
            authority="Court",
            document=SimpleUploadedFile("order.pdf", PDF, content_type="application/pdf"),
        ),
    )
    Client().force_login(world.holders[0].user)
    ApiToken.objects.create(user=world.holders[0].user, name="Portfolio sync")
    WalletLink.objects.create(
        holder=world.holders[0],
        address="0x" + "9a" * 20,
        nonce="n-admin",
        message="qoima.kz wants you to sign in with your Ethereum account",
        expires_at=now,
    )
    audit_seal()
    ChainCheck.objects.create(entries_checked=AuditEntry.objects.count(), ok=True)
    empty = [model.__name__ for model in platform_models() if not model.objects.exists()]
    assert empty == []
    return world


def _treasury_rows(world: Any) -> None:
    """A statement crediting a holder, the holder's bank account and a withdrawal to it."""
    holder = world.holders[0].user
    member = treasury.member_join(actor=holder)
    row = f"2026-12-06,100.00,KZT,ADMIN-1,Payer,,{member.payment_reference}"
    treasury.statement_import(
        actor=make_user(Role.TREASURY_OFFICER),
        file_name="statement.csv",
        content=(",".join(treasury.CSV_COLUMNS) + "\n" + row + "\n").encode(),
        file_format="csv",
    )
    account = treasury.bank_account_add(
        actor=holder, iban="KZ18722S000012345678", holder_name="Holder"
    )
    treasury.withdrawal_request(actor=holder, bank_account_id=account.pk, amount="10")


def _exchange_rows(world: Any, token_address: str) -> None:
    """A trade between the world's two holders, written as the matcher writes it."""
    buyer, seller = (member_ensure_in_transaction(holder=holder) for holder in world.holders[:2])
    omnibus = platform_account(CashAccount.Kind.OMNIBUS)
    available = member_accounts(buyer)[CashAccount.Kind.AVAILABLE]
    with transaction.atomic():
        postings_write_in_transaction(
            [Entry("deposit", "deposit:1", "deposit:1", [(omnibus.pk, -500), (available.pk, 500)])]
        )
    token = PlatformToken.objects.get(address=token_address)
    market = Market.objects.create(
        token=token,
        tick_tiyn=1,
        lot_units=1,
        min_units=1,
        max_units=100,
        band_bps=1000,
        maker_fee_bps=10,
        taker_fee_bps=20,
        reference_price=100,
    )
    orders = [
        Order.objects.create(
            market=market,
            member=member,
            client_order_id="o-1",
            side=side,
            type=Order.Type.LIMIT,
            time_in_force=Order.TimeInForce.GTC,
            price=100,
            quantity=1,
            placed_by=world.holders[0].user,
        )
        for member, side in ((buyer, Order.Side.BUY), (seller, Order.Side.SELL))
    ]
    OrderChange.objects.create(order=orders[0], kind=OrderChange.Kind.CANCEL, reason="member")
    Trade.objects.create(
        market=market,
        seq=1,
        buy_order=orders[0],
        sell_order=orders[1],
        buyer=buyer,
        seller=seller,
        maker_side=Order.Side.SELL,
        price=100,
        quantity=1,
        amount_tiyn=100,
        buyer_fee_tiyn=1,
        seller_fee_tiyn=1,
        operation=Operation.objects.filter(kind=Operation.Kind.TRANSFER).earliest("pk"),
    )
    MarketEvent.objects.create(
        market=market, seq=1, kind=MarketEvent.Kind.ACCEPTED, order=orders[1], at=timezone.now()
    )


def superuser_client(language: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(make_user(Role.PLATFORM_ADMIN, is_staff=True, is_superuser=True))
    return client


def test_every_platform_model_has_an_admin_screen():
    unregistered = [
        model.__name__ for model in platform_models() if not admin.site.is_registered(model)
    ]
    assert unregistered == []
    assert len(platform_models()) >= 27


def test_what_the_workflow_writes_is_only_looked_at_in_the_admin():
    request = RequestFactory().get("/admin/")
    request.user = make_user(Role.PLATFORM_ADMIN, is_staff=True, is_superuser=True)
    for model in READ_ONLY:
        model_admin = admin.site._registry[model]
        assert isinstance(model_admin, ReadOnlyAdmin), model
        assert model_admin.has_view_permission(request), model
        allowed = [
            name
            for name, permitted in (
                ("add", model_admin.has_add_permission(request)),
                ("change", model_admin.has_change_permission(request)),
                ("delete", model_admin.has_delete_permission(request)),
            )
            if permitted
        ]
        assert allowed == [], model


def test_an_operation_cannot_be_changed_through_its_admin_page(rows):
    client = superuser_client("en")
    operation = Operation.objects.order_by("pk").first()
    assert operation is not None
    url = reverse("admin:chain_operation_change", args=[operation.pk])
    page = client.get(url).content.decode()
    assert 'name="_save"' not in page
    assert 'name="state"' not in page
    response = client.post(url, {"state": "confirmed", "amount": "1"})
    assert response.status_code == 403
    assert Operation.objects.get(pk=operation.pk).state == operation.state
    delete = client.post(
        reverse("admin:chain_operation_delete", args=[operation.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    assert Operation.objects.filter(pk=operation.pk).exists()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_admin_list_and_record_page_answers_in_each_language(rows, language):
    client = superuser_client(language)
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    assert f'<html lang="{language}"' in index.content.decode()
    failed = {}
    for model in platform_models():
        meta = model._meta
        listing = client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        record = model.objects.order_by("pk").first()
        assert record is not None, model
        page = client.get(
            reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[record.pk])
        )
        if (listing.status_code, page.status_code) != (200, 200):
            failed[model.__name__] = (listing.status_code, page.status_code)
            continue
        # The list is titled with the model's name in the reader's language.
        with translation.override(language):
            plural = str(meta.verbose_name_plural)
        assert plural.lower() in listing.content.decode().lower(), (model, plural)
    assert failed == {}


def test_every_admin_page_shows_the_platform_name_and_the_way_back(rows):
    for language, header, back in [
        ("ru", "Qoima · Администрирование", "Панель"),
        ("kk", "Qoima · Әкімшілік", "Басқару панелі"),
        ("en", "Qoima · Administration", "Dashboard"),
    ]:
        client = superuser_client(language)
        html = client.get(reverse("admin:participants_organisation_changelist")).content.decode()
        texts = visible_texts(html)
        assert header in texts, language
        assert back in texts, language
        assert f'href="{reverse("dashboard")}"' in html
        assert "ui/admin.css" in html


def _russian_of_django_admin() -> set[str]:
    """Russian texts of Django's admin, auth and contenttypes catalogues that are not also
    Kazakh (words like "Qoima" or a lone "ID" are the same in both)."""
    kazakh = trans_real.translation("kk")._catalog  # type: ignore[attr-defined]
    found: set[str] = set()
    root = Path(django.__file__).parent / "contrib"
    for app in ("admin", "auth", "contenttypes"):
        with (root / app / "locale" / "ru" / "LC_MESSAGES" / "django.mo").open("rb") as mo:
            russian = gettext.GNUTranslations(mo)._catalog  # type: ignore[attr-defined]
        for msgid, text in russian.items():
            if not msgid or not re.search("[а-яё]", text, re.IGNORECASE):
                continue
            if kazakh.get(msgid) != text and len(text) > 3:
                found.add(text)
    return found


def test_the_kazakh_admin_index_and_lists_read_in_kazakh_without_russian(rows):
    client = superuser_client("kk")
    russian = _russian_of_django_admin()
    pages = {
        "index": reverse("admin:index"),
        "list": reverse("admin:participants_organisation_changelist"),
        "record": reverse(
            "admin:participants_organisation_change", args=[rows.permit.organisation_id]
        ),
        "audit": reverse("admin:audit_auditentry_changelist"),
    }
    seen: dict[str, str] = {}
    found: dict[str, list[str]] = {}
    for name, url in pages.items():
        html = client.get(url).content.decode()
        seen[name] = " | ".join(visible_texts(html))
        wrong = [text for text in visible_texts(html) if text in russian]
        wrong += [
            s for s in ("Администрирование сайта", "Добавить", "Изменить", "Выйти") if s in html
        ]
        if wrong:
            found[name] = wrong
    assert found == {}
    # Django's own admin texts, in Kazakh: the index's title and log-out button, the list's
    # filter and search, the record's save button.
    assert "Платформаны әкімшілендіру" in seen["index"]
    assert "| Шығу |" in seen["index"]
    assert "Сүзу" in seen["audit"]
    html = client.get(pages["audit"]).content.decode()
    assert 'value="Іздеу"' in html
    assert 'value="Сақтау"' in client.get(pages["record"]).content.decode()


def test_the_kazakh_admin_calendar_and_selection_texts_are_kazakh(rows):
    """The admin's scripts (the date picker, "n of m selected") read their texts from the
    JavaScript catalogue, which falls back to Russian for what Kazakh lacks."""
    client = superuser_client("kk")
    script = client.get(reverse("admin:jsi18n")).content.decode()
    # The catalogue is JSON with every non-ASCII letter escaped.
    script = re.sub(r"\\u([0-9a-fA-F]{4})", lambda code: chr(int(code.group(1), 16)), script)
    for russian in ("Январь", "Понедельник", "Выберите дату", "Сегодня", "Отмена"):
        assert russian not in script
    for kazakh in ("Қаңтар", "Дүйсенбі", "Бүгін"):
        assert kazakh in script


def _colours(block: str) -> dict[str, str]:
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})\s*;", block))


def _contrast(first: str, second: str) -> float:
    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_admin_colours_are_tablers_and_keep_aa_contrast():
    css = ADMIN_CSS.read_text(encoding="utf-8")
    light = _colours(css.split("@media")[0])
    dark_block = css.split('html[data-theme="dark"]')[1]
    dark = {**light, "body-bg": "#121212", "darkened-bg": "#212121", **_colours(dark_block)}
    assert light["primary"] == light["link-fg"] == light["button-bg"] == "#066fd1"
    assert light["header-bg"] == "#182433"
    assert light["delete-button-bg"] == "#d63939"
    light["body-bg"] = "#ffffff"
    pairs = [
        ("link-fg", "body-bg"),
        ("link-fg", "darkened-bg"),
        ("link-fg", "selected-bg"),
        ("link-fg", "selected-row"),
        ("link-hover-color", "body-bg"),
        ("body-fg", "body-bg"),
        ("body-quiet-color", "body-bg"),
        ("body-quiet-color", "darkened-bg"),
        ("error-fg", "body-bg"),
        ("error-fg", "message-error-bg"),
        ("header-color", "header-bg"),
        ("header-link-color", "header-bg"),
        ("breadcrumbs-fg", "breadcrumbs-bg"),
        ("primary-fg", "primary"),
        ("button-fg", "button-bg"),
        ("button-fg", "button-hover-bg"),
        ("button-fg", "default-button-bg"),
        ("button-fg", "delete-button-bg"),
        ("button-fg", "delete-button-hover-bg"),
        ("button-fg", "close-button-bg"),
    ]
    weak = {
        (theme, fg, bg): round(_contrast(colours[fg], colours[bg]), 2)
        for theme, colours in (("light", light), ("dark", dark))
        for fg, bg in pairs
        if _contrast(colours[fg], colours[bg]) < 4.5
    }
    assert weak == {}
