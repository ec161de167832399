"""What each custom error of the platform's contracts means, in words staff can act on."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

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
        "Cannot freeze or release %(amount)s units of %(account)s: only %(available)s are "
        "available."
    ),
    "BackedAssetInsufficientUnfrozenBalance": _(
        "%(account)s has %(unfrozen)s unfrozen units; %(needed)s are needed."
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
    "ERC20InsufficientBalance": _("%(sender)s holds %(balance)s units; %(needed)s are needed."),
    "ERC20InvalidApprover": _("The owner address %(approver)s is not valid."),
    "ERC20InvalidReceiver": _("The receiver address %(receiver)s is not valid."),
    "ERC20InvalidSender": _("The sender address %(sender)s is not valid."),
    "ERC20InvalidSpender": _("The spender address %(spender)s is not valid."),
    "EnforcedPause": _("Movements are paused."),
    "ExpectedPause": _("Movements are not paused."),
    "GasReferenceArrayLengthMismatch": _("The lists of a batch differ in length."),
    "RegistryArrayLengthMismatch": _("The lists of a batch differ in length."),
    "RegistryAssetExists": _("A token for asset %(assetId)s was issued already."),
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
}


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
