"""The audit log's head anchored on-chain through the transaction manager, and a log rewritten
with every hash recomputed caught against the anchors read from the node: by verifyaudit and on
the registry's audit page."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse

from qoima.audit.actions import AuditAction
from qoima.audit.models import AuditEntry, AuditHead
from qoima.audit.services import audit_record, audit_seal
from qoima.chain.anchors import audit_anchor_request, audit_anchors_read
from qoima.chain.manager import operation_request
from qoima.chain.models import ChainTransaction, Operation
from qoima.errors import InvalidInput
from qoima.participants.models import Role
from tests.audit.tampering import rewrite_from
from tests.factories import make_user
from tests.pages import visible_text

from .conftest import run_until_settled

pytestmark = pytest.mark.django_db


def written(count: int) -> None:
    for n in range(count):
        with transaction.atomic():
            audit_record(actor=None, action=AuditAction.HOLDER_REGISTERED, details={"n": n})


def anchored(chain) -> Operation:
    operation = audit_anchor_request()
    assert operation is not None
    run_until_settled(chain)
    operation.refresh_from_db()
    return operation


def verifyaudit() -> str:
    out = StringIO()
    call_command("verifyaudit", stdout=out)
    return out.getvalue()


def audit_page() -> str:
    client = Client()
    client.force_login(make_user(Role.REGULATOR))
    response = client.get(reverse("registry-audit"), {"check": "1"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return visible_text(response.content.decode())


def test_the_head_is_anchored_through_the_manager_and_read_back_from_the_node(
    recorded_registry, chain
):
    written(4)
    operation = anchored(chain)
    head = AuditHead.objects.get()
    assert operation.state == Operation.State.CONFIRMED
    assert operation.transaction.function == "anchorAudit"
    assert operation.transaction.state == ChainTransaction.State.CONFIRMED
    assert operation.payload == {"seq": head.seq, "root": "0x" + head.entry_hash}
    (record,) = audit_anchors_read(chain)
    assert (record.seq, record.root) == (head.seq, head.entry_hash)
    assert recorded_registry.last_audit_seq() == head.seq

    # Nothing sealed since: no second anchor; new entries: a new one, at the new head.
    assert audit_anchor_request() is None
    written(2)
    anchored(chain)
    assert [r.seq for r in audit_anchors_read(chain)] == [head.seq, AuditHead.objects.get().seq]
    assert "It matches all 2 anchors on-chain; the newest, entry" in verifyaudit()


def test_a_rewritten_chain_with_recomputed_hashes_is_caught_by_the_anchor_on_chain(
    recorded_registry, chain
):
    written(5)
    anchored(chain)
    anchored_seq = AuditHead.objects.get().seq
    output = verifyaudit()
    assert "Audit chain intact" in output
    assert "It matches the one anchor on-chain; the newest, entry" in output
    assert "does not match" not in audit_page()
    assert "It matches 1 anchor on-chain." in audit_page()

    # An insider changes an early entry and recomputes every hash after it, and the head:
    # nothing inside the database shows it any more.
    entries = list(AuditEntry.objects.order_by("seq"))
    rewrite_from(entries, 1, {"n": 99})
    assert AuditEntry.objects.get(pk=entries[1].pk).details == {"n": 99}

    with pytest.raises(CommandError) as caught:
        verifyaudit()
    assert str(caught.value) == (
        f"Audit chain broken at entry #{anchored_seq}: the entry at #{anchored_seq} does not "
        "match the anchor recorded on-chain"
    )
    page = audit_page()
    assert "Checked now: the chain is broken." in page
    assert f"the entry at #{anchored_seq} does not match the anchor recorded on-chain" in page
    assert "no: the log was rewritten" in page


def test_verifyaudit_without_a_node_gives_no_verdict(recorded_registry, chain, settings):
    written(2)
    audit_seal()
    settings.CHAIN_RPC_URL = "http://127.0.0.1:9"
    with pytest.raises(CommandError, match="The chain node does not answer"):
        verifyaudit()
    page = audit_page()
    assert "The chain node does not answer: the anchors cannot be read now." in page


def test_the_anchor_kind_refuses_a_malformed_head(recorded_registry, chain):
    for payload in ({"seq": 0, "root": "0x" + "a" * 64}, {"seq": 3, "root": "0xabc"}, {}):
        with pytest.raises(InvalidInput) as caught:
            operation_request(kind="audit_anchor", idempotency_key="a", payload=payload)
        assert caught.value.field == "payload"
    assert not Operation.objects.filter(kind="audit_anchor").exists()
