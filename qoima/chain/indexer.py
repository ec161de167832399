"""The indexer: every movement of a platform token lands in the database, reorgs included.

It reads the registry's and the tokens' logs in block ranges, keeps the hashes of recent
blocks, and when the chain's hash of the last block it read differs from the one it kept, rolls
back to the common ancestor and reads again (as Ponder does). Balances change only from
Transfer events that are ``CHAIN_CONFIRMATIONS`` deep; a reorg deeper than that reverses them.
Transfers made from a holder's own wallet are read like the platform's own.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from eth_abi import decode as abi_decode
from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes
from web3 import Web3

from .models import (
    IndexedBlock,
    IndexerCursor,
    PlatformDeployment,
    PlatformToken,
    TokenBalance,
    TokenTransfer,
)

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
# Blocks whose hashes are kept: a reorg deeper than this is read again from the window's start.
REORG_WINDOW = 128


def _topic(signature: str) -> bytes:
    return keccak(text=signature)


TRANSFER = _topic("Transfer(address,address,uint256)")
ASSET_ISSUED = _topic("AssetIssued(bytes32,address,bytes32,bytes32,bytes32)")
# Events whose reference belongs to the Transfer logged right before them.
SINGLE_REF_TOPICS = {
    _topic("TransferRecorded(uint256,address,address,uint256)"): 1,
    _topic("Minted(address,uint256,uint256,bytes32)"): 2,
    _topic("Redeemed(address,uint256,uint256)"): 2,
    _topic("ForcedTransfer(uint256,address,address,uint256,bytes32)"): 1,
}
BATCH_REFS = _topic("TransfersRecorded(uint256[])")


def _address_from_topic(topic: bytes) -> str:
    return to_checksum_address(bytes(topic)[-20:])


@dataclass
class StepResult:
    read_to: int
    applied_to: int
    transfers: int
    rolled_back_to: int | None = None


def _cursor(chain_id: int) -> IndexerCursor:
    deployment = PlatformDeployment.objects.filter(chain_id=chain_id).first()
    start = deployment.block_number - 1 if deployment else -1
    cursor, _ = IndexerCursor.objects.get_or_create(
        chain_id=chain_id, defaults={"block_number": start, "applied_block": start}
    )
    return IndexerCursor.objects.select_for_update().get(pk=cursor.pk)


def index_step(*, w3: Web3, max_range: int = 2000) -> StepResult:
    """Read the next range of blocks; safe to run again at any point and from any process."""
    with transaction.atomic():
        chain_id = settings.CHAIN_ID
        cursor = _cursor(chain_id)
        head = w3.eth.block_number
        rolled_back = _handle_reorg(w3, cursor, head)
        start = cursor.block_number + 1
        end = min(head, start + max_range - 1)
        transfers = 0
        if start <= end:
            transfers = _read_range(w3, chain_id, start, end, head)
            cursor.block_number = end
        applied = _apply_confirmed(cursor, head)
        cursor.save()
        return StepResult(cursor.block_number, applied, transfers, rolled_back)


def index_until_head(*, w3: Web3, max_range: int = 2000) -> StepResult:
    while True:
        result = index_step(w3=w3, max_range=max_range)
        if result.read_to >= w3.eth.block_number:
            return result


# ------------------------------------------------------------------------------ reorgs


def _handle_reorg(w3: Web3, cursor: IndexerCursor, head: int) -> int | None:
    last = IndexedBlock.objects.filter(chain_id=cursor.chain_id, number=cursor.block_number).first()
    if last is None:
        return None
    if head >= last.number and _hash_at(w3, last.number) == last.block_hash:
        return None
    ancestor = _common_ancestor(w3, cursor.chain_id, min(head, last.number))
    _rollback(cursor, ancestor)
    return ancestor


def _hash_at(w3: Web3, number: int) -> str:
    return HexBytes(w3.eth.get_block(number)["hash"]).to_0x_hex()


def _common_ancestor(w3: Web3, chain_id: int, below: int) -> int:
    kept = IndexedBlock.objects.filter(chain_id=chain_id, number__lte=below).order_by("-number")
    oldest = None
    for block in kept:
        oldest = block.number
        if _hash_at(w3, block.number) == block.block_hash:
            return block.number
    # Deeper than the kept window: read everything from before its oldest block again.
    return (oldest or 0) - 1


def _rollback(cursor: IndexerCursor, ancestor: int) -> None:
    chain_id = cursor.chain_id
    undone = TokenTransfer.objects.filter(chain_id=chain_id, block_number__gt=ancestor)
    _apply_deltas(chain_id, undone.filter(applied=True), sign=-1)
    undone.delete()
    IndexedBlock.objects.filter(chain_id=chain_id, number__gt=ancestor).delete()
    PlatformToken.objects.filter(chain_id=chain_id, block_number__gt=ancestor).delete()
    cursor.block_number = ancestor
    cursor.applied_block = min(cursor.applied_block, ancestor)


# ------------------------------------------------------------------------------ reading


def _read_range(w3: Web3, chain_id: int, start: int, end: int, head: int) -> int:
    deployment = PlatformDeployment.objects.get(chain_id=chain_id)
    registry = to_checksum_address(deployment.registry_address)
    tokens = list(PlatformToken.objects.filter(chain_id=chain_id).values_list("address", flat=True))
    logs = list(_logs(w3, [registry, *tokens], start, end))
    issued = [
        log for log in logs if log["address"] == registry and log["topics"][0] == ASSET_ISSUED
    ]
    for log in issued:
        PlatformToken.objects.get_or_create(
            chain_id=chain_id,
            address=_address_from_topic(log["topics"][2]),
            defaults={
                "asset_id": HexBytes(log["topics"][1]).to_0x_hex(),
                "block_number": int(log["blockNumber"]),
            },
        )
    if issued:
        # Tokens born in this range log in it too; read their logs for the same blocks.
        new = [_address_from_topic(log["topics"][2]) for log in issued]
        logs += list(_logs(w3, new, start, end))
        logs.sort(key=lambda log: (int(log["blockNumber"]), int(log["logIndex"])))
    rows = _transfers(chain_id, logs)
    TokenTransfer.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
    _keep_hashes(w3, chain_id, max(start, head - REORG_WINDOW + 1), end)
    return len(rows)


def _logs(w3: Web3, addresses: list[str], start: int, end: int) -> list[Any]:
    if not addresses:
        return []
    return list(
        w3.eth.get_logs(
            {"address": addresses, "fromBlock": start, "toBlock": end}  # type: ignore[typeddict-item]
        )
    )


def _transfers(chain_id: int, logs: list[Any]) -> list[TokenTransfer]:
    rows: list[TokenTransfer] = []
    # Transfers of one token in one transaction still waiting for the event naming their ref.
    waiting: dict[tuple[bytes, str], list[TokenTransfer]] = defaultdict(list)
    for log in logs:
        topic = bytes(log["topics"][0])
        token = log["address"]
        key = (bytes(log["transactionHash"]), token)
        if topic == TRANSFER:
            row = TokenTransfer(
                chain_id=chain_id,
                token_address=token,
                block_number=int(log["blockNumber"]),
                block_hash=HexBytes(log["blockHash"]).to_0x_hex(),
                log_index=int(log["logIndex"]),
                tx_hash=HexBytes(log["transactionHash"]).to_0x_hex(),
                sender=_address_from_topic(log["topics"][1]),
                receiver=_address_from_topic(log["topics"][2]),
                amount=Decimal(int.from_bytes(bytes(log["data"]), "big")),
            )
            rows.append(row)
            waiting[key].append(row)
        elif topic in SINGLE_REF_TOPICS and waiting[key]:
            ref = int.from_bytes(bytes(log["topics"][SINGLE_REF_TOPICS[topic]]), "big")
            waiting[key].pop().ref = Decimal(ref)
        elif topic == BATCH_REFS:
            (refs,) = abi_decode(["uint256[]"], bytes(log["data"]))
            batch = waiting[key][-len(refs) :]
            del waiting[key][-len(refs) :]
            for row, ref in zip(batch, refs, strict=True):
                row.ref = Decimal(ref)
    return rows


def _keep_hashes(w3: Web3, chain_id: int, first: int, last: int) -> None:
    for number in range(first, last + 1):
        block = w3.eth.get_block(number)
        IndexedBlock.objects.update_or_create(
            chain_id=chain_id,
            number=number,
            defaults={
                "block_hash": HexBytes(block["hash"]).to_0x_hex(),
                "parent_hash": HexBytes(block["parentHash"]).to_0x_hex(),
            },
        )
    IndexedBlock.objects.filter(chain_id=chain_id, number__lt=last - REORG_WINDOW).delete()


# ------------------------------------------------------------------------------ balances


def _apply_confirmed(cursor: IndexerCursor, head: int) -> int:
    confirmed_to = min(cursor.block_number, head - settings.CHAIN_CONFIRMATIONS + 1)
    if confirmed_to <= cursor.applied_block:
        return cursor.applied_block
    ready = TokenTransfer.objects.filter(
        chain_id=cursor.chain_id, applied=False, block_number__lte=confirmed_to
    )
    _apply_deltas(cursor.chain_id, ready, sign=1)
    ready.update(applied=True)
    cursor.applied_block = confirmed_to
    return confirmed_to


def _apply_deltas(chain_id: int, transfers: Any, *, sign: int) -> None:
    deltas: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for token, sender, receiver, amount in transfers.values_list(
        "token_address", "sender", "receiver", "amount"
    ):
        if sender != ZERO_ADDRESS:
            deltas[(token, sender)] -= amount * sign
        if receiver != ZERO_ADDRESS:
            deltas[(token, receiver)] += amount * sign
    for (token, holder), delta in deltas.items():
        if not delta:
            continue
        balance, _ = TokenBalance.objects.get_or_create(
            chain_id=chain_id, token_address=token, holder=holder
        )
        TokenBalance.objects.filter(pk=balance.pk).update(amount=F("amount") + delta)
