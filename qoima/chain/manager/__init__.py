"""The transaction manager: every requested on-chain action happens exactly once.

The database holds the intent, the chain what happened (Chainlink's EVM transaction manager):

1. ``operations_request`` writes pending operations in the caller's transaction, keyed by the
   caller's idempotency keys, and reserves the units they move. Nothing else is needed for
   them to reach the chain (``requests``).
2. ``operations_batch`` claims pending operations (``FOR UPDATE SKIP LOCKED``) and builds
   unstarted transactions: recorded transfers of one token go out as one batch (``batching``).
3. ``transaction_sign`` takes a key's next nonce under the key's row lock, signs locally and
   saves the signed bytes and their hash before anything is broadcast (``sending``).
4. ``transaction_broadcast`` sends the saved bytes; a retry sends the same bytes again, and
   "already known" or "nonce too low" are settled against the chain, not treated as failures.
   ``transactions_resend`` re-broadcasts what the node forgot and replaces what is stuck.
5. ``transactions_confirm`` follows receipts to the configured depth, confirms the operations,
   and on a revert fails exactly the operations the decoded error names and sends the rest
   again (``confirming``); the caller's settlement handler runs in the same transaction
   (``settlement``).
"""

from .batching import (
    call_for,
    compliance_account,
    keys_with_unsent,
    operations_batch,
    operator_account,
    signer_for,
    signing_addresses,
)
from .confirming import settle_revert, transactions_confirm
from .requests import (
    OperationRequest,
    batch_wanted,
    enqueue_batch,
    operation_request,
    operations_cancel,
    operations_request,
)
from .sending import (
    current_fees,
    key_send_all,
    transaction_broadcast,
    transaction_sign,
    transactions_resend,
)
from .settlement import operations_settled, settlement_handler

__all__ = [
    "OperationRequest",
    "batch_wanted",
    "call_for",
    "compliance_account",
    "current_fees",
    "enqueue_batch",
    "key_send_all",
    "keys_with_unsent",
    "operation_request",
    "operations_batch",
    "operations_cancel",
    "operations_request",
    "operations_settled",
    "operator_account",
    "settle_revert",
    "settlement_handler",
    "signer_for",
    "signing_addresses",
    "transaction_broadcast",
    "transaction_sign",
    "transactions_confirm",
    "transactions_resend",
]
