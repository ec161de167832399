"""Distribution by CSV and one by one, and redemption, against the ledger (no chain needed)."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from issuance import services
from issuance.models import Distribution, DistributionLine, Redemption
from issuance.selectors import distribution_errors
from issuance.tasks import issuance_distribution_process
from qoima.chain.models import Hold, Operation, TokenBalance
from qoima.custody.selectors import custodial_wallet, organisation_wallet
from qoima.errors import ApplicationError, Conflict
from tests.factories import valid_iins

from .conftest import holder_with_units, issued_without_chain


def upload(world, application, text: str, key: str = "k1") -> Distribution:
    distribution = services.distribution_upload(
        actor=world.issuer,
        application_id=application.pk,
        upload=SimpleUploadedFile("rows.csv", text.encode()),
        idempotency_key=key,
    )
    return services.distribution_process(distribution_id=distribution.pk)


def test_a_good_file_becomes_one_transfer_per_row(world):
    application = issued_without_chain(world)
    a, b = world.holders
    text = f"holder,amount\n{a.identification_number},10.50\n{b.pk},5\n"
    distribution = upload(world, application, text)
    assert distribution.status == Distribution.Status.SENDING
    assert distribution.row_count == 2
    assert int(distribution.total_units) == 1550
    lines = list(DistributionLine.objects.filter(distribution=distribution))
    assert [(line.line, int(line.amount)) for line in lines] == [(2, 1050), (3, 500)]
    ops = Operation.objects.filter(kind="transfer")
    sender = organisation_wallet(application.organisation).address
    assert {op.sender for op in ops} == {sender}
    assert {op.receiver for op in ops} == {custodial_wallet(a).address, custodial_wallet(b).address}
    balance = TokenBalance.objects.get(holder=sender)
    assert int(balance.reserved) == 1550


def test_a_file_with_bad_rows_reports_each_and_moves_nothing(world):
    application = issued_without_chain(world)
    a, _b = world.holders
    (unknown,) = valid_iins(1, start=500)
    text = "\n".join(
        [
            f"{a.identification_number},10",  # line 1: good
            f"{unknown},1",  # line 2: no such holder
            "791028302720,1",  # line 3: bad check digit
            f"{a.identification_number},-3",  # line 4: negative
            f"{a.identification_number},1.001",  # line 5: too many decimals
            f"{a.identification_number}",  # line 6: one column
            f"{a.identification_number},abc",  # line 7: not a number
        ]
    )
    distribution = upload(world, application, text)
    assert distribution.status == Distribution.Status.INVALID
    errors = distribution_errors(distribution)
    assert [error.line for error in errors] == [2, 3, 4, 5, 6, 7]
    reasons = {error.line: error.reason for error in errors}
    assert "No holder" in reasons[2]
    assert "check digit" in reasons[3]
    assert "above zero" in reasons[4]
    assert "decimal places" in reasons[5]
    assert "two columns" in reasons[6]
    assert not Operation.objects.filter(kind="transfer").exists()
    assert not DistributionLine.objects.exists()


def test_a_file_sending_more_than_the_issuer_has_moves_nothing(world):
    application = issued_without_chain(world, units=1000)
    a, b = world.holders
    distribution = upload(world, application, f"{a.pk},6\n{b.pk},6\n")
    assert distribution.status == Distribution.Status.INVALID
    (error,) = distribution_errors(distribution)
    assert error.line == 0
    assert error.reason == (
        "The file sends 12.00 WHT3 in all; the issuer's wallet has 10.00 WHT3 available."
    )
    assert not Operation.objects.filter(kind="transfer").exists()


def test_an_unverified_holder_row_is_refused(world):
    application = issued_without_chain(world)
    a, _b = world.holders
    a.verification_status = "suspended"
    a.save()
    distribution = upload(world, application, f"{a.pk},1\n")
    shown = [(e.line, e.reason, e.codes) for e in distribution_errors(distribution)]
    assert shown == [(1, "The holder is not verified.", ["not_verified"])]


def test_the_same_upload_twice_is_one_distribution(world):
    application = issued_without_chain(world)
    a, _b = world.holders
    first = upload(world, application, f"{a.pk},1\n", key="same")
    second = upload(world, application, f"{a.pk},1\n", key="same")
    assert first.pk == second.pk
    assert Operation.objects.filter(kind="transfer").count() == 1


def test_a_file_over_the_row_limit_is_refused(world, settings):
    settings.ISSUANCE_DISTRIBUTION_MAX_ROWS = 2
    application = issued_without_chain(world)
    a, _b = world.holders
    distribution = upload(world, application, f"{a.pk},1\n" * 3)
    assert distribution.status == Distribution.Status.INVALID
    assert "at most 2" in distribution_errors(distribution)[0].reason


def test_sending_before_the_asset_is_issued_is_refused(world):
    application = world.approved()
    with pytest.raises(Conflict):
        services.distribution_send(
            actor=world.issuer,
            application_id=application.pk,
            receiver=world.holders[0].identification_number,
            amount="1",
            idempotency_key="x",
        )


def test_a_single_send_requests_one_transfer(world):
    application = issued_without_chain(world)
    a = world.holders[0]
    distribution = services.distribution_send(
        actor=world.issuer,
        application_id=application.pk,
        receiver=a.identification_number,
        amount="2.25",
        idempotency_key="one",
    )
    line = distribution.lines.get()
    assert int(line.amount) == 225
    assert line.operation.receiver == custodial_wallet(a).address


# ------------------------------------------------------------------------------ redemption


def test_a_redemption_holds_the_units_until_the_issuer_decides(world):
    application = issued_without_chain(world)
    holder = holder_with_units(world, application, 1000)
    redemption = services.redemption_request(
        actor=holder.user, application_id=application.pk, amount="4"
    )
    balance = TokenBalance.objects.get(holder=custodial_wallet(holder).address)
    assert int(balance.reserved) == 400
    assert Hold.objects.get().released_at is None
    services.redemption_fulfil(actor=world.issuer, redemption_id=redemption.pk, reference="Act 9")
    redemption.refresh_from_db()
    assert redemption.status == Redemption.Status.BURNING
    burn = redemption.operation
    assert (burn.kind, int(burn.amount), burn.sender) == ("burn", 400, balance.holder)
    balance.refresh_from_db()
    # The hold became the burn's reservation: still 400, not 800.
    assert int(balance.reserved) == 400
    assert Hold.objects.get().released_at is not None


def test_a_refused_redemption_gives_the_units_back(world):
    application = issued_without_chain(world)
    holder = holder_with_units(world, application, 1000)
    redemption = services.redemption_request(
        actor=holder.user, application_id=application.pk, amount="10"
    )
    with pytest.raises(ApplicationError):
        services.redemption_refuse(actor=world.issuer, redemption_id=redemption.pk, reason="")
    services.redemption_refuse(
        actor=world.issuer, redemption_id=redemption.pk, reason="Warehouse closed"
    )
    balance = TokenBalance.objects.get(holder=custodial_wallet(holder).address)
    assert int(balance.reserved) == 0
    with pytest.raises(Conflict):
        services.redemption_fulfil(actor=world.issuer, redemption_id=redemption.pk, reference="x")


def test_a_redemption_above_the_balance_is_refused(world):
    application = issued_without_chain(world)
    holder = holder_with_units(world, application, 1000)
    with pytest.raises(ApplicationError) as caught:
        services.redemption_request(actor=holder.user, application_id=application.pk, amount="11")
    assert caught.value.code == "redemption_above_balance"
    assert "at most 10.00 WHT3" in str(caught.value.message)
    assert not Redemption.objects.exists()
    assert not Hold.objects.exists()


def test_the_mail_about_a_refused_file_is_all_in_the_readers_language(
    world, django_capture_on_commit_callbacks
):
    """Uploaded and checked while English was active; the uploader reads Russian."""
    application = issued_without_chain(world)
    type(world.issuer).objects.filter(pk=world.issuer.pk).update(preferred_language="ru")
    mail.outbox.clear()
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        upload(world, application, "99999999,1\n")
    (sent,) = [m for m in mail.outbox if "rows.csv" in m.body]
    with translation.override("ru"):
        status = str(Distribution.Status.INVALID.label)
    assert status != "Refused: the file has errors"
    assert status in sent.subject
    assert status in sent.body
    assert "Refused" not in sent.subject + sent.body


def test_an_uploaded_file_is_sent_to_a_worker_once_the_upload_commits(
    world, django_capture_on_commit_callbacks, monkeypatch
):
    application = issued_without_chain(world)
    sent = []
    monkeypatch.setattr(
        issuance_distribution_process,
        "apply_async",
        lambda args, kwargs, **options: sent.append(args),
    )
    with django_capture_on_commit_callbacks(execute=True):
        distribution = services.distribution_upload(
            actor=world.issuer,
            application_id=application.pk,
            upload=SimpleUploadedFile("rows.csv", f"{world.holders[0].pk},1\n".encode()),
            idempotency_key="on-commit",
        )
        assert sent == []
    assert sent == [(distribution.pk,)]
