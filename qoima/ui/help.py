"""What the help pages explain: a page per role, the states each role meets with what each one
means, and the seven items of Art. 5 in plain words beside the checklist's own wording.

State labels and the checklist's wording come from the models and from ``ART5_ITEMS``, so the
help reads the same words as the pages it explains, in the reader's language.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from issuance.models import Application, Distribution, Redemption
from issuance.selectors import ART5_ITEMS
from qoima.chain.models import Operation
from qoima.exchange.models import StatementLine, Withdrawal
from qoima.participants.models import HolderProfile, Permit, Role

# The address of each role's page: a word a person can type, never the stored role code.
ROLE_PAGES: dict[str, Role] = {
    "issuer": Role.ISSUER_STAFF,
    "holder": Role.HOLDER,
    "compliance": Role.COMPLIANCE_OFFICER,
    "regulator": Role.REGULATOR,
    "administrator": Role.PLATFORM_ADMIN,
    "treasury": Role.TREASURY_OFFICER,
}
PAGE_OF_ROLE = {role: slug for slug, role in ROLE_PAGES.items()}


@dataclass(frozen=True)
class StateNote:
    code: str
    label: str | Promise
    meaning: Promise


@dataclass(frozen=True)
class StateGroup:
    title: Promise
    states: list[StateNote]


def _notes(choices: type[models.TextChoices], meanings: dict[str, Promise]) -> list[StateNote]:
    # Every state of the model, in its own order: a state added later without a meaning here
    # fails loudly rather than going unexplained.
    return [StateNote(c.value, c.label, meanings[c.value]) for c in choices]


def application_states() -> StateGroup:
    status = Application.Status
    return StateGroup(
        _("Asset applications"),
        _notes(
            status,
            {
                status.DRAFT: _("The issuer is still preparing it; nobody else acts on it yet."),
                status.SUBMITTED: _("Submitted and waiting for a compliance officer to review it."),
                status.CHANGES_REQUESTED: _(
                    "The officer asked the issuer to correct something; the issuer edits "
                    "the application or its documents and submits it again."
                ),
                status.APPROVED: _(
                    "One officer has checked all seven items of Art. 5; a second, different "
                    "officer must confirm before anything reaches the chain."
                ),
                status.REJECTED: _(
                    "Refused, with the reason. A rejected application stays in the record "
                    "and cannot be changed; the issuer may start a new one."
                ),
                status.ISSUING: _(
                    "Confirmed: the platform is creating the token and minting the backed "
                    "units to the issuer's wallet. The page updates by itself."
                ),
                status.ISSUED: _(
                    "The token exists on the chain with the issuer's data and the documents' "
                    "hashes, and its units are in the issuer's wallet."
                ),
                status.FAILED: _(
                    "The chain refused the issue; the reason is shown on the application and "
                    "no units exist. The platform's administrators look into it."
                ),
            },
        ),
    )


def permit_states() -> StateGroup:
    status = Permit.Status
    return StateGroup(
        _("Permits"),
        _notes(
            status,
            {
                status.PENDING: _(
                    "Recorded by the issuer, not yet checked. It does not count until a "
                    "compliance officer verifies it against its document."
                ),
                status.ACTIVE: _(
                    "Verified by compliance. The issuer may submit applications while the "
                    "permit is within its dates."
                ),
                status.SUSPENDED: _(
                    "Stopped for now by the authority's decision; nothing can be submitted, "
                    "approved or minted under it until it is reinstated."
                ),
                status.REVOKED: _("Withdrawn for good; the issuer needs a new permit."),
                status.REFUSED: _(
                    "Compliance could not match it with its document or the authority's "
                    "register; the reason is shown beside it."
                ),
            },
        ),
    )


def holder_states() -> StateGroup:
    status = HolderProfile.Status
    return StateGroup(
        _("Holders"),
        _notes(
            status,
            {
                status.UNVERIFIED: _(
                    "Registered, waiting for compliance to check the person's or the "
                    "company's identity. No wallet yet."
                ),
                status.VERIFIED: _(
                    "Identity checked: the holder has a wallet and may receive, send and "
                    "redeem assets."
                ),
                status.SUSPENDED: _(
                    "Stopped by compliance, with a reason: the wallet is taken off the "
                    "list of addresses that may hold assets, and nothing moves in or out."
                ),
            },
        ),
    )


def operation_states() -> StateGroup:
    status = Operation.State
    return StateGroup(
        _("Transfers and other on-chain operations"),
        _notes(
            status,
            {
                status.PENDING: _(
                    "Accepted by the platform and the units are reserved; a worker will "
                    "send it to the chain shortly."
                ),
                status.SUBMITTED: _(
                    "Sent to the chain and waiting for its confirmations. Nothing needs to be "
                    "done; do not send it again."
                ),
                status.CONFIRMED: _(
                    "Written in the blockchain. The transaction's hash is the public proof."
                ),
                status.FAILED: _(
                    "The chain refused it; the reason is shown. Reserved units are released, "
                    "and nothing moved."
                ),
            },
        ),
    )


def distribution_states() -> StateGroup:
    status = Distribution.Status
    return StateGroup(
        _("Distributions to holders"),
        _notes(
            status,
            {
                status.VALIDATING: _("The platform is checking every row of the file."),
                status.INVALID: _(
                    "At least one row is wrong: every bad row is listed with its line and "
                    "the reason, and nothing was sent. Correct the file and upload it again."
                ),
                status.SENDING: _("Every row became a transfer; they are being recorded on-chain."),
                status.DONE: _("Every transfer of the file is settled."),
            },
        ),
    )


def redemption_states() -> StateGroup:
    status = Redemption.Status
    return StateGroup(
        _("Redemptions"),
        _notes(
            status,
            {
                status.REQUESTED: _(
                    "The holder asked; the units are held aside until the issuer answers."
                ),
                status.REFUSED: _("The issuer refused, with a reason; the units are free again."),
                status.BURNING: _(
                    "The issuer delivered what the units stand for; the units are being "
                    "burnt on-chain."
                ),
                status.REDEEMED: _("The units are burnt: the right they certified is exercised."),
                status.FAILED: _(
                    "The chain refused the burn; the reason is shown, nothing was burnt and "
                    "the units are back in the holder's balance."
                ),
            },
        ),
    )


@dataclass(frozen=True)
class Art5Item:
    number: int
    wording: str | Promise
    plain: Promise
    checked: Promise


# What each item of Art. 5 asks, in plain words, and how the platform checks it.
ART5_PLAIN: dict[int, tuple[Promise, Promise]] = {
    1: (
        _(
            "The token must stand for something real that can be owned or used: goods, "
            "property, a service, or an intellectual right such as a patent or a plant "
            "variety. It may not stand for money or for shares, bonds and other securities."
        ),
        _(
            "The issuer chooses the asset class and names the underlying asset with its "
            "registry identifier (a cadastral or IP-registry number). The platform refuses "
            "money, securities, derivatives, financial instruments and crypto at once."
        ),
    ),
    2: (
        _(
            "The issuer's competent body must have formally decided to issue the asset: a "
            "signed decision with a number and a date."
        ),
        _(
            "The issuer uploads the issuance decision with its number, date and signatory. "
            "Its SHA-256 fingerprint goes on-chain with the token."
        ),
    ),
    3: (
        _(
            "The token may not work as money: it cannot be a means of payment or look like a "
            "currency such as the tenge, the dollar or the euro."
        ),
        _(
            "Names and symbols that look like a currency (codes such as KZT or USD, words "
            "such as tenge or dollar, in Kazakh, Russian or English) are refused."
        ),
    ),
    4: (
        _(
            "The token may not be a financial instrument or a financial asset: it is not a "
            "share, a deposit, a loan or a derivative, and buying it is not an investment "
            "product."
        ),
        _(
            "Only the four eligible classes are accepted: tangible asset, tangible service, "
            "intellectual-property asset and intellectual service."
        ),
    ),
    5: (
        _(
            "Anyone looking at the token must be able to see who issued it: the issuer's "
            "name, identification number and permit."
        ),
        _(
            "The token's contract stores the issuer's legal name, BIN or IIN and permit "
            "number; the registry reads them back from the chain."
        ),
    ),
    6: (
        _(
            "The issuer must prove that it owns the asset, or the intellectual right, before "
            "the token is created, not afterwards."
        ),
        _(
            "A proof of rights dated on or before the approval is required; its fingerprint "
            "is written on-chain before any unit exists."
        ),
    ),
    7: (
        _(
            "Every movement of the asset must be written in the blockchain, so that its "
            "history can be checked by anyone and cannot be quietly changed."
        ),
        _(
            "Every issue, transfer, freeze and redemption is an on-chain transaction carrying "
            "the platform's reference, and the platform reconciles its ledger with the chain."
        ),
    ),
}


def withdrawal_states() -> StateGroup:
    state = Withdrawal.State
    return StateGroup(
        _("Withdrawals of tenge"),
        _notes(
            state,
            {
                state.REQUESTED: _(
                    "Requested by the member: the amount is held and a treasury officer pays "
                    "it to the member's registered IBAN."
                ),
                state.AWAITING_SECOND: _(
                    "Above the threshold: a treasury officer must approve it before another "
                    "officer pays it. The amount stays held."
                ),
                state.APPROVED: _(
                    "Approved by one treasury officer; a different officer pays it and records "
                    "the bank's reference."
                ),
                state.PAID: _(
                    "Paid from the platform's bank account; the bank's reference of the "
                    "payment is recorded."
                ),
                state.CANCELLED: _(
                    "Taken back by the member before payment: the amount is available again."
                ),
                state.REFUSED: _(
                    "Refused by a treasury officer, with the reason: the amount is available again."
                ),
            },
        ),
    )


def receipt_states() -> StateGroup:
    state = StatementLine.State
    return StateGroup(
        _("Receipts from bank statements"),
        _notes(
            state,
            {
                state.MATCHED: _(
                    "The purpose named a member's payment reference: credited to the member "
                    "when the statement was imported."
                ),
                state.UNALLOCATED: _(
                    "No valid payment reference in the purpose: the money waits in the "
                    "platform's settlement account for a treasury officer."
                ),
                state.ALLOCATED: _(
                    "A treasury officer found the member and credited the receipt by hand."
                ),
                state.RETURNED: _(
                    "Sent back to the payer; the bank's reference of the return is recorded."
                ),
            },
        ),
    )


def art5_items() -> list[Art5Item]:
    return [
        Art5Item(number, wording, *ART5_PLAIN[number]) for number, wording in ART5_ITEMS.items()
    ]


# The states each role meets on its pages, in the order it meets them.
ROLE_STATES = {
    Role.ISSUER_STAFF: (permit_states, application_states, distribution_states, redemption_states),
    Role.HOLDER: (holder_states, operation_states, redemption_states),
    Role.COMPLIANCE_OFFICER: (holder_states, permit_states, application_states, operation_states),
    Role.REGULATOR: (permit_states, application_states, holder_states, operation_states),
    Role.PLATFORM_ADMIN: (operation_states, application_states),
    Role.TREASURY_OFFICER: (receipt_states, withdrawal_states),
}


# What Art. 5 means for each role's own work, said before the seven items.
ART5_LEADS: dict[Role, Promise] = {
    Role.ISSUER_STAFF: _(
        "Your application becomes a backed digital asset only when an officer has confirmed "
        "all seven items against your evidence. Here is what each item asks of you."
    ),
    Role.HOLDER: _(
        "Only assets that meet all seven items exist on Qoima. Each item protects you in a "
        "plain way: you can see what stands behind a unit, who issued it and where it went."
    ),
    Role.COMPLIANCE_OFFICER: _(
        "Approve only when you have confirmed each item against its evidence on the "
        "application. The platform keeps the checklist as you confirmed it, with the evidence "
        "as it stood, and the registry shows it to regulators. Some refusals are automatic; "
        "the rest need your eyes."
    ),
    Role.REGULATOR: _(
        "For every asset the registry shows how each item was checked, against which "
        "evidence, and which two officers approved and confirmed it."
    ),
    Role.PLATFORM_ADMIN: _(
        "The platform enforces Art. 5 in its code and on the chain; no setting switches it "
        "off. Issuers and officers will ask you about refusals, so here is what each item asks."
    ),
    Role.TREASURY_OFFICER: _(
        "You handle tenge only, never assets, but the members you pay hold assets that meet "
        "these seven items. Here is what each item asks."
    ),
}


@dataclass(frozen=True)
class RolePage:
    slug: str
    role: Role
    template: str
    states: list[StateGroup]
    art5_lead: Promise


def role_page(slug: str) -> RolePage | None:
    role = ROLE_PAGES.get(slug)
    if role is None:
        return None
    return RolePage(
        slug=slug,
        role=role,
        template=f"ui/help_{slug}.html",
        states=[group() for group in ROLE_STATES[role]],
        art5_lead=ART5_LEADS[role],
    )


ROLE_SUMMARIES: dict[Role, Promise] = {
    Role.ISSUER_STAFF: _(
        "Applies to issue a backed asset, answers the review, hands out the units and "
        "fulfils redemptions."
    ),
    Role.HOLDER: _(
        "Keeps backed assets in a wallet kept by the platform, sends them to other verified "
        "holders and redeems them with the issuer."
    ),
    Role.COMPLIANCE_OFFICER: _(
        "Verifies holders and permits, reviews applications against Art. 5 and confirms "
        "another officer's approvals."
    ),
    Role.REGULATOR: _(
        "Reads the registry: issuers, permits, assets, documents, holders and every transfer, "
        "each with its proof on the chain."
    ),
    Role.PLATFORM_ADMIN: _(
        "Keeps the platform running: staff accounts, keys, the chain connection and health; "
        "never takes part in the workflow."
    ),
    Role.TREASURY_OFFICER: _(
        "Imports the bank's statements, matches deposits to members, pays withdrawals with "
        "the bank's reference (a second officer approves large ones); never trades."
    ),
}


@dataclass(frozen=True)
class RoleLink:
    slug: str
    label: str | Promise
    summary: Promise
    current: bool
    yours: bool


def role_links(*, current: str | None, reader: Role | None) -> list[RoleLink]:
    """Every role's page, the reader's own first."""
    slugs = sorted(ROLE_PAGES, key=lambda slug: ROLE_PAGES[slug] != reader)
    return [
        RoleLink(
            slug=slug,
            label=ROLE_PAGES[slug].label,
            summary=ROLE_SUMMARIES[ROLE_PAGES[slug]],
            current=slug == current,
            yours=ROLE_PAGES[slug] == reader,
        )
        for slug in slugs
    ]
