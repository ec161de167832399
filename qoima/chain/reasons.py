"""What each custom error of the platform's contracts means, in words staff can act on.

An operation's failure is stored as a code (the error's name) and its parameters, and put into
words only when someone reads it, in their language: amounts in the asset's units with its
symbol, wallets by their owner's name (see ``failure_text``).
"""

from typing import TYPE_CHECKING, Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from eth_utils import is_address, to_checksum_address

from .contracts import (
    COMPLIANCE_ROLE,
    DEFAULT_ADMIN_ROLE,
    OPERATOR_ROLE,
    DecodedError,
    from_bytes32,
)

ROLE_NAMES = {OPERATOR_ROLE: "operator", COMPLIANCE_ROLE: "compliance", DEFAULT_ADMIN_ROLE: "admin"}

REASONS: dict[str, Promise] = {
    "AccessControlBadConfirmation": _("A role can only be renounced by its own holder."),
    "AccessControlUnauthorizedAccount": _(
        "The signing address %(account)s lacks the %(neededRole)s role this action needs."
    ),
    "BackedAssetArrayLengthMismatch": _("The lists of a batch differ in length."),
    "BackedAssetCapExceeded": _(
        "Minting %(amount)s would exceed the backed units: %(minted)s of %(cap)s are minted."
    ),
    "BackedAssetDeployerUnauthorized": _(
        "Only the platform registry may deploy tokens, not %(caller)s."
    ),
    "BackedAssetEmptyBatch": _("A batch must hold at least one transfer."),
    "BackedAssetFreezeExceedsBalance": _(
        "Cannot freeze or release %(amount)s of %(account)s: only %(available)s are available."
    ),
    "BackedAssetInsufficientUnfrozenBalance": _(
        "%(account)s has %(unfrozen)s unfrozen; %(needed)s are needed."
    ),
    "BackedAssetInvalidDocument": _("Document %(name)s needs a name and a SHA-256 hash."),
    "BackedAssetRefUsed": _("Platform reference %(ref)s was already recorded on this token."),
    "BackedAssetUnauthorized": _(
        "The signing address %(account)s lacks the %(role)s role this action needs."
    ),
    "BackedAssetUnknownDocument": _("The token holds no document named %(name)s."),
    "BackedAssetZeroAmount": _("The amount must be greater than zero."),
    "ERC20InsufficientAllowance": _(
        "The allowance of %(spender)s is %(allowance)s; %(needed)s are needed."
    ),
    "ERC20InsufficientBalance": _("%(sender)s holds %(balance)s; %(needed)s are needed."),
    "ERC20InvalidApprover": _("The owner address %(approver)s is not valid."),
    "ERC20InvalidReceiver": _("The receiver address %(receiver)s is not valid."),
    "ERC20InvalidSender": _("The sender address %(sender)s is not valid."),
    "ERC20InvalidSpender": _("The spender address %(spender)s is not valid."),
    "EnforcedPause": _("Movements are paused."),
    "ExpectedPause": _("Movements are not paused."),
    "GasReferenceArrayLengthMismatch": _("The lists of a batch differ in length."),
    "RegistryArrayLengthMismatch": _("The lists of a batch differ in length."),
    "RegistryAssetExists": _("A token for asset %(assetId)s was issued already."),
    "RegistryAuditSeqNotIncreasing": _(
        "Audit entry %(seq)s cannot be anchored: the log is anchored up to entry %(lastSeq)s "
        "already."
    ),
    "RegistryEmptyBatch": _("A batch must hold at least one address."),
    "RegistryFrozen": _("The address %(account)s is frozen."),
    "RegistryMissingDocument": _(
        "The %(name)s document is missing; Art. 5 requires it before the token is formed."
    ),
    "RegistryNotAllowlisted": _("The address %(account)s is not a verified participant."),
    "RegistryZeroAddress": _("The zero address cannot be used here."),
    "Panic": _("The contract stopped on an internal check (code %(code)s)."),
    # Not the contracts': the transaction manager's own refusals.
    "TransactionTooLarge": _(
        "The action needs %(gas)s gas, more than one transaction may use (%(cap)s)."
    ),
    "NodeRefused": _("The node refused the transaction: %(message)s"),
    "Error": _("The contract refused: %(message)s"),
    "HolderSuspended": _("The holder was suspended before the movement was sent."),
    "WalletFrozen": _("Compliance froze a wallet of the movement before it was sent."),
    "WalletRecovered": _(
        "Compliance replaced a wallet of the movement on recovery before it was sent."
    ),
}

if TYPE_CHECKING:
    from .models import Operation

# Parameters that are amounts in a token's smallest units, and those that are wallet addresses.
AMOUNT_PARAMS = frozenset(
    {"balance", "needed", "amount", "minted", "cap", "unfrozen", "available", "allowance"}
)
ADDRESS_PARAMS = frozenset({"account", "sender", "receiver", "spender", "approver", "caller"})
# Whole numbers that are shown as they are: platform references and audit entry numbers.
PLAIN_NUMBER_PARAMS = frozenset({"ref", "seq", "lastSeq"})


def _readable(value: object) -> str:
    if isinstance(value, bytes) and value in ROLE_NAMES:
        return ROLE_NAMES[value]
    if isinstance(value, bytes) and len(value) == 32:
        try:
            text = from_bytes32(value)
        except UnicodeDecodeError:
            text = ""
        if text.isprintable() and text:
            return text
        return "0x" + value.hex()
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


def error_reason(error: DecodedError) -> str:
    """The translated explanation of a decoded contract error."""
    template = REASONS.get(error.name)
    if template is None:
        return str(error)
    return str(template) % {key: _readable(value) for key, value in error.args.items()}


def failure_params(error: DecodedError) -> dict[str, str]:
    """A decoded error's arguments as stored with a failed operation: JSON text that every
    database gives back exactly (a uint256 does not fit a JSON number everywhere), addresses
    checksummed as wallets are stored."""
    return {
        key: _wallet_address(value) if key in ADDRESS_PARAMS else _readable(value)
        for key, value in error.args.items()
    }


def _token_of(operation: "Operation") -> tuple[int, str]:
    from .models import PlatformToken

    token = (
        PlatformToken.objects.filter(
            chain_id=operation.chain_id, address__iexact=operation.token_address
        ).first()
        if operation.token_address
        else None
    )
    if token is not None:
        return token.decimals, token.symbol
    # An asset's issue, or a token the indexer has not recorded yet: the asset's own data.
    asset = operation.payload.get("asset", operation.payload)
    decimals = asset.get("decimals", 0) if isinstance(asset, dict) else 0
    symbol = asset.get("symbol", "") if isinstance(asset, dict) else ""
    return int(decimals) if str(decimals).isdigit() else 0, str(symbol)


def _shown(key: str, value: Any, token: tuple[int, str], language: str | None) -> str:
    from .amounts import format_units
    from .ledger import wallet_owner_name

    text = str(value)
    if key in AMOUNT_PARAMS and text.isdigit():
        decimals, symbol = token
        return format_units(int(text), decimals, language=language, symbol=symbol)
    if key in ADDRESS_PARAMS and text.startswith("0x"):
        return wallet_owner_name(_wallet_address(text))
    return text


def _wallet_address(address: object) -> str:
    text = str(address)
    return to_checksum_address(text) if is_address(text) else text


def failure_text(operation: "Operation", language: str | None = None) -> str:
    """Why an operation failed, in the reader's language (the active one unless given)."""
    if language is not None:
        with translation.override(language):
            return failure_text(operation)
    template = REASONS.get(operation.failure_code)
    if template is None:
        return str(_("The chain refused this operation."))
    token = _token_of(operation)
    params = {
        key: _shown(key, value, token, translation.get_language())
        for key, value in (operation.failure_params or {}).items()
    }
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return str(_("The chain refused this operation."))
