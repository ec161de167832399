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


def parties_for(addresses: set[str], known: dict[str, Party] | None = None) -> dict[str, Party]:
    """Each address with the participant it belongs to, in one query whatever the count.

    ``known`` is a cache the caller keeps across calls (an export's chunks name the same
    parties again and again); addresses in it are not looked up again.
    """
    found: dict[str, Party] = {}
    if known is not None:
        found.update((a, known[a]) for a in addresses if a in known)
    wanted = addresses - found.keys()
    if ZERO_ADDRESS in wanted:
        found[ZERO_ADDRESS] = Party(ZERO_ADDRESS, "mint", _("Issue or redemption"))
    rows = Wallet.objects.filter(address__in=wanted - {ZERO_ADDRESS}).values_list(
        "address",
        "kind",
        "holder_id",
        "holder__full_name",
        "holder__identification_number",
        "organisation_id",
        "organisation__legal_name",
        "organisation__identification_number",
    )
    for address, kind, holder, name, number, organisation, legal_name, bin_ in rows:
        if holder is not None:
            found[address] = Party(address, "holder", name, number, holder, None, kind)
        else:
            found[address] = Party(address, "issuer", legal_name, bin_, None, organisation, kind)
    for address in wanted - found.keys():
        found[address] = Party(address, "unknown", _("Address outside the platform"))
    if known is not None:
        known.update(found)
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
