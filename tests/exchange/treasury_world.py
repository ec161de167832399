"""Members with cash, treasury officers and statements, for the treasury's tests."""

from dataclasses import dataclass
from pathlib import Path

from qoima.exchange.models import CashAccount, Member
from qoima.exchange.services import treasury
from qoima.participants.models import User

DATA = Path(__file__).parent / "data"
# Payment references the statements in data/ name (valid Luhn check digits).
ALICE_REFERENCE = "Q100000017"
BANK_REFERENCE = "Q100000025"
ALICE_IBAN = "KZ18722S000012345678"
BANK_IBAN = "KZ18998CTB0000987654"
OTHER_IBAN = "KZ86601A861000000001"


@dataclass
class CashParty:
    user: User
    member: Member


def join(user: User, reference: str) -> CashParty:
    member = treasury.member_join(actor=user)
    Member.objects.filter(pk=member.pk).update(payment_reference=reference)
    member.refresh_from_db()
    return CashParty(user, member)


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def credit(party: CashParty, tiyn: int, *, officer: User, key: str = "1") -> None:
    """Tenge into the member's available account the way it comes: a bank statement (CSV)
    with a credit naming the member's payment reference."""
    amount = f"{tiyn // 100}.{tiyn % 100:02d}"
    row = (
        f"2026-12-06,{amount},KZT,T-{party.member.pk}-{key},Payer,,{party.member.payment_reference}"
    )
    content = (",".join(treasury.CSV_COLUMNS) + "\n" + row + "\n").encode()
    treasury.statement_import(
        actor=officer, file_name=f"credit-{key}.csv", content=content, file_format="csv"
    )


def balances(party: CashParty) -> dict[str, int]:
    return {a.kind: a.balance for a in CashAccount.objects.filter(member=party.member)}


def ledger_sum() -> int:
    return sum(CashAccount.objects.values_list("balance", flat=True))
