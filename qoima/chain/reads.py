"""Live reads of the chain for people who check the platform rather than trust it.

A token's data as its contract holds it, and a stored transfer re-read from its transaction's
receipt. Every read goes to the node at the moment it is asked; nothing here writes.
"""

from dataclasses import dataclass, field

from eth_utils import to_checksum_address
from web3 import Web3
from web3.exceptions import Web3Exception

from .client import ChainUnavailable, rpc_call
from .contracts import ChainRevert, TokenView
from .indexer import TRANSFER, logs_movements
from .models import TokenTransfer


@dataclass(frozen=True)
class TokenFacts:
    """What a platform token's contract says of itself (Art. 5 items 2, 5 and 6)."""

    address: str
    name: str
    symbol: str
    decimals: int
    issuer_name: str
    issuer_id_number: str
    permit_number: str
    asset_identifier: str
    asset_class: str
    cap: int
    total_supply: int
    total_minted: int
    paused: bool
    # Document name -> SHA-256 (hex) of its current version.
    documents: dict[str, str] = field(default_factory=dict)


class NoContract(Exception):
    """Nothing is deployed at the address the platform holds for a token."""


def token_facts(w3: Web3, address: str) -> TokenFacts:
    """Read a token's data from its contract; ChainUnavailable when the node cannot answer,
    NoContract when no contract is there."""
    try:
        token = TokenView(w3, address)
        try:
            described = token.described()
        except (Web3Exception, ValueError, ChainRevert):
            # Nothing answers at an address without code; asked only when the reading failed.
            if not w3.eth.get_code(token.address):
                raise NoContract(token.address) from None
            raise
        issuer_name, issuer_id, permit = described.issuer
        identifier, asset_class = described.underlying_asset
        return TokenFacts(
            address=token.address,
            name=described.name,
            symbol=described.symbol,
            decimals=described.decimals,
            issuer_name=issuer_name,
            issuer_id_number=issuer_id,
            permit_number=permit,
            asset_identifier=identifier,
            asset_class=asset_class,
            cap=described.cap,
            total_supply=described.total_supply,
            total_minted=described.total_minted,
            paused=described.paused,
            documents={name: doc.sha256.hex() for name, doc in described.documents.items()},
        )
    except (OSError, Web3Exception, ValueError, ChainRevert) as error:
        raise ChainUnavailable(str(error)) from error


@dataclass(frozen=True)
class TransferProof:
    """A stored transfer checked against the receipt of its transaction, read now."""

    found: bool
    # Each field the chain disagrees on: name -> (stored, on chain).
    mismatches: dict[str, tuple[str, str]]
    block_number: int | None = None
    block_hash: str = ""
    status: int | None = None
    confirmations: int | None = None
    head: int | None = None

    @property
    def ok(self) -> bool:
        return self.found and self.status == 1 and not self.mismatches


def transfer_verify(w3: Web3, transfer: TokenTransfer) -> TransferProof:
    """Fetch the transfer's receipt, find its log and compare every stored field with it.

    The platform reference is derived again from the receipt's own events, the way the
    token emits them, rather than taken from the database.
    """
    try:
        receipt = rpc_call(w3, "eth_getTransactionReceipt", [transfer.tx_hash])
        head = int(rpc_call(w3, "eth_blockNumber", []), 16)
    except (OSError, Web3Exception, ValueError) as error:
        raise ChainUnavailable(str(error)) from error
    if receipt is None:
        return TransferProof(found=False, mismatches={}, head=head)
    block_number = int(receipt["blockNumber"], 16)
    logs = receipt["logs"]
    own = [log for log in logs if int(log["logIndex"], 16) == transfer.log_index]
    mismatches: dict[str, tuple[str, str]] = {}

    def compare(name: str, stored: object, onchain: object) -> None:
        if str(stored) != str(onchain):
            mismatches[name] = (str(stored), str(onchain))

    compare("block", transfer.block_number, block_number)
    compare("block hash", transfer.block_hash, receipt["blockHash"])
    if not own or own[0]["topics"][0] != TRANSFER:
        mismatches["log"] = (str(transfer.log_index), "")
    else:
        movement = next(m for m in logs_movements(logs) if m.log_index == transfer.log_index)
        compare("token", transfer.token_address, to_checksum_address(own[0]["address"]))
        compare("sender", transfer.sender, movement.sender)
        compare("receiver", transfer.receiver, movement.receiver)
        compare("amount", int(transfer.amount), movement.amount)
        compare(
            "reference",
            "" if transfer.ref is None else int(transfer.ref),
            "" if movement.ref is None else movement.ref,
        )
    return TransferProof(
        found=True,
        mismatches=mismatches,
        block_number=block_number,
        block_hash=receipt["blockHash"],
        status=int(receipt["status"], 16),
        confirmations=max(0, head - block_number + 1),
        head=head,
    )
