"""Who an address belongs to, and which addresses a regulator's party search means.

Every wallet the platform knows (custodial or linked external) belongs to one holder or one
issuer organisation; the zero address is where issues come from and redemptions go to.
"""

import re
from dataclasses import dataclass
from typing import Literal

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from eth_utils import to_checksum_address

from qoima.chain.contracts import ZERO_ADDRESS
from qoima.custody.models import Wallet
from qoima.participants.models import HolderProfile, Organisation

# A name search names at most this many participants; more means the query is too vague.
NAME_MATCHES = 20
ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")

Kind = Literal["holder", "issuer", "mint", "unknown"]


@dataclass(frozen=True)
class Party:
    address: str
    kind: Kind
    name: str | Promise = ""
    identification_number: str = ""
    holder_id: int | None = None
    organisation_id: int | None = None
    wallet_kind: str = ""


def parties_for(addresses: set[str]) -> dict[str, Party]:
    """Each address with the participant it belongs to, in two queries whatever the count."""
    found: dict[str, Party] = {}
    if ZERO_ADDRESS in addresses:
        found[ZERO_ADDRESS] = Party(ZERO_ADDRESS, "mint", _("Issue or redemption"))
    wallets = Wallet.objects.filter(address__in=addresses - {ZERO_ADDRESS}).select_related(
        "holder", "organisation"
    )
    for wallet in wallets:
        if wallet.holder is not None:
            found[wallet.address] = Party(
                wallet.address,
                "holder",
                wallet.holder.full_name,
                wallet.holder.identification_number,
                holder_id=wallet.holder_id,
                wallet_kind=wallet.kind,
            )
        elif wallet.organisation is not None:
            found[wallet.address] = Party(
                wallet.address,
                "issuer",
                wallet.organisation.legal_name,
                wallet.organisation.identification_number,
                organisation_id=wallet.organisation_id,
                wallet_kind=wallet.kind,
            )
    for address in addresses - found.keys():
        found[address] = Party(address, "unknown", _("Address outside the platform"))
    return found


@dataclass(frozen=True)
class PartyMatch:
    """What a party search found: the addresses to search, and whom they belong to."""

    addresses: list[str]
    described: str


def party_addresses(query: str) -> PartyMatch:
    """A 12-digit IIN / BIN, an address, or part of a name -> the addresses it means."""
    query = query.strip()
    if ADDRESS.match(query):
        address = to_checksum_address(query)
        return PartyMatch([address], address)
    if query.isdigit() and len(query) == 12:
        holders = HolderProfile.objects.filter(identification_number=query)
        organisations = Organisation.objects.filter(identification_number=query)
    else:
        holders = HolderProfile.objects.filter(full_name__icontains=query)[:NAME_MATCHES]
        organisations = Organisation.objects.filter(legal_name__icontains=query)[:NAME_MATCHES]
    holder_ids = list(holders.values_list("pk", flat=True))
    organisation_ids = list(organisations.values_list("pk", flat=True))
    addresses = sorted(
        Wallet.objects.filter(
            Q(holder_id__in=holder_ids) | Q(organisation_id__in=organisation_ids)
        ).values_list("address", flat=True)
    )
    names = [
        *HolderProfile.objects.filter(pk__in=holder_ids).values_list("full_name", flat=True),
        *Organisation.objects.filter(pk__in=organisation_ids).values_list("legal_name", flat=True),
    ]
    return PartyMatch(addresses, ", ".join(sorted(names)))
