"""Typed wrappers around the platform's contracts, and decoding of their custom errors.

The committed artifacts under ``contracts/artifacts/`` are the only source of ABI and bytecode.
Nothing here sends a transaction: the platform's writes are operations the transaction manager
carries (``qoima.chain.manager``), whose call data ``encode_call`` builds; deployment, tests and
benchmarks send on their own through ``qoima.chain.direct``. A read that reverts comes back as
:class:`ChainRevert` carrying the decoded custom error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError
from web3.types import TxReceipt

from .compiler import Artifact, load_artifact

CONTRACT_NAMES = (
    "PlatformRegistry",
    "BackedAssetToken",
    "BackedAssetTokenDeployer",
    "GasReferenceToken",
)
ERROR_STRING_SELECTOR = bytes.fromhex("08c379a0")
PANIC_SELECTOR = bytes.fromhex("4e487b71")

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
MAX_UINT256 = 2**256 - 1
ASSET_ISSUED_TOPIC = (
    "0x" + keccak(text="AssetIssued(bytes32,address,bytes32,bytes32,bytes32)").hex()
)

OPERATOR_ROLE = keccak(text="OPERATOR_ROLE")
COMPLIANCE_ROLE = keccak(text="COMPLIANCE_ROLE")
DEFAULT_ADMIN_ROLE = b"\x00" * 32


def artifacts_dir() -> Path:
    return Path(settings.CONTRACTS_DIR) / "artifacts"


@cache
def artifact(name: str) -> Artifact:
    return load_artifact(name, artifacts_dir())


def to_bytes32(text: str) -> bytes:
    """A short name (a document name, an asset id) as a right-padded bytes32."""
    raw = text.encode("utf-8")
    if len(raw) > 32:
        raise ValueError(f"{text!r} is longer than 32 bytes")
    return raw.ljust(32, b"\x00")


def from_bytes32(value: bytes) -> str:
    return bytes(value).rstrip(b"\x00").decode("utf-8")


# ------------------------------------------------------------------------------ errors


@dataclass(frozen=True)
class DecodedError:
    name: str
    args: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        shown = ", ".join(f"{key}={_show(value)}" for key, value in self.args.items())
        return f"{self.name}({shown})"


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


def _signature(entry: dict[str, Any]) -> str:
    return f"{entry['name']}({','.join(_abi_type(i) for i in entry['inputs'])})"


def _abi_type(entry: dict[str, Any]) -> str:
    if entry["type"].startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in entry["components"])
        return f"({inner}){entry['type'][5:]}"
    return str(entry["type"])


@cache
def _error_table() -> dict[bytes, dict[str, Any]]:
    """Every custom error of every platform contract, OpenZeppelin's included, by selector."""
    table: dict[bytes, dict[str, Any]] = {}
    for name in CONTRACT_NAMES:
        for entry in artifact(name)["abi"]:
            if entry["type"] == "error":
                table[keccak(text=_signature(entry))[:4]] = entry
    return table


def decode_error(data: bytes | str) -> DecodedError:
    """Turn revert data into the error's name and arguments."""
    raw = bytes(HexBytes(data))
    selector, payload = raw[:4], raw[4:]
    if selector == ERROR_STRING_SELECTOR:
        return DecodedError("Error", {"message": abi_decode(["string"], payload)[0]})
    if selector == PANIC_SELECTOR:
        return DecodedError("Panic", {"code": abi_decode(["uint256"], payload)[0]})
    entry = _error_table().get(selector)
    if entry is None:
        return DecodedError("UnknownError", {"data": raw})
    values = abi_decode([_abi_type(i) for i in entry["inputs"]], payload)
    names = [i["name"] or f"arg{n}" for n, i in enumerate(entry["inputs"])]
    return DecodedError(entry["name"], dict(zip(names, values, strict=True)))


@cache
def _function_abi(contract: str, function: str) -> tuple[bytes, tuple[str, ...]]:
    for entry in artifact(contract)["abi"]:
        if entry["type"] == "function" and entry["name"] == function:
            types = tuple(_abi_type(i) for i in entry["inputs"])
            return keccak(text=f"{function}({','.join(types)})")[:4], types
    raise LookupError(f"{contract} has no function {function}")


def encode_call(contract: str, function: str, args: list[Any]) -> str:
    """Call data for a function of a platform contract, straight through eth-abi.

    web3's contract encoder normalises every argument through its formatters, which costs
    about 0.1 s for a batch of 200 transfers; the values here are already ABI-typed.
    """
    selector, types = _function_abi(contract, function)
    return "0x" + (selector + abi_encode(types, args)).hex()


class ChainRevert(Exception):
    """A contract call or transaction reverted; ``error`` says which rule it broke."""

    def __init__(self, error: DecodedError, receipt: TxReceipt | None = None) -> None:
        self.error = error
        self.receipt = receipt
        super().__init__(str(error))


def as_revert(exc: Exception) -> ChainRevert:
    if isinstance(exc, ContractCustomError | ContractPanicError) and isinstance(exc.data, str):
        return ChainRevert(decode_error(exc.data))
    return ChainRevert(DecodedError("Error", {"message": str(getattr(exc, "message", exc))}))


def call(fn: ContractFunction) -> Any:
    """Run a view function; a revert comes back as ChainRevert."""
    try:
        return fn.call()
    except (ContractCustomError, ContractLogicError) as exc:
        raise as_revert(exc) from exc


# ------------------------------------------------------------------------------ data


@dataclass(frozen=True)
class AssetData:
    asset_id: str
    name: str
    symbol: str
    decimals: int
    cap: int
    issuer_name: str
    issuer_id_number: str
    permit_number: str
    asset_identifier: str
    asset_class: str

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            to_bytes32(self.asset_id),
            self.name,
            self.symbol,
            self.decimals,
            self.cap,
            self.issuer_name,
            self.issuer_id_number,
            self.permit_number,
            self.asset_identifier,
            self.asset_class,
        )


@dataclass(frozen=True)
class DocumentData:
    name: str
    uri: str
    sha256: bytes

    def as_tuple(self) -> tuple[bytes, str, bytes]:
        return (to_bytes32(self.name), self.uri, self.sha256)


@dataclass(frozen=True)
class StoredDocument:
    uri: str
    sha256: bytes
    timestamp: int


@dataclass(frozen=True)
class TokenDescription:
    """A platform token's view functions, read together."""

    name: str
    symbol: str
    decimals: int
    issuer: tuple[str, str, str]
    underlying_asset: tuple[str, str]
    cap: int
    total_supply: int
    total_minted: int
    paused: bool
    documents: dict[str, StoredDocument]


# ------------------------------------------------------------------------------ reads


class _View:
    """A deployed platform contract, read through its view functions (nothing here sends)."""

    artifact_name = ""

    def __init__(self, w3: Web3, address: str) -> None:
        self.w3 = w3
        self.address = to_checksum_address(address)
        self.contract = w3.eth.contract(
            address=self.address, abi=artifact(self.artifact_name)["abi"]
        )

    def _fn(self, name: str, *args: Any) -> ContractFunction:
        return self.contract.get_function_by_name(name)(*args)

    def _call(self, name: str, *args: Any) -> Any:
        return call(self._fn(name, *args))

    def _call_batch(self, calls: list[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        """Several view functions in one JSON-RPC batch, their decoded results in order."""
        if not calls:
            return []
        try:
            with self.w3.batch_requests() as batch:
                for name, args in calls:
                    batch.add(self._fn(name, *args))
                return list(batch.execute())
        except (ContractCustomError, ContractLogicError) as exc:
            raise as_revert(exc) from exc


class RegistryView(_View):
    artifact_name = "PlatformRegistry"

    def has_role(self, role: bytes, account: str) -> bool:
        return bool(self._call("hasRole", role, to_checksum_address(account)))

    def is_allowlisted(self, account: str) -> bool:
        return bool(self._call("isAllowlisted", to_checksum_address(account)))

    def is_frozen(self, account: str) -> bool:
        return bool(self._call("isFrozen", to_checksum_address(account)))

    def check_transfer(self, sender: str, receiver: str, forced: bool = False) -> None:
        self._call(
            "checkTransfer", to_checksum_address(sender), to_checksum_address(receiver), forced
        )

    def check_spender(self, spender: str) -> None:
        self._call("checkSpender", to_checksum_address(spender))

    def paused(self) -> bool:
        return bool(self._call("paused"))

    def last_audit_seq(self) -> int:
        return int(self._call("lastAuditSeq"))

    def token_of(self, asset_id: str) -> str:
        return str(self._call("tokenOf", to_bytes32(asset_id)))

    def all_tokens(self) -> list[str]:
        return list(self._call("allTokens"))

    def token_deployer(self) -> str:
        return str(self._call("tokenDeployer"))


class TokenView(_View):
    artifact_name = "BackedAssetToken"

    def name(self) -> str:
        return str(self._call("name"))

    def symbol(self) -> str:
        return str(self._call("symbol"))

    def decimals(self) -> int:
        return int(self._call("decimals"))

    def cap(self) -> int:
        return int(self._call("cap"))

    def total_supply(self) -> int:
        return int(self._call("totalSupply"))

    def total_minted(self) -> int:
        return int(self._call("totalMinted"))

    def balance_of(self, account: str) -> int:
        return int(self._call("balanceOf", to_checksum_address(account)))

    def allowance(self, owner: str, spender: str) -> int:
        return int(
            self._call("allowance", to_checksum_address(owner), to_checksum_address(spender))
        )

    def frozen_tokens(self, account: str) -> int:
        return int(self._call("frozenTokens", to_checksum_address(account)))

    def is_ref_used(self, ref: int) -> bool:
        return bool(self._call("isRefUsed", ref))

    def paused(self) -> bool:
        return bool(self._call("paused"))

    def registry(self) -> str:
        return str(self._call("registry"))

    def asset_id(self) -> str:
        return from_bytes32(self._call("assetId"))

    def issuer(self) -> tuple[str, str, str]:
        name, id_number, permit = self._call("issuer")
        return str(name), str(id_number), str(permit)

    def underlying_asset(self) -> tuple[str, str]:
        identifier, asset_class = self._call("underlyingAsset")
        return str(identifier), str(asset_class)

    def get_document(self, name: str) -> StoredDocument:
        uri, sha256, timestamp = self._call("getDocument", to_bytes32(name))
        return StoredDocument(str(uri), bytes(sha256), int(timestamp))

    def get_document_versions(self, name: str) -> list[StoredDocument]:
        return [
            StoredDocument(str(uri), bytes(sha256), int(timestamp))
            for uri, sha256, timestamp in self._call("getDocumentVersions", to_bytes32(name))
        ]

    def get_all_documents(self) -> list[str]:
        return [from_bytes32(name) for name in self._call("getAllDocuments")]

    def described(self) -> TokenDescription:
        """What the token says of itself, in two round trips to the node however many
        documents it holds: its data, then each document's current version."""
        views = (
            "name", "symbol", "decimals", "issuer", "underlyingAsset", "cap", "totalSupply",
            "totalMinted", "paused", "getAllDocuments",
        )  # fmt: skip
        read = dict(zip(views, self._call_batch([(view, ()) for view in views]), strict=True))
        names = [from_bytes32(name) for name in read["getAllDocuments"]]
        documents = self._call_batch([("getDocument", (to_bytes32(name),)) for name in names])
        issuer_name, issuer_id, permit = read["issuer"]
        identifier, asset_class = read["underlyingAsset"]
        return TokenDescription(
            name=str(read["name"]),
            symbol=str(read["symbol"]),
            decimals=int(read["decimals"]),
            issuer=(str(issuer_name), str(issuer_id), str(permit)),
            underlying_asset=(str(identifier), str(asset_class)),
            cap=int(read["cap"]),
            total_supply=int(read["totalSupply"]),
            total_minted=int(read["totalMinted"]),
            paused=bool(read["paused"]),
            documents={
                name: StoredDocument(str(uri), bytes(sha256), int(timestamp))
                for name, (uri, sha256, timestamp) in zip(names, documents, strict=True)
            },
        )
