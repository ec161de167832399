"""The audit log's head, anchored on-chain.

The hash chain shows that no entry changed since it was sealed, as long as nobody rewrote the
chain and recomputed every hash after it: the platform's own database administrator could.
So, every ``AUDIT_ANCHOR_INTERVAL_SECONDS``, the newest sealed entry's number and hash go to the
registry contract (``anchorAudit``, through the transaction manager like every other action),
where its ``AuditAnchored`` event stays whatever happens to the database. An entry hash stands
for the whole chain up to it, so verification against the events read from the node detects a
rewrite without trusting anything the platform stores: not even which anchors it asked for.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from eth_utils import to_checksum_address
from web3 import Web3
from web3.exceptions import Web3Exception

from qoima.audit.models import AuditHead, ChainCheck
from qoima.audit.services import Anchor, audit_chain_verify, audit_seal
from qoima.transactions import in_own_transactions

from .client import ChainUnavailable, get_web3
from .contracts import RegistryView
from .manager import operation_request
from .models import Operation, PlatformDeployment


@dataclass(frozen=True)
class AnchorRecord:
    """One ``AuditAnchored`` event as the node returns it."""

    seq: int
    root: str  # the entry hash, 64 hex digits
    anchored_at: int  # the block's timestamp
    block_number: int
    tx_hash: str

    @property
    def anchor(self) -> Anchor:
        return self.seq, self.root


@transaction.atomic(durable=True)
def _anchor_request() -> Operation | None:
    head = AuditHead.objects.filter(id=1).first()
    if head is None or head.seq == 0:
        return None
    last = (
        Operation.objects.filter(chain_id=settings.CHAIN_ID, kind=Operation.Kind.AUDIT_ANCHOR)
        .exclude(state=Operation.State.FAILED)
        .order_by("-pk")
        .first()
    )
    if last is not None and last.payload["seq"] >= head.seq:
        # Nothing sealed since the last anchor: the contract only takes a higher number.
        return None
    return operation_request(
        kind=Operation.Kind.AUDIT_ANCHOR,
        idempotency_key=f"audit-anchor:{head.seq}",
        payload={"seq": head.seq, "root": "0x" + head.entry_hash},
    )


@in_own_transactions
def audit_anchor_request() -> Operation | None:
    """Seal what waits, then ask for the audit log's head to be recorded on-chain; None when
    the head is anchored already (or the log is empty)."""
    audit_seal()
    return _anchor_request()


def audit_anchors_read(w3: Web3 | None = None) -> list[AnchorRecord] | None:
    """Every anchor the platform registry holds, oldest first, read from the node now; None
    when no registry is deployed. Raises ChainUnavailable when the node cannot answer."""
    deployment = PlatformDeployment.objects.filter(chain_id=settings.CHAIN_ID).first()
    if deployment is None:
        return None
    w3 = w3 or get_web3()
    registry = RegistryView(w3, to_checksum_address(deployment.registry_address))
    try:
        events = registry.contract.events.AuditAnchored().get_logs(
            from_block=deployment.block_number, to_block="latest"
        )
    except (Web3Exception, OSError, ValueError) as exc:
        raise ChainUnavailable(str(exc)) from exc
    return [
        AnchorRecord(
            seq=int(event["args"]["seq"]),
            root=bytes(event["args"]["root"]).hex(),
            anchored_at=int(event["args"]["anchoredAt"]),
            block_number=int(event["blockNumber"]),
            tx_hash=event["transactionHash"].to_0x_hex(),
        )
        for event in events
    ]


@dataclass(frozen=True)
class AnchoredCheck:
    check: ChainCheck
    # None: no registry is deployed, so nothing could be anchored yet.
    anchors: list[AnchorRecord] | None


def audit_anchored_verify(*, w3: Web3 | None = None, seal: bool = True) -> AnchoredCheck:
    """Verify the log's hash chain and every anchor the chain holds for it; ChainUnavailable
    when the node cannot say which anchors there are (a check without them proves less, so
    none is kept)."""
    anchors = audit_anchors_read(w3)
    check = audit_chain_verify(
        anchors=[record.anchor for record in anchors or []],
        seal=seal,
    )
    return AnchoredCheck(check, anchors)
