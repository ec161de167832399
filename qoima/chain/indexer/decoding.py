"""Decoding: a platform token's Transfer logs, with the platform reference each carries, and
the compliance acts (freezes, pauses, forced transfers) the registry and the tokens logged.

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


class Act:
    """The kinds of compliance event, as ``ComplianceEvent.Kind`` stores them."""

    ADDRESS_FROZEN = "address_frozen"
    ADDRESS_UNFROZEN = "address_unfrozen"
    UNITS_FROZEN = "units_frozen"
    UNITS_UNFROZEN = "units_unfrozen"
    PAUSED = "paused"
    UNPAUSED = "unpaused"
    FORCED_TRANSFER = "forced_transfer"


FROZEN_UPDATED = _topic("FrozenUpdated(address,bool,bytes32)")
TOKENS_FROZEN = _topic("TokensFrozen(address,uint256,bytes32)")
TOKENS_UNFROZEN = _topic("TokensUnfrozen(address,uint256,bytes32)")
PAUSE_RECORDED = _topic("PauseReasonRecorded(bool,bytes32)")
FORCED_TRANSFER = _topic("ForcedTransfer(uint256,address,address,uint256,bytes32)")
COMPLIANCE_TOPICS = frozenset(
    {FROZEN_UPDATED, TOKENS_FROZEN, TOKENS_UNFROZEN, PAUSE_RECORDED, FORCED_TRANSFER}
)


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


@dataclass(slots=True)
class ComplianceLog:
    """A compliance act as a contract of the platform logged it: a freeze or its release (of an
    address, or of units of one token), a pause or its end (of a token, or of the whole
    platform when ``contract`` is the registry), or a forced transfer; each with the hash of
    its legal basis."""

    contract: str
    block_number: int
    block_hash: str
    log_index: int
    tx_hash: str
    kind: str
    account: str
    amount: int | None
    reason_hash: str
    ref: int | None = None
    receiver: str = ""


def logs_movements(logs: list[dict[str, Any]]) -> list[Movement]:
    """The Transfer logs with their refs."""
    return logs_decoded(logs)[0]


def logs_decoded(logs: list[dict[str, Any]]) -> tuple[list[Movement], list[ComplianceLog]]:
    """The Transfer logs with their refs, and the compliance acts; the hot loop of a backfill,
    so kept to plain work (compliance acts are rare: they are looked at last)."""
    movements: list[Movement] = []
    acts: list[ComplianceLog] = []
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
        if topic != TRANSFER and topic in COMPLIANCE_TOPICS:
            acts.append(compliance_log(log))
    return movements, acts


def _words(data: str) -> list[str]:
    return [data[2 + 64 * i : 2 + 64 * (i + 1)] for i in range((len(data) - 2) // 64)]


def compliance_log(log: dict[str, Any]) -> ComplianceLog:
    """One compliance event, decoded from its topics and its data words."""
    topics, words = log["topics"], _words(log["data"])
    topic = topics[0]
    account, amount, ref, receiver = "", None, None, ""
    if topic == FROZEN_UPDATED:
        kind = Act.ADDRESS_FROZEN if int(words[0], 16) else Act.ADDRESS_UNFROZEN
        account = address_from_topic(topics[1])
    elif topic in (TOKENS_FROZEN, TOKENS_UNFROZEN):
        kind = Act.UNITS_FROZEN if topic == TOKENS_FROZEN else Act.UNITS_UNFROZEN
        account, amount = address_from_topic(topics[1]), int(words[0], 16)
    elif topic == PAUSE_RECORDED:
        kind = Act.PAUSED if int(words[0], 16) else Act.UNPAUSED
    else:
        kind, ref = Act.FORCED_TRANSFER, int(topics[1], 16)
        account, receiver = address_from_topic(topics[2]), address_from_topic(topics[3])
        amount = int(words[0], 16)
    return ComplianceLog(
        checksum(log["address"]),
        int(log["blockNumber"], 16),
        log["blockHash"],
        int(log["logIndex"], 16),
        log["transactionHash"],
        kind,
        account,
        amount,
        "0x" + words[-1],
        ref,
        receiver,
    )


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
