"""An issuer with a permit, two officers and verified holders, and documents to upload."""

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from web3 import Web3

from issuance import services
from issuance.models import Application
from qoima.chain.models import TokenBalance
from qoima.custody.selectors import custodial_wallet
from qoima.custody.services import holder_wallet_open_in_transaction
from qoima.participants.models import HolderProfile, Role, User
from tests.factories import HolderProfileFactory, PermitFactory, make_user, valid_iins

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


def pdf(name: str = "decision.pdf", extra: bytes = b"") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF + extra, content_type="application/pdf")


@dataclass
class World:
    issuer: User
    officer_a: User
    officer_b: User
    holders: list[HolderProfile]
    permit: Any

    def draft(self, **overrides: Any) -> Application:
        values: dict[str, Any] = {
            "name": "Wheat, class 3, Kostanay elevator",
            "symbol": "WHT3",
            "asset_class": "tangible_asset",
            "description": "Grain stored at the Kostanay elevator, warehouse receipt 17.",
            "asset_identifier": "12:345:678:901",
            "decimals": 2,
            "backed_amount": "100000",
            "mint_amount": "100000",
        }
        values.update(overrides)
        return services.application_create(
            actor=self.issuer, data=services.ApplicationData(**values)
        )

    def upload(self, application: Application, kind: str, **values: Any) -> Any:
        table: dict[str, dict[str, Any]] = {
            "issuance_decision": {
                "number": "R-17",
                "dated_on": datetime.date.today() - datetime.timedelta(days=3),
                "signatory": "А. Директоров",
            },
            "proof_of_rights": {"dated_on": datetime.date.today() - datetime.timedelta(days=30)},
            "other": {"title": "Elevator licence"},
        }
        defaults = table[kind]
        upload = values.pop("upload", None) or pdf(f"{kind}.pdf", kind.encode())
        return services.document_add(
            actor=self.issuer,
            application_id=application.pk,
            data=services.DocumentData(kind=kind, **{**defaults, **values}),
            upload=upload,
        )

    def submitted(self, **overrides: Any) -> Application:
        application = self.draft(**overrides)
        self.upload(application, "issuance_decision")
        self.upload(application, "proof_of_rights")
        return services.application_submit(actor=self.issuer, application_id=application.pk)

    def approved(self, **overrides: Any) -> Application:
        application = self.submitted(**overrides)
        return services.application_approve(
            officer=self.officer_a,
            application_id=application.pk,
            confirmed_items=[1, 2, 3, 4, 5, 6, 7],
        )


def make_world(holder_count: int = 2) -> World:
    issuer = make_user(Role.ISSUER_STAFF)
    permit = PermitFactory(organisation=issuer.organisation)
    officer_a = make_user(Role.COMPLIANCE_OFFICER)
    officer_b = make_user(Role.COMPLIANCE_OFFICER)
    holders: list[Any] = []
    for number in valid_iins(holder_count):
        holder: Any = HolderProfileFactory(
            identification_number=number,
            verification_status=HolderProfile.Status.VERIFIED,
            verified_by=officer_a,
            verified_at=datetime.datetime.now(datetime.UTC),
        )
        with transaction.atomic():
            holder_wallet_open_in_transaction(holder=holder, actor=officer_a)
        holders.append(holder)
    return World(issuer, officer_a, officer_b, holders, permit)


@pytest.fixture
def world(db: None) -> World:
    return make_world()


TOKEN = "0x" + "ab" * 20


def issued_without_chain(world: World, *, units: int = 10_000_000) -> Application:
    """An application as the chain would leave it once issued and minted, for tests of what
    follows that need no chain: the issuer's wallet holds ``units`` in the ledger."""
    from django.conf import settings

    from qoima.chain.models import PlatformToken, TokenBalance
    from qoima.custody.selectors import organisation_wallet

    application = world.approved()
    services.application_confirm(officer=world.officer_b, application_id=application.pk)
    Application.objects.filter(pk=application.pk).update(
        status=Application.Status.ISSUED, token_address=Web3.to_checksum_address(TOKEN)
    )
    application.refresh_from_db()
    PlatformToken.objects.get_or_create(
        chain_id=settings.CHAIN_ID,
        address=application.token_address,
        defaults={
            "asset_id": "0x" + "ab" * 32,
            "block_number": 1,
            "name": application.name,
            "symbol": application.symbol,
            "decimals": application.decimals,
        },
    )
    wallet = organisation_wallet(application.organisation)
    assert wallet is not None
    TokenBalance.objects.create(
        chain_id=settings.CHAIN_ID,
        token_address=application.token_address,
        holder=wallet.address,
        amount=units,
    )
    return application


def holder_with_units(world, application, units):
    holder = world.holders[0]
    TokenBalance.objects.create(
        chain_id=settings.CHAIN_ID,
        token_address=application.token_address,
        holder=custodial_wallet(holder).address,
        amount=units,
    )
    return holder
