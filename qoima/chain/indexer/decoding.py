"""Decoding: a platform token's Transfer logs, with the platform reference each carries.

A backfill decodes hundreds of thousands of logs, so this is kept to plain work on the node's
JSON: no web3 formatters, no eth-abi for the refs' arrays.
"""

from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from eth_utils import keccak, to_checksum_address


def _topic(signature: str) -> str:
    return "0x" + keccak(text=signature).hex()


TRANSFER = _topic("Transfer(address,address,uint256)")


# Events whose reference belongs to the Transfer logged right before them.
SINGLE_REF_TOPICS = {
    _topic("TransferRecorded(uint256,address,address,uint256)"): 1,
    _topic("Minted(address,uint256,uint256,bytes32)"): 2,
    _topic("Redeemed(address,uint256,uint256)"): 2,
    _topic("ForcedTransfer(uint256,address,address,uint256,bytes32)"): 1,
}


BATCH_REFS = _topic("TransfersRecorded(uint256[])")


@lru_cache(maxsize=65536)
def checksum(address: str) -> str:
    # Holders recur across a range; a checksum costs a keccak each time it is computed.
    return to_checksum_address(address)


def address_from_topic(topic: str) -> str:
    return checksum("0x" + topic[-40:])


@dataclass(slots=True)
class Movement:
    """A Transfer log of a platform token, with the platform reference the token logged."""

    token: str
    block_number: int
    block_hash: str
    log_index: int
    tx_hash: str
    sender: str
    receiver: str
    amount: int
    ref: int | None = None


def logs_movements(logs: list[dict[str, Any]]) -> list[Movement]:
    """The Transfer logs with their refs; the hot loop of a backfill, so kept to plain work."""
    movements: list[Movement] = []
    # Transfers of one token in one transaction still waiting for the event naming their ref.
    waiting: dict[tuple[str, str], list[Movement]] = defaultdict(list)
    for log in logs:
        topics = log["topics"]
        topic = topics[0]
        key = (log["transactionHash"], log["address"])
        if topic == TRANSFER:
            movement = Movement(
                checksum(log["address"]),
                int(log["blockNumber"], 16),
                log["blockHash"],
                int(log["logIndex"], 16),
                log["transactionHash"],
                address_from_topic(topics[1]),
                address_from_topic(topics[2]),
                int(log["data"], 16),
            )
            movements.append(movement)
            waiting[key].append(movement)
        elif topic in SINGLE_REF_TOPICS and waiting[key]:
            waiting[key].pop().ref = int(topics[SINGLE_REF_TOPICS[topic]], 16)
        elif topic == BATCH_REFS:
            refs = uint256_array(log["data"])
            batch = waiting[key][-len(refs) :]
            del waiting[key][-len(refs) :]
            for movement, ref in zip(batch, refs, strict=True):
                movement.ref = ref
    return movements


def uint256_array(data: str) -> list[int]:
    """The one uint256[] a TransfersRecorded log carries, read from its hex ABI encoding.

    Read word by word rather than through eth-abi, which takes ~3 us a word: a backfill reads
    one word per recorded transfer. The layout is the ABI's: an offset, then at that offset
    the length, then the words.
    """
    words = data[2:]
    start = int(words[0:64], 16) * 2
    count = int(words[start : start + 64], 16)
    first = start + 64
    return [int(words[first + 64 * i : first + 64 * (i + 1)], 16) for i in range(count)]
