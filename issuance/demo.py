"""Demo assets for the embedded default, made through the services (so reviewed and audited).

Loaded in two steps, because the second needs the chain: first the applications (one approved
by one officer and confirmed by another, so the worker issues and mints it; one waiting in the
review queue; one draft), then, once the worker has minted the first and the indexer has read
its units, a distribution to the demo holders and a redemption waiting for the issuer.
"""

import datetime
import time

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from qoima.custody.selectors import custodial_wallet, organisation_wallet
from qoima.participants.models import HolderProfile, Organisation, User

from . import services
from .models import Application, Distribution, Redemption
from .selectors import balance_of

DEMO_ISSUER_BIN = "940140000385"
ISSUED_SYMBOL = "WHTK3"
# What each demo holder receives, in whole units, and what the first asks to redeem.
DEMO_SHARES = {"791028302728": "1500", "950341000052": "4000"}
DEMO_REDEMPTION = ("791028302728", "250")


def demo_pdf(title: str) -> bytes:
    """A one-page PDF that says what the demo document stands for (ASCII text only)."""
    text = title.encode("ascii", "replace").replace(b"(", b"[").replace(b")", b"]")
    stream = b"BT /F1 14 Tf 72 760 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    size = len(objects) + 1
    out += f"trailer\n<< /Size {size} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _documents(issuer: User, application: Application, today: datetime.date, tag: str) -> None:
    decision = services.DocumentData(
        kind="issuance_decision",
        number=f"RD-{tag}",
        dated_on=today - datetime.timedelta(days=5),
        signatory="Директор Б. Ахметов",
    )
    proof = services.DocumentData(
        kind="proof_of_rights", dated_on=today - datetime.timedelta(days=60)
    )
    for data, title in (
        (decision, f"Issuance decision RD-{tag}"),
        (proof, f"Proof of rights for {tag}"),
    ):
        services.document_add(
            actor=issuer,
            application_id=application.pk,
            data=data,
            upload=SimpleUploadedFile(f"{data.kind}-{tag}.pdf", demo_pdf(title)),
        )


def demo_assets_load(*, today: datetime.date | None = None) -> bool:
    """The demo applications, once; returns False when the demo issuer already has some.

    Each step is a use case that commits on its own, as the issuer's and officers' would.
    """
    organisation = Organisation.objects.filter(identification_number=DEMO_ISSUER_BIN).first()
    if organisation is None or organisation.applications.exists():
        return False
    today = today or timezone.localdate()
    issuer = organisation.staff.get(username="issuer")
    officer, checker = (
        User.objects.get(username="compliance"),
        User.objects.get(username="compliance2"),
    )
    wheat = services.application_create(
        actor=issuer,
        data=services.ApplicationData(
            name="Пшеница 3 класса, элеватор Костанай",
            symbol=ISSUED_SYMBOL,
            asset_class="tangible_asset",
            description=(
                "Зерно пшеницы 3 класса на хранении в элеваторе г. Костанай, складское "
                "свидетельство № 17; одна единица — одна тонна."
            ),
            asset_identifier="12:345:678:901",
            decimals=2,
            backed_amount="100000",
            mint_amount="100000",
        ),
    )
    _documents(issuer, wheat, today, "WHT-2026-01")
    services.application_submit(actor=issuer, application_id=wheat.pk)
    services.application_approve(
        officer=officer,
        application_id=wheat.pk,
        confirmed_items=[1, 2, 3, 4, 5, 6, 7],
        note="Складское свидетельство сверено с реестром элеватора.",
    )
    services.application_confirm(officer=checker, application_id=wheat.pk)

    seeds = services.application_create(
        actor=issuer,
        data=services.ApplicationData(
            name="Лицензия на сорт «Алтын Дала»",
            symbol="ALTDL",
            asset_class="ip_asset",
            description="Право использования селекционного достижения, патент № 1234.",
            asset_identifier="KZ-PAT-1234",
            decimals=0,
            backed_amount="500",
            mint_amount="500",
        ),
    )
    _documents(issuer, seeds, today, "ALT-2026-02")
    services.application_submit(actor=issuer, application_id=seeds.pk)

    services.application_create(
        actor=issuer,
        data=services.ApplicationData(
            name="Хранение зерна, сезон 2027",
            symbol="STOR27",
            asset_class="tangible_service",
            description="Услуга хранения одной тонны зерна в течение сезона 2027 года.",
            asset_identifier="ELV-KST-2027",
            decimals=0,
            backed_amount="20000",
            mint_amount="20000",
        ),
    )
    return True


def demo_assets_move() -> bool:
    """Once the demo asset is minted and its units read: send the holders their shares, and
    once they hold them, ask to redeem part. Safe to call again; True when all is done."""
    wheat = Application.objects.filter(
        symbol=ISSUED_SYMBOL, organisation__identification_number=DEMO_ISSUER_BIN
    ).first()
    if wheat is None or wheat.status != Application.Status.ISSUED:
        return False
    issuer = wheat.organisation.staff.get(username="issuer")
    wallet = organisation_wallet(wheat.organisation)
    assert wallet is not None
    _held, free = balance_of(token_address=wheat.token_address, holder=wallet.address)
    sent = Distribution.objects.filter(application=wheat, idempotency_key__startswith="demo-")
    if not sent.exists():
        if free == 0:
            return False
        for number, amount in DEMO_SHARES.items():
            services.distribution_send(
                actor=issuer,
                application_id=wheat.pk,
                receiver=number,
                amount=amount,
                idempotency_key=f"demo-{number}",
            )
        return False
    if Redemption.objects.filter(application=wheat).exists():
        return True
    number, amount = DEMO_REDEMPTION
    holder = HolderProfile.objects.get(identification_number=number)
    if sent.exclude(status=Distribution.Status.DONE).exists():
        return False
    holder_wallet = custodial_wallet(holder)
    if holder_wallet is None:
        return False
    _held, free = balance_of(token_address=wheat.token_address, holder=holder_wallet.address)
    if free == 0:
        return False
    services.redemption_request(actor=holder.user, application_id=wheat.pk, amount=amount)
    return True


def demo_assets_follow(*, timeout: float) -> bool:
    """Call ``demo_assets_move`` every few seconds until it is done or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if demo_assets_move():
            return True
        time.sleep(2)
    return False
