"""A platform registry and an issued backed asset token on the session's anvil.

The registry is deployed once per module; the token is issued (and minted) per test. ``chain``
reverts anvil after each test, so every test starts from the freshly deployed registry however
much it changes it.
"""

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone
from eth_account import Account
from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3
from web3.logs import DISCARD
from web3.types import TxReceipt

from qoima.chain.anvil import AnvilNode
from qoima.chain.client import web3_for
from qoima.chain.contracts import (
    COMPLIANCE_ROLE,
    OPERATOR_ROLE,
    AssetData,
    ChainRevert,
    DocumentData,
)
from qoima.chain.direct import BackedAssetToken, PlatformRegistry
from qoima.chain.indexer import index_until_head
from qoima.chain.manager import (
    key_send_all,
    keys_with_unsent,
    operation_request,
    operations_batch,
    operator_account,
    transactions_confirm,
)
from qoima.chain.models import PlatformDeployment

ANVIL_MNEMONIC = "test test test test test test test test test test test junk"
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
ZERO_HASH = b"\x00" * 32

ISSUER_BIN = "940140000385"
CAP = 1_000_000
MINTED = 1_000
MINT_REF = 1

DECISION_TEXT = (
    "«Алтын Қойма» ЖШС қатысушыларының жалпы жиналысының 2025 жылғы 14 наурыздағы "
    "№ 7 шешімі: Алматы қ., Абай даңғылы, 10 үй-жайды қамтамасыз етілген цифрлық актив "
    "ретінде шығару туралы."
)
PROOF_TEXT = (
    "Жылжымайтын мүлікке құқықтарды мемлекеттік тіркеу туралы анықтама, кадастрлық нөмір "
    "20:311:004:123, меншік иесі «Алтын Қойма» ЖШС, БСН 940140000385."
)
DECISION_SHA256 = hashlib.sha256(DECISION_TEXT.encode("utf-8")).digest()
PROOF_SHA256 = hashlib.sha256(PROOF_TEXT.encode("utf-8")).digest()

ASSET = AssetData(
    asset_id="KZ-ALM-ABAY10-2025",
    name="Абай 10 үй-жайы",
    symbol="ABAY10",
    decimals=2,
    cap=CAP,
    issuer_name="«Алтын Қойма» жауапкершілігі шектеулі серіктестігі",
    issuer_id_number=ISSUER_BIN,
    permit_number="KZ-ЦА-2025/0417",
    asset_identifier="20:311:004:123",
    asset_class="tangible_asset",
)
DOCUMENTS = [
    DocumentData("issuance_decision", "https://qoima.kz/documents/decision-7.pdf", DECISION_SHA256),
    DocumentData(
        "proof_of_rights", "https://qoima.kz/documents/egrn-20-311-004-123.pdf", PROOF_SHA256
    ),
]


@dataclass(frozen=True)
class Accounts:
    admin: LocalAccount
    operator: LocalAccount
    compliance: LocalAccount
    issuer: LocalAccount
    holder_a: LocalAccount
    holder_b: LocalAccount
    outsider: LocalAccount


def anvil_account(index: int) -> LocalAccount:
    Account.enable_unaudited_hdwallet_features()
    return Account.from_mnemonic(ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")


def reason(text: str) -> bytes:
    """The SHA-256 of a legal document, as compliance records it with an action."""
    return hashlib.sha256(text.encode("utf-8")).digest()


def _normal(value: Any) -> Any:
    # eth-abi decodes addresses as lowercase hex, while web3 hands out checksummed ones.
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return value.lower()
    if isinstance(value, bytes | bytearray | HexBytes):
        return bytes(value)
    if isinstance(value, list | tuple):
        return [_normal(item) for item in value]
    return value


@contextmanager
def reverts(error_name: str, /, **args: Any) -> Iterator[pytest.ExceptionInfo[ChainRevert]]:
    """Expect a ChainRevert with exactly this custom error and these arguments."""
    with pytest.raises(ChainRevert) as info:
        yield info
    error = info.value.error
    assert error.name == error_name, f"expected {error_name}, got {error}"
    assert {key: _normal(value) for key, value in error.args.items()} == {
        key: _normal(value) for key, value in args.items()
    }


def events(
    wrapper: PlatformRegistry | BackedAssetToken, name: str, receipt: TxReceipt
) -> list[Any]:
    """The decoded logs of one event that this contract emitted in the transaction, in order."""
    decoded = getattr(wrapper.contract.events, name)().process_receipt(receipt, errors=DISCARD)
    return [log for log in decoded if log["address"] == wrapper.address]


def event_args(
    wrapper: PlatformRegistry | BackedAssetToken, name: str, receipt: TxReceipt
) -> list[dict[str, Any]]:
    return [
        {key: _normal(value) for key, value in log["args"].items()}
        for log in events(wrapper, name, receipt)
    ]


def addr(value: str) -> str:
    """An address in the form :func:`event_args` and :func:`reverts` compare."""
    return value.lower()


@pytest.fixture(scope="session")
def accounts() -> Accounts:
    return Accounts(*(anvil_account(index) for index in range(7)))


def _snapshot(w3: Web3) -> str:
    return str(w3.provider.make_request("evm_snapshot", [])["result"])  # type: ignore[arg-type]


def _revert(w3: Web3, snapshot: str) -> None:
    w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]


# The registry is deployed once per module and each test's own snapshot (the ``chain`` fixture,
# taken after this one) returns to it; the module's end reverts to the chain as it was before, so
# other modules still start from anvil's genesis.
@pytest.fixture(scope="module")
def _platform(anvil_node: AnvilNode, accounts: Accounts) -> Iterator[PlatformRegistry]:
    w3 = web3_for(anvil_node.url, 10.0)
    before = _snapshot(w3)
    registry = PlatformRegistry.deploy(w3, accounts.admin, accounts.admin.address)
    registry.grant_role(accounts.admin, OPERATOR_ROLE, accounts.operator.address)
    registry.grant_role(accounts.admin, COMPLIANCE_ROLE, accounts.compliance.address)
    registry.set_allowlisted_batch(
        accounts.compliance,
        [accounts.issuer.address, accounts.holder_a.address, accounts.holder_b.address],
        True,
    )
    yield registry
    _revert(w3, before)


@pytest.fixture
def registry(_platform: PlatformRegistry, chain: Web3) -> PlatformRegistry:
    """The registry with operator and compliance roles granted and issuer and holders verified."""
    return _platform


@pytest.fixture
def issued(registry: PlatformRegistry, accounts: Accounts) -> tuple[BackedAssetToken, TxReceipt]:
    return registry.issue_asset(accounts.operator, ASSET, DOCUMENTS)


@pytest.fixture
def token(issued: tuple[BackedAssetToken, TxReceipt]) -> BackedAssetToken:
    return issued[0]


@pytest.fixture
def minted_token(token: BackedAssetToken, accounts: Accounts) -> BackedAssetToken:
    token.mint(accounts.operator, accounts.issuer.address, MINTED, MINT_REF)
    return token


# ------------------------------------------------------------------ the transaction manager

OPERATOR = operator_account().address


def request(kind, token, amount, key, sender="", receiver=""):
    return operation_request(
        kind=kind,
        token_address=token.address,
        amount=amount,
        idempotency_key=key,
        sender=sender,
        receiver=receiver,
    )


def run_until_settled(w3):
    """What the workers do, in order: batch, sign and send, follow receipts, index."""
    operations_batch()
    for address in keys_with_unsent():
        key_send_all(address=address, w3=w3)
    mined_by_the_node(w3)
    transactions_confirm(w3=w3)
    index_until_head(w3=w3)


def confirm(w3):
    """Follow receipts once what was broadcast is mined."""
    mined_by_the_node(w3)
    transactions_confirm(w3=w3)


def mined_by_the_node(w3, timeout: float = 5.0) -> None:
    """Wait until anvil has mined what is waiting in its pool: with automine it answers a send
    first and mines just after, so on a busy machine an immediate look for the receipt can come
    too early (a worker would simply look again at its next tick). Nothing is waited for when
    the test mines blocks itself."""
    if not w3.provider.make_request("anvil_getAutomine", [])["result"]:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if int(w3.provider.make_request("txpool_status", [])["result"]["pending"], 16) == 0:
            return
        time.sleep(0.05)


@pytest.fixture
def recorded_registry(registry, chain):
    """The module's registry as the platform's own, so the indexer follows its tokens."""
    receipt = registry.deployment_receipt
    PlatformDeployment.objects.update_or_create(
        chain_id=chain.eth.chain_id,
        defaults={
            "registry_address": registry.address,
            "deploy_tx_hash": receipt["transactionHash"].to_0x_hex(),
            "block_number": receipt["blockNumber"],
            "admin_address": anvil_account(0).address,
            "operator_address": anvil_account(1).address,
            "compliance_address": anvil_account(2).address,
            "deployed_at": timezone.now(),
        },
    )
    return registry


@pytest.fixture
def funded(recorded_registry, token, accounts, chain):
    """The issuer holds 1,000 units, minted through the manager and indexed."""
    request("mint", token, 1_000, "mint-1", receiver=accounts.issuer.address)
    run_until_settled(chain)
    assert token.balance_of(accounts.issuer.address) == 1_000
    return token


@pytest.fixture
def platform_token(chain: Web3, accounts: Accounts) -> BackedAssetToken:
    """A token of the platform's own registry (the one the indexer reads), nothing minted."""
    from qoima.chain.deployment import platform_registry_ensure

    deployment, _ = platform_registry_ensure(chain)
    registry = PlatformRegistry(chain, deployment.registry_address)
    registry.set_allowlisted_batch(
        accounts.compliance,
        [accounts.issuer.address, accounts.holder_a.address, accounts.holder_b.address],
        True,
    )
    token, _ = registry.issue_asset(accounts.operator, ASSET, DOCUMENTS)
    return token
