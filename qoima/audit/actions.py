"""Every action the audit log records, each with its label in the reader's language.

The values are the codes stored in entries (the hash chain covers them), so a value never
changes once entries carry it; a new action is a new member. ``audit_record`` takes a member,
so every action the platform records is listed here and has a label.
"""

from django.apps import apps
from django.db import models
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _

_ADDED = _("Added in the administration: %(object)s")
_CHANGED = _("Changed in the administration: %(object)s")


def _in_admin(template: Promise, model: str) -> str:
    # The model's name is read when the label is shown, in the reader's language.
    return str(template) % {"object": apps.get_model(model)._meta.verbose_name}


_in_admin_lazy = lazy(_in_admin, str)


class AuditAction(models.TextChoices):
    CHAIN_REGISTRY_DEPLOYED = "chain.registry_deployed", _("Platform registry deployed on-chain")
    CHAIN_REGISTRY_REDEPLOYED = (
        "chain.registry_redeployed",
        _("Platform registry deployed again on-chain"),
    )
    CUSTODY_KEY_REENCRYPTED = "custody.key_reencrypted", _("Wallet key re-encrypted")
    CUSTODY_WALLET_OPENED = "custody.wallet_opened", _("Wallet opened")
    CUSTODY_WALLET_ALLOWLIST = "custody.wallet_allowlist", _("Wallet put on the allowlist")
    CUSTODY_WALLET_DELIST = "custody.wallet_delist", _("Wallet taken off the allowlist")
    CUSTODY_WALLET_LINK_REQUESTED = (
        "custody.wallet_link_requested",
        _("Link of an external wallet requested"),
    )
    CUSTODY_WALLET_LINK_SIGNED = (
        "custody.wallet_link_signed",
        _("External wallet's control proved by its signature"),
    )
    CUSTODY_WALLET_LINK_APPROVED = (
        "custody.wallet_link_approved",
        _("External wallet linked by compliance"),
    )
    CUSTODY_WALLET_LINK_REFUSED = (
        "custody.wallet_link_refused",
        _("Link of an external wallet refused"),
    )
    ENFORCEMENT_ACT_REQUESTED = "enforcement.act_requested", _("Enforcement act requested")
    ENFORCEMENT_ACT_CONFIRMED = (
        "enforcement.act_confirmed",
        _("Enforcement act confirmed by a second officer"),
    )
    ENFORCEMENT_ACT_REJECTED = "enforcement.act_rejected", _("Enforcement act rejected")
    ENFORCEMENT_ACT_CARRIED_OUT = (
        "enforcement.act_carried_out",
        _("Enforcement act sent to the chain"),
    )
    ENFORCEMENT_ACT_SETTLED = (
        "enforcement.act_settled",
        _("Enforcement act confirmed on-chain"),
    )
    ENFORCEMENT_ACT_FAILED = "enforcement.act_failed", _("Enforcement act failed on-chain")
    EXCHANGE_TRANSFER_REQUESTED = "exchange.transfer_requested", _("Transfer requested")
    EXCHANGE_TRADE_SETTLED = "exchange.trade_settled", _("Trade settled: its transfer confirmed")
    EXCHANGE_TRADE_BROKEN = "exchange.trade_broken", _("Trade broken: its transfer failed")
    EXCHANGE_MEMBER_JOINED = "exchange.member_joined", _("Exchange member opened")
    EXCHANGE_BANK_ACCOUNT_ADDED = "exchange.bank_account_added", _("Bank account added")
    EXCHANGE_STATEMENT_IMPORTED = "exchange.statement_imported", _("Bank statement imported")
    EXCHANGE_RECEIPT_ALLOCATED = "exchange.receipt_allocated", _("Receipt allocated to a member")
    EXCHANGE_RECEIPT_RETURNED = "exchange.receipt_returned", _("Receipt returned to its sender")
    EXCHANGE_WITHDRAWAL_REQUESTED = "exchange.withdrawal_requested", _("Withdrawal requested")
    EXCHANGE_WITHDRAWAL_CANCELLED = "exchange.withdrawal_cancelled", _("Withdrawal cancelled")
    EXCHANGE_WITHDRAWAL_APPROVED = (
        "exchange.withdrawal_approved",
        _("Withdrawal approved by a second officer"),
    )
    EXCHANGE_WITHDRAWAL_PAID = "exchange.withdrawal_paid", _("Withdrawal paid")
    EXCHANGE_WITHDRAWAL_REFUSED = "exchange.withdrawal_refused", _("Withdrawal refused")
    EXCHANGE_MARKET_OPENED = "exchange.market_opened", _("Market opened")
    EXCHANGE_MARKET_CHANGED = "exchange.market_changed", _("Market settings changed")
    EXCHANGE_MARKET_HALTED = "exchange.market_halted", _("Market halted")
    EXCHANGE_MARKET_RESUMED = "exchange.market_resumed", _("Market resumed")
    EXCHANGE_ORDER_PLACED = "exchange.order_placed", _("Order placed")
    EXCHANGE_ORDER_CANCEL_REQUESTED = (
        "exchange.order_cancel_requested",
        _("Cancellation of an order requested"),
    )
    EXCHANGE_ORDER_AMEND_REQUESTED = (
        "exchange.order_amend_requested",
        _("Change of an order requested"),
    )
    HOLDER_MOVEMENTS_WITHDRAWN = (
        "holder.movements_withdrawn",
        _("Pending movements of a suspended holder withdrawn"),
    )
    HOLDER_REGISTERED = "holder.registered", _("Holder registered")
    HOLDER_SUSPENDED = "holder.suspended", _("Holder suspended")
    HOLDER_VERIFIED = "holder.verified", _("Holder verified")
    APPLICATION_APPROVED = "issuance.application_approved", _("Application approved")
    APPLICATION_CONFIRMED = (
        "issuance.application_confirmed",
        _("Approval confirmed by a second officer"),
    )
    APPLICATION_DRAFTED = "issuance.application_drafted", _("Application drafted")
    APPLICATION_EDITED = "issuance.application_edited", _("Application edited")
    APPLICATION_SUBMITTED = (
        "issuance.application_submitted",
        _("Application submitted for review"),
    )
    APPLICATION_REJECTED = "issuance.application_reject", _("Application rejected")
    APPLICATION_CHANGES_REQUESTED = (
        "issuance.application_request_changes",
        _("Changes to the application requested"),
    )
    DISTRIBUTION_REFUSED = "issuance.distribution_refused", _("Distribution file refused")
    DISTRIBUTION_REQUESTED = "issuance.distribution_requested", _("Distribution requested")
    DISTRIBUTION_UPLOADED = "issuance.distribution_uploaded", _("Distribution file uploaded")
    DISTRIBUTION_DONE = (
        "issuance.distribution_done",
        _("Distribution done: every transfer is final"),
    )
    DOCUMENT_CHECK_FAILED = (
        "issuance.document_check_failed",
        _("Document failed its integrity check"),
    )
    DOCUMENT_UPLOADED = "issuance.document_uploaded", _("Document uploaded")
    MINT_REQUESTED = "issuance.mint_requested", _("Mint requested")
    MINTED = "issuance.minted", _("Units minted")
    ONCHAIN_FAILED = "issuance.onchain_failed", _("Issue failed on-chain")
    REDEMPTION_FULFILLED = (
        "issuance.redemption_fulfilled",
        _("Redemption fulfilled by the issuer"),
    )
    REDEMPTION_REFUSED = "issuance.redemption_refused", _("Redemption refused by the issuer")
    REDEMPTION_REQUESTED = "issuance.redemption_requested", _("Redemption requested")
    REDEMPTION_REDEEMED = "issuance.redemption_redeemed", _("Redeemed units burned")
    REDEMPTION_FAILED = (
        "issuance.redemption_failed",
        _("Burn of redeemed units failed on-chain"),
    )
    TOKEN_ISSUED = "issuance.token_issued", _("Token issued on-chain")
    OPERATION_FAILED = "operation.failed", _("Operation failed")
    OPERATION_REQUEUED = (
        "operation.requeued",
        _("Operation requested again in a new transaction"),
    )
    OPERATION_REPLACED = (
        "operation.replaced",
        _("Operation's transaction replaced with higher fees"),
    )
    OPERATION_REORGED = (
        "operation.reorged",
        _("Operation's confirmation taken back by a chain reorganisation"),
    )
    ORGANISATION_REGISTERED = "organisation.registered", _("Issuer registered")
    ORGANISATION_VERIFICATION_SUBMITTED = (
        "organisation.verification_submitted",
        _("Issuer's documents sent for verification"),
    )
    ORGANISATION_VERIFIED = "organisation.verified", _("Issuer organisation verified by compliance")
    ORGANISATION_REFUSED = "organisation.refused", _("Issuer organisation refused by compliance")
    PERMIT_ADDED = "permit.added", _("Permit recorded")
    PERMIT_ACTIVE = "permit.active", _("Permit reinstated")
    PERMIT_SUSPENDED = "permit.suspended", _("Permit suspended")
    PERMIT_REVOKED = "permit.revoked", _("Permit revoked")
    PERMIT_PENDING = "permit.pending", _("Permit waiting for verification by compliance")
    PERMIT_VERIFIED = (
        "permit.verified",
        _("Permit verified by compliance against its document"),
    )
    PERMIT_REFUSED = "permit.refused", _("Permit refused by compliance")
    ROLE_PERMISSIONS_SYNCED = (
        "role.permissions_synced",
        _("Role's permissions brought in line with the platform's definition"),
    )
    USER_API_TOKEN_ISSUED = "user.api_token_issued", _("API token issued")
    USER_API_TOKEN_REVOKED = "user.api_token_revoked", _("API token revoked by its owner")
    USER_CREATED = "user.created", _("User created")
    USER_LANGUAGE_CHANGED = "user.language_changed", _("Preferred language changed")
    USER_PASSWORD_SET = "user.password_set", _("Password set by an administrator's command")
    USER_PASSWORD_CHANGED = "user.password_changed", _("Password changed by its owner")
    USER_PASSWORD_RESET = (
        "user.password_reset",
        _("Password reset through the emailed link; every session and API token ended"),
    )
    USER_SESSION_ENDED = "user.session_ended", _("Session signed out from the list of sessions")
    USER_LOGIN_LOCKED = (
        "user.login_locked",
        _("Sign-in locked after repeated failed attempts"),
    )
    USER_LOGIN_UNLOCKED = "user.login_unlocked", _("Sign-in unlocked by an administrator")
    USER_SECOND_FACTOR_ADDED = "user.second_factor_added", _("Second factor added")
    USER_SECOND_FACTOR_REMOVED = "user.second_factor_removed", _("Second factor removed")
    USER_SECOND_FACTORS_RESET = (
        "user.second_factors_reset",
        _("Second factors reset by an administrator"),
    )
    USER_RECOVERY_CODES_ISSUED = "user.recovery_codes_issued", _("Recovery codes issued")
    USER_RECOVERY_CODE_USED = (
        "user.recovery_code_used",
        _("Signed in with a recovery code"),
    )
    # Changes made in the administration, one code per model the administration changes.
    ADMIN_HOLDERPROFILE_ADDED = (
        "admin.holderprofile.added",
        _in_admin_lazy(_ADDED, "participants.holderprofile"),
    )
    ADMIN_HOLDERPROFILE_CHANGED = (
        "admin.holderprofile.changed",
        _in_admin_lazy(_CHANGED, "participants.holderprofile"),
    )
    ADMIN_ORGANISATION_ADDED = (
        "admin.organisation.added",
        _in_admin_lazy(_ADDED, "participants.organisation"),
    )
    ADMIN_ORGANISATION_CHANGED = (
        "admin.organisation.changed",
        _in_admin_lazy(_CHANGED, "participants.organisation"),
    )
    ADMIN_PERMIT_ADDED = "admin.permit.added", _in_admin_lazy(_ADDED, "participants.permit")
    ADMIN_PERMIT_CHANGED = (
        "admin.permit.changed",
        _in_admin_lazy(_CHANGED, "participants.permit"),
    )
    ADMIN_USER_ADDED = "admin.user.added", _in_admin_lazy(_ADDED, "participants.user")
    ADMIN_USER_CHANGED = "admin.user.changed", _in_admin_lazy(_CHANGED, "participants.user")


def admin_action(model: type[models.Model], *, change: bool) -> AuditAction:
    """The action of a change made in the administration to a row of ``model``."""
    return AuditAction(f"admin.{model._meta.model_name}.{'changed' if change else 'added'}")
