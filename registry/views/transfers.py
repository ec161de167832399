"""Transfers as the chain logged them: search, one transfer, its check on chain, and the
financial-monitoring report of those above a threshold."""

import datetime
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from issuance.models import Application
from qoima.chain.client import get_web3
from qoima.chain.models import TokenTransfer
from qoima.exchange.selectors.market import trade_amounts_by_operation

from .. import exports, selectors, transfers
from ..forms import MonitoringForm, TransferSearchForm
from ..parties import Party, parties_for
from .common import PAGE, fragment_or_page, query_without, refused, registry_view

TRANSFER_HEADER = [
    "id",
    "time",
    "asset",
    "sender",
    "sender_bin_iin",
    "sender_address",
    "receiver",
    "receiver_bin_iin",
    "receiver_address",
    "units",
    "amount",
    "reference",
    "tx_hash",
    "block",
    "log_index",
]


def transfer_rows(
    items: Iterable[TokenTransfer], tokens: dict[str, Application]
) -> Iterator[list[Any]]:
    """Export rows of transfers, the parties and block times looked up a chunk at a time."""
    known: dict[str, Party] = {}
    for chunk in exports.chunked(items, exports.CHUNK):
        parties = parties_for({t.sender for t in chunk} | {t.receiver for t in chunk}, known)
        times = transfers.block_times({t.block_number for t in chunk})
        for t in chunk:
            application = tokens.get(t.token_address)
            sender, receiver = parties[t.sender], parties[t.receiver]
            yield [
                t.pk,
                times.get(t.block_number),
                application.symbol if application else t.token_address,
                sender.name,
                sender.identification_number,
                t.sender,
                receiver.name,
                receiver.identification_number,
                t.receiver,
                int(t.amount),
                selectors.amount_text(t.amount, application),
                "" if t.ref is None else int(t.ref),
                t.tx_hash,
                t.block_number,
                t.log_index,
            ]


def _shown(
    transfer: TokenTransfer,
    parties: dict[str, Party],
    times: dict[int, datetime.datetime],
    tokens: dict[str, Application],
    head: int | None,
) -> dict[str, Any]:
    return {
        "transfer": transfer,
        "sender": parties[transfer.sender],
        "receiver": parties[transfer.receiver],
        "time": times.get(transfer.block_number),
        "asset": tokens.get(transfer.token_address),
        "confirmations": None if head is None else max(0, head - transfer.block_number + 1),
    }


@registry_view
def transfer_search(request: HttpRequest) -> HttpResponseBase:
    form = TransferSearchForm(request.GET)
    if not form.is_valid():
        return refused(request, "registry/transfers.html", form)
    filters = form.filters()
    tokens = selectors.tokens_by_address()
    if request.GET.get("export"):
        return exports.export_response(
            exports.export_format(request.GET["export"]),
            "transfers",
            TRANSFER_HEADER,
            transfer_rows(transfers.transfers_all(filters), tokens),
        )
    page = transfers.transfers_page(filters, before=form.cleaned_data.get("before"), limit=PAGE)
    parties = parties_for({t.sender for t in page.items} | {t.receiver for t in page.items})
    times = transfers.block_times({t.block_number for t in page.items})
    head = selectors.head_seen()
    return render(
        request,
        "registry/transfers.html",
        {
            "form": form,
            "page": page,
            "rows": [_shown(t, parties, times, tokens, head) for t in page.items],
            "party_described": form.party_described,
            "query": query_without(request, "before", "export"),
        },
    )


@registry_view
def transfer(request: HttpRequest, transfer_id: int) -> HttpResponse:
    found = get_object_or_404(TokenTransfer, pk=transfer_id, chain_id=settings.CHAIN_ID)
    return render(
        request,
        "registry/transfer.html",
        {
            **_shown(
                found,
                parties_for({found.sender, found.receiver}),
                transfers.block_times({found.block_number}),
                selectors.tokens_by_address(),
                selectors.head_seen(),
            ),
            "record": selectors.transfer_record(found),
        },
    )


@registry_view
def transfer_verify(request: HttpRequest, transfer_id: int) -> HttpResponse:
    """Fetch the transaction's receipt now and check the stored transfer against its log."""
    found = get_object_or_404(TokenTransfer, pk=transfer_id, chain_id=settings.CHAIN_ID)
    proof = selectors.transfer_proof(found, w3=get_web3())
    return fragment_or_page(
        request,
        "registry/_verify.html",
        "registry/verify.html",
        {"transfer": found, "proof": proof, "mismatches": selectors.proof_mismatches(proof)},
    )


@registry_view
def monitoring(request: HttpRequest) -> HttpResponseBase:
    """Operations at or above a threshold, as the financial-monitoring report wants them."""
    if not request.GET:
        return render(request, "registry/monitoring.html", {"form": MonitoringForm()})
    form = MonitoringForm(request.GET)
    if not form.is_valid():
        return refused(request, "registry/monitoring.html", form)
    asset: Application = form.cleaned_data["asset"]
    rows = transfers.transfers_all(form.filters())
    if request.GET.get("export") == "xml":
        return exports.xml_response(
            "fm1",
            {
                "platform": "Qoima",
                "asset": asset.symbol,
                "token": asset.token_address,
                "threshold": str(form.cleaned_data["threshold"]),
                "generated": timezone.localtime().isoformat(),
            },
            _monitoring_xml_rows(rows, asset),
        )
    return exports.export_response(
        exports.export_format(request.GET.get("export", "csv")),
        f"financial-monitoring-{asset.symbol}",
        [*TRANSFER_HEADER, "amount_kzt"],
        _with_tenge(transfer_rows(rows, {asset.token_address: asset})),
    )


REFERENCE = TRANSFER_HEADER.index("reference")


def _with_tenge(rows: Iterable[list[Any]]) -> Iterator[list[Any]]:
    """Each row with its tenge amount: a trade's on the platform's exchange (its reference is
    the trade's transfer), blank for movements that have no price."""
    for chunk in exports.chunked(rows, exports.CHUNK):
        amounts = trade_amounts_by_operation(
            row[REFERENCE] for row in chunk if row[REFERENCE] != ""
        )
        for row in chunk:
            yield [*row, exports.tenge_plain(amounts.get(row[REFERENCE]))]


def _monitoring_xml_rows(
    rows: Iterable[TokenTransfer], asset: Application
) -> Iterator[dict[str, str]]:
    for row in _with_tenge(transfer_rows(rows, {asset.token_address: asset})):
        values = dict(zip([*TRANSFER_HEADER, "amount_kzt"], row, strict=True))
        yield {
            "Date": str(values["time"] or ""),
            "Reference": str(values["reference"]),
            "TxHash": str(values["tx_hash"]),
            "PayerName": str(values["sender"]),
            "PayerIdNumber": str(values["sender_bin_iin"]),
            "PayerAddress": str(values["sender_address"]),
            "PayeeName": str(values["receiver"]),
            "PayeeIdNumber": str(values["receiver_bin_iin"]),
            "PayeeAddress": str(values["receiver_address"]),
            "Asset": asset.symbol,
            "Amount": str(values["amount"]).split(" ")[0],
            # A trade on the platform's exchange is priced; other movements have no tenge price.
            "AmountKZT": str(values["amount_kzt"]),
        }
