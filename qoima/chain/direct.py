"""Contracts driven directly: each call signed locally, sent and waited for. For deployment,
tests and benchmarks only.

The platform's own on-chain actions go through the transaction manager alone
(``qoima.chain.manager``): it saves every signed transaction before it is broadcast and
settles each exactly once. Sending from here bypasses all of that, so no production module
imports this one (``tests/chain/test_direct_imports.py`` walks their imports): only
``qoima.chain.deployment`` (the registry's deployment, run by ``manage.py deployplatform``),
tests and ``bench/``.
"""

from __future__ import annotations

from typing import Any, Self

from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractCustomError, ContractLogicError
from web3.logs import DISCARD
from web3.types import TxReceipt

from .contracts import (
    AssetData,
    ChainRevert,
    DecodedError,
    DocumentData,
    RegistryView,
    TokenView,
    artifact,
    as_revert,
    to_bytes32,
)


def send(fn: ContractFunction, sender: LocalAccount, *, gas: int | None = None) -> TxReceipt:
    """Sign the call locally, send it and wait for its receipt.

    The gas estimate runs the call first, so a call that would revert raises ChainRevert with
    the decoded error before anything is sent.
    """
    w3 = fn.w3
    try:
        estimate = fn.estimate_gas({"from": sender.address})
    except (ContractCustomError, ContractLogicError) as exc:
        raise as_revert(exc) from exc
    tx = fn.build_transaction(
        {
            "from": sender.address,
            "nonce": w3.eth.get_transaction_count(sender.address, "pending"),
            "gas": gas or estimate + estimate // 5,
            "chainId": w3.eth.chain_id,
        }
    )
    signed = sender.sign_transaction(tx)  # type: ignore[arg-type]
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    if receipt["status"] != 1:
        raise ChainRevert(DecodedError("Reverted", {"tx": tx_hash.to_0x_hex()}), receipt)
    return receipt


def deploy(w3: Web3, name: str, sender: LocalAccount, *args: Any) -> tuple[Contract, TxReceipt]:
    data = artifact(name)
    factory = w3.eth.contract(abi=data["abi"], bytecode=data["bytecode"])
    receipt = send(factory.constructor(*args), sender)  # type: ignore[arg-type]
    address = receipt["contractAddress"]
    assert address is not None
    return w3.eth.contract(address=address, abi=data["abi"]), receipt


class PlatformRegistry(RegistryView):
    """The registry, read and driven directly."""

    # Set on registries returned by deploy(), for callers that record where it came from.
    deployment_receipt: TxReceipt

    @classmethod
    def deploy(cls, w3: Web3, deployer: LocalAccount, admin: str) -> Self:
        contract, receipt = deploy(w3, cls.artifact_name, deployer, to_checksum_address(admin))
        registry = cls(w3, contract.address)
        registry.deployment_receipt = receipt
        return registry

    def _send(self, sender: LocalAccount, name: str, *args: Any) -> TxReceipt:
        return send(self._fn(name, *args), sender)

    # roles
    def grant_role(self, sender: LocalAccount, role: bytes, account: str) -> TxReceipt:
        return self._send(sender, "grantRole", role, to_checksum_address(account))

    def revoke_role(self, sender: LocalAccount, role: bytes, account: str) -> TxReceipt:
        return self._send(sender, "revokeRole", role, to_checksum_address(account))

    # allowlist and freeze
    def set_allowlisted(self, sender: LocalAccount, account: str, allowed: bool) -> TxReceipt:
        return self._send(sender, "setAllowlisted", to_checksum_address(account), allowed)

    def set_allowlisted_batch(
        self, sender: LocalAccount, accounts: list[str], allowed: bool
    ) -> TxReceipt:
        checksummed = [to_checksum_address(a) for a in accounts]
        return self._send(sender, "setAllowlistedBatch", checksummed, allowed)

    def set_frozen(
        self, sender: LocalAccount, account: str, frozen: bool, reason_hash: bytes
    ) -> TxReceipt:
        return self._send(sender, "setFrozen", to_checksum_address(account), frozen, reason_hash)

    def set_frozen_batch(
        self, sender: LocalAccount, accounts: list[str], frozen: bool, reason_hash: bytes
    ) -> TxReceipt:
        checksummed = [to_checksum_address(a) for a in accounts]
        return self._send(sender, "setFrozenBatch", checksummed, frozen, reason_hash)

    # pause
    def pause(self, sender: LocalAccount, reason_hash: bytes) -> TxReceipt:
        return self._send(sender, "pause", reason_hash)

    def unpause(self, sender: LocalAccount, reason_hash: bytes) -> TxReceipt:
        return self._send(sender, "unpause", reason_hash)

    def anchor_audit(self, sender: LocalAccount, seq: int, root: bytes) -> TxReceipt:
        return self._send(sender, "anchorAudit", seq, root)

    # assets
    def issue_asset(
        self, sender: LocalAccount, asset: AssetData, documents: list[DocumentData]
    ) -> tuple[BackedAssetToken, TxReceipt]:
        receipt = self._send(
            sender, "issueAsset", asset.as_tuple(), [d.as_tuple() for d in documents]
        )
        (event,) = self.contract.events.AssetIssued().process_receipt(receipt, errors=DISCARD)
        return BackedAssetToken(self.w3, event["args"]["token"]), receipt


class BackedAssetToken(TokenView):
    """A platform token, read and driven directly."""

    def _send(self, sender: LocalAccount, name: str, *args: Any) -> TxReceipt:
        return send(self._fn(name, *args), sender)

    # operator movements
    def mint(self, sender: LocalAccount, to: str, amount: int, ref: int) -> TxReceipt:
        return self._send(sender, "mint", to_checksum_address(to), amount, ref)

    def burn(self, sender: LocalAccount, holder: str, amount: int, ref: int) -> TxReceipt:
        return self._send(sender, "burn", to_checksum_address(holder), amount, ref)

    def record_transfer(
        self, sender: LocalAccount, source: str, to: str, amount: int, ref: int
    ) -> TxReceipt:
        return self._send(
            sender,
            "recordTransfer",
            to_checksum_address(source),
            to_checksum_address(to),
            amount,
            ref,
        )

    def record_transfers(
        self,
        sender: LocalAccount,
        sources: list[str],
        receivers: list[str],
        amounts: list[int],
        refs: list[int],
    ) -> TxReceipt:
        return self._send(
            sender,
            "recordTransfers",
            [to_checksum_address(a) for a in sources],
            [to_checksum_address(a) for a in receivers],
            amounts,
            refs,
        )

    def record_transfers_from(
        self,
        sender: LocalAccount,
        source: str,
        receivers: list[str],
        amounts: list[int],
        refs: list[int],
    ) -> TxReceipt:
        return self._send(
            sender,
            "recordTransfersFrom",
            to_checksum_address(source),
            [to_checksum_address(a) for a in receivers],
            amounts,
            refs,
        )

    # compliance actions
    def forced_transfer(
        self,
        sender: LocalAccount,
        source: str,
        to: str,
        amount: int,
        ref: int,
        legal_basis_hash: bytes,
    ) -> TxReceipt:
        return self._send(
            sender,
            "forcedTransfer",
            to_checksum_address(source),
            to_checksum_address(to),
            amount,
            ref,
            legal_basis_hash,
        )

    def freeze_partial(
        self, sender: LocalAccount, account: str, amount: int, reason_hash: bytes
    ) -> TxReceipt:
        return self._send(
            sender, "freezePartialTokens", to_checksum_address(account), amount, reason_hash
        )

    def unfreeze_partial(
        self, sender: LocalAccount, account: str, amount: int, reason_hash: bytes
    ) -> TxReceipt:
        return self._send(
            sender, "unfreezePartialTokens", to_checksum_address(account), amount, reason_hash
        )

    def pause(self, sender: LocalAccount, reason_hash: bytes) -> TxReceipt:
        return self._send(sender, "pause", reason_hash)

    def unpause(self, sender: LocalAccount, reason_hash: bytes) -> TxReceipt:
        return self._send(sender, "unpause", reason_hash)

    def set_document(self, sender: LocalAccount, name: str, uri: str, sha256: bytes) -> TxReceipt:
        return self._send(sender, "setDocument", to_bytes32(name), uri, sha256)

    # ERC-20, for holders' own wallets
    def transfer(self, sender: LocalAccount, to: str, amount: int) -> TxReceipt:
        return self._send(sender, "transfer", to_checksum_address(to), amount)

    def approve(self, sender: LocalAccount, spender: str, amount: int) -> TxReceipt:
        return self._send(sender, "approve", to_checksum_address(spender), amount)

    def transfer_from(self, sender: LocalAccount, source: str, to: str, amount: int) -> TxReceipt:
        return self._send(
            sender, "transferFrom", to_checksum_address(source), to_checksum_address(to), amount
        )
