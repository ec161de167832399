"""The walk through every role's main pages in every language and at a desktop's and a phone's
width, and what it checks on each: nothing wider than the window, no English left on a Russian
or Kazakh page, no stored code shown as text, no serious accessibility fault, every control of
a form reachable by Tab.

The pages are listed once, in ``PAGES``; the data behind them is made in the database
(``walk_platform``), as the indexer and the services leave it, so no chain or worker is needed.
"""

import ast
import datetime
import re
import shutil
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import models

from issuance import services as issuance
from qoima.audit.actions import AuditAction
from qoima.chain.models import (
    Operation,
    PlatformToken,
    ReconciliationDifference,
    ReconciliationRun,
)
from qoima.custody.services import wallet_link_request
from qoima.enforcement import services as enforcement
from qoima.exchange import services as exchange
from qoima.exchange.services import treasury
from qoima.participants import services as participants
from qoima.participants.models import Role
from tests.exchange.trading import SETTINGS, deposit
from tests.factories import PASSWORD, make_user, pdf_upload
from tests.registry.conftest import make_ledger

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "var" / "test-output" / "walk"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
LOCALE = ROOT / "locale"
# What runs in the page, kept as JavaScript files of their own.
JS = Path(__file__).resolve().parent / "js"

LANGUAGES = ("ru", "kk", "en")
# A laptop's window and a phone's; the height only decides the first screen of a screenshot.
WIDTHS = {1366: 900, 390: 844}
# axe runs at both widths: contrast, scrolling regions and hidden controls change with the
# layout (the phone's collapsed menu, tables that scroll inside their card).
AXE_WIDTHS = tuple(WIDTHS)
# Focus order does not depend on the language: the keyboard walk runs in the first one only.
KEYBOARD_LANGUAGE = LANGUAGES[0]
# Sequential focus stops tried on one page before the walk gives up on reaching the rest.
MAX_TABS = 400


@dataclass(frozen=True)
class Page:
    name: str
    # Filled from ``Platform.ids``: "/issuance/{pending}/".
    path: str
    # Pages written for programmers (the API's reference) keep its field names and codes.
    reads_codes: bool = False
    # A region drawn by a vendor's widget (Swagger UI) that the platform does not write: axe
    # and the keyboard walk judge the page around it, not inside it.
    vendor: str = ""


# Every page the walk opens, by who opens it. Adjust here when a page moves or lands.
PAGES: dict[str, tuple[Page, ...]] = {
    "anonymous": (
        Page("login", "/accounts/login/"),
        Page("register-issuer", "/register/issuer/"),
        Page("register-holder", "/register/holder/"),
        Page("password-reset", "/accounts/password/reset/"),
    ),
    "issuer": (
        Page("dashboard", "/dashboard/"),
        Page("applications", "/issuance/"),
        Page("application", "/issuance/{issued}/"),
        Page("application-pending", "/issuance/{pending}/"),
        Page("new-application", "/issuance/new/"),
        Page("cash", "/exchange/cash/"),
        Page("offering", "/exchange/offering/"),
        Page("help", "/help/"),
    ),
    "holder": (
        Page("dashboard", "/dashboard/"),
        Page("wallet", "/wallet/"),
        Page("wallet-link", "/wallet/links/{link}/"),
        Page("cash", "/exchange/cash/"),
        Page("markets", "/exchange/markets/"),
        Page("trade", "/exchange/markets/{market}/trade/"),
        Page("assets", "/issuance/assets/"),
        Page("api-docs", "/api/docs/", reads_codes=True, vendor=".swagger-ui"),
        Page("security", "/accounts/security/"),
        Page("password", "/accounts/password/"),
    ),
    "compliance": (
        Page("dashboard", "/dashboard/"),
        Page("review-queue", "/issuance/review/"),
        Page("application", "/issuance/{pending}/"),
        Page("operations", "/operations/"),
        Page("enforcement", "/compliance/enforcement/"),
        Page("new-act", "/compliance/enforcement/new/"),
        Page("act", "/compliance/enforcement/{act}/"),
        Page("security", "/accounts/security/"),
    ),
    "regulator": (
        Page("dashboard", "/dashboard/"),
        Page("registry", "/registry/"),
        Page("issuers", "/registry/issuers/"),
        Page("issuer", "/registry/issuers/{organisation}/"),
        Page("permits", "/registry/permits/"),
        Page("assets", "/registry/assets/"),
        Page("asset", "/registry/assets/{issued}/"),
        Page("cap-table", "/registry/assets/{issued}/holders/"),
        Page("documents", "/registry/documents/"),
        Page("holders", "/registry/holders/"),
        Page("transfers", "/registry/transfers/"),
        Page("transfer", "/registry/transfers/{transfer}/"),
        Page("compliance", "/registry/compliance/"),
        Page("reconciliation", "/registry/reconciliation/"),
        Page("audit", "/registry/audit/"),
        Page("daily", "/registry/reports/daily/"),
        Page("monitoring", "/registry/reports/monitoring/"),
        Page("exchange-orders", "/registry/exchange/orders/"),
        Page("exchange-trades", "/registry/exchange/trades/"),
        Page("exchange-journal", "/registry/exchange/journal/"),
        Page("exchange-book", "/registry/exchange/book/"),
        Page("exchange-daily", "/registry/exchange/daily/"),
    ),
    "treasury": (
        Page("dashboard", "/dashboard/"),
        Page("statements", "/exchange/treasury/statements/"),
        Page("receipts", "/exchange/treasury/receipts/"),
        Page("withdrawals", "/exchange/treasury/withdrawals/"),
        Page("ledger", "/exchange/treasury/ledger/"),
        Page("help", "/help/treasury/"),
    ),
    "admin": (
        Page("dashboard", "/dashboard/"),
        Page("markets", "/exchange/markets/manage/"),
        Page("market", "/exchange/markets/{market}/manage/"),
        Page("admin", "/admin/"),
        Page("admin-audit-entries", "/admin/audit/auditentry/"),
        Page("lockouts", "/dashboard/admin/lockouts/"),
    ),
}

# Texts that read the same in every language: the platform's name, acronyms, language names.
PROPER_NAMES = {"Qoima", "API", "English", "Русский", "Қазақша", "Қазақ тілі", "IIN", "BIN"}


# ------------------------------------------------------------------------------ the data


@dataclass
class Platform:
    logins: dict[str, str]
    ids: dict[str, int]


def walk_platform() -> Platform:
    """Something on every page: an issued asset, its holders and their transfers as the
    indexer stores them and, beside it, an application waiting for review, one sent
    back for changes, a draft, a send waiting for the chain, a failed freeze, a redemption, a
    suspended holder, a reconciliation run with a difference."""
    ledger = make_ledger(holder_count=3, rounds=2)
    world, application = ledger.world, ledger.application
    pending = world.submitted(name="Barley, class 2, Akmola", symbol="BRL2")
    changes = world.submitted(name="Cotton, Turkistan", symbol="CTN1")
    issuance.application_request_changes(
        officer=world.officer_a,
        application_id=changes.pk,
        reason="The proof of rights is for another warehouse.",
    )
    world.draft(name="Sunflower oil, Pavlodar", symbol="SNF1")
    issuance.distribution_send(
        actor=world.issuer,
        application_id=application.pk,
        receiver=world.holders[0].identification_number,
        amount="12.50",
        idempotency_key="walk-send",
    )
    issuance.redemption_request(
        actor=world.holders[0].user, application_id=application.pk, amount="2"
    )
    Operation.objects.create(
        kind=Operation.Kind.FREEZE,
        chain_id=settings.CHAIN_ID,
        token_address=application.token_address,
        account=ledger.wallets[1],
        reason_hash="0x" + "cd" * 32,
        idempotency_key="walk-freeze",
        state=Operation.State.FAILED,
        failure_code="AccessControlUnauthorizedAccount",
        failure_reason="AccessControlUnauthorizedAccount(0x00, 0x00)",
    )
    run = ReconciliationRun.objects.create(
        chain_id=settings.CHAIN_ID,
        block_number=ledger.transfers[-1].block_number,
        tokens_checked=1,
        holders_checked=len(ledger.wallets) + 1,
        refs_checked=len(ledger.transfers),
        differences=1,
    )
    ReconciliationDifference.objects.create(
        run=run,
        kind=ReconciliationDifference.Kind.BALANCE,
        token_address=application.token_address,
        subject=ledger.wallets[2],
        database_value="400",
        chain_value="300",
    )
    # A market for the issued asset: the issuer offers units, a holder bids for some.
    market = exchange.market_open(
        actor=make_user(Role.PLATFORM_ADMIN),
        token_id=PlatformToken.objects.get(address=application.token_address).pk,
        values=SETTINGS,
    )
    exchange.order_place(
        actor=world.issuer,
        market_id=market.pk,
        client_order_id="walk-offer",
        side="sell",
        type="limit",
        time_in_force="gtc",
        price=105_000,
        quantity=1_000,
    )
    deposit(world.holders[0], 500_000)
    exchange.order_place(
        actor=world.holders[0].user,
        market_id=market.pk,
        client_order_id="walk-bid",
        side="buy",
        type="limit",
        time_in_force="gtc",
        price=100_000,
        quantity=200,
    )
    # A court's freeze of part of holder 0's units, and a pause of the platform waiting for a
    # second officer; holder 0's link of an external wallet waiting for its signature.
    for kind, named in (("freeze_units", {"amount": "1"}), ("pause_platform", {})):
        act = enforcement.act_request(
            officer=world.officer_a,
            data=enforcement.ActData(
                kind=kind,
                reason="Court order 2-117/2026",
                subject=world.holders[0].identification_number,
                token_address=application.token_address,
                **named,
            ),
            basis=enforcement.BasisData(
                kind="court_decision",
                number="2-117/2026",
                issued_on=datetime.date(2026, 12, 1),
                authority="СМЭС г. Алматы",
                document=pdf_upload("order.pdf", kind.encode()),
            ),
        )
    link = wallet_link_request(
        actor=world.holders[0].user,
        address="0x" + "5e" * 20,
        domain="testserver",
        uri="http://testserver/",
    )
    participants.holder_suspend(
        officer=world.officer_a, holder_id=world.holders[2].pk, reason="Court order 12"
    )
    admin = participants.user_create(
        actor=None,
        username="walk-admin",
        email="walk-admin@example.kz",
        password=PASSWORD,
        role=Role.PLATFORM_ADMIN,
    )
    # A bank statement whose credits name nobody: the treasury's queue has receipts in it.
    treasurer = make_user(Role.TREASURY_OFFICER)
    treasury.statement_import(
        actor=treasurer,
        file_name="statement.sta",
        content=(
            Path(__file__).resolve().parents[1] / "exchange" / "data" / "statement.sta"
        ).read_bytes(),
        file_format="mt940",
    )
    return Platform(
        logins={
            "issuer": world.issuer.username,
            "holder": world.holders[0].user.username,
            "compliance": world.officer_a.username,
            "regulator": make_user(Role.REGULATOR).username,
            "admin": admin.username,
            "treasury": treasurer.username,
        },
        ids={
            "issued": application.pk,
            "pending": pending.pk,
            "organisation": application.organisation_id,
            "transfer": ledger.transfers[1].pk,
            "market": market.pk,
            "act": act.pk,
            "link": link.pk,
        },
    )


# ------------------------------------------------------------------------------ catalogues


@dataclass
class Entry:
    msgid: str
    msgid_plural: str = ""
    msgctxt: str = ""
    msgstr: dict[int, str] = field(default_factory=dict)
    fuzzy: bool = False


def po_entries(po: Path) -> list[Entry]:
    """The live entries of a gettext catalogue (obsolete ``#~`` ones and the header left out)."""
    entries: list[Entry] = []
    current: Entry | None = None
    fuzzy = False
    target: tuple[str, int] | None = None

    def finish() -> None:
        nonlocal current
        if current is not None and current.msgid:
            entries.append(current)
        current = None

    for line in po.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            finish()
            fuzzy, target = False, None
            continue
        if line.startswith("#,"):
            finish()
            fuzzy = "fuzzy" in line[2:].replace(",", " ").split()
            continue
        if line.startswith("#"):
            continue
        keyword, _space, rest = line.partition(" ")
        if line.startswith('"'):
            keyword, rest = "", line
        text = ast.literal_eval(rest) if rest.startswith('"') else ""
        if keyword in ("msgctxt", "msgid") and (
            current is None or current.msgstr or (keyword == "msgid" and current.msgid)
        ):
            finish()
        if current is None:
            current = Entry(msgid="", fuzzy=fuzzy)
        if keyword == "msgctxt":
            target = ("msgctxt", 0)
        elif keyword == "msgid":
            target = ("msgid", 0)
        elif keyword == "msgid_plural":
            target = ("msgid_plural", 0)
        elif keyword.startswith("msgstr"):
            form = int(keyword[7:-1]) if keyword.startswith("msgstr[") else 0
            target = ("msgstr", form)
            current.msgstr.setdefault(form, "")
        elif keyword:
            raise ValueError(f"{po}: cannot read {line!r}")
        assert target is not None
        name, form = target
        if name == "msgstr":
            current.msgstr[form] += text
        else:
            setattr(current, name, getattr(current, name) + text)
    finish()
    return entries


def catalogue(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / "django.po"


def catalogue_problems(language: str) -> list[str]:
    """Each message of the platform's catalogue for ``language`` left untranslated or fuzzy."""
    problems = []
    for entry in po_entries(catalogue(language)):
        where = f"{entry.msgctxt} | " if entry.msgctxt else ""
        if entry.fuzzy:
            problems.append(f"{language}: fuzzy: {where}{entry.msgid!r}")
        elif not entry.msgstr or not all(entry.msgstr.values()):
            problems.append(f"{language}: untranslated: {where}{entry.msgid!r}")
    return problems


PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}")


def english_messages(po: Path) -> tuple[set[str], re.Pattern[str] | None]:
    """The English messages of 2+ words that the catalogue ``po`` translates: whole texts, and
    one pattern for those with placeholders."""
    plain: set[str] = set()
    patterns: list[str] = []
    for entry in po_entries(po):
        if entry.fuzzy or not entry.msgstr or not all(entry.msgstr.values()):
            continue
        for english in filter(None, (entry.msgid, entry.msgid_plural)):
            if english in entry.msgstr.values() or english in PROPER_NAMES:
                continue
            literal = PLACEHOLDER.sub(" ", english)
            if len(re.findall(r"[A-Za-z]{2,}", literal)) < 2:
                continue
            if PLACEHOLDER.search(english):
                pieces = PLACEHOLDER.split(english)
                patterns.append(".+?".join(re.escape(piece) for piece in pieces))
            else:
                plain.add(" ".join(english.split()))
    pattern = re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None
    return plain, pattern


def untranslated(
    lines: Iterable[str], plain: set[str], pattern: re.Pattern[str] | None
) -> set[str]:
    found = set()
    for line in lines:
        if line in plain or (pattern is not None and pattern.fullmatch(line)):
            found.add(line)
            continue
        # A sentence inside a longer text ("Error: <sentence>").
        for sentence in plain:
            if len(sentence) > 30 and sentence.endswith(".") and sentence in line:
                found.add(sentence)
    return found


# A word stands alone: the letters inside an address or a hash ("0xB2bf…4Ef6") are no words.
LATIN_WORD = re.compile(r"\b[A-Za-z]{2,}\b")
CYRILLIC = re.compile(r"[\u0400-\u04FF]")


def english_prose(lines: Iterable[str], data: set[str]) -> set[str]:
    """Pieces of a Russian or Kazakh page written in English words (three or more, no Cyrillic
    letter) that are not data a person typed in: text the catalogue does not translate."""
    found = set()
    for line in lines:
        for piece in line.split(" · "):
            if CYRILLIC.search(piece) or len(LATIN_WORD.findall(piece)) < 3:
                continue
            if any(text in piece or piece in text for text in data):
                continue
            found.add(piece)
    return found


def stored_texts() -> set[str]:
    """Every text the platform's rows hold (names, descriptions, reasons, numbers): what a
    page may show in whatever language it was typed."""
    texts: set[str] = set()
    for model in apps.get_models():
        if model._meta.app_label not in {
            "participants",
            "issuance",
            "chain",
            "custody",
            "exchange",
            "audit",
        }:
            continue
        columns = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField) and not f.choices
        ]
        if not columns:
            continue
        for row in model._default_manager.values_list(*columns):
            texts.update(v for v in row if isinstance(v, str) and len(LATIN_WORD.findall(v)) >= 2)
    return texts


def stored_codes() -> set[str]:
    """The stored values no person should read: every choice value of a model with an
    underscore or a dot in it, every audit action, every role."""
    codes = set(AuditAction.values) | {role.value for role in Role}
    for model in apps.get_models():
        for model_field in model._meta.get_fields():
            if isinstance(model_field, models.Field) and model_field.choices:
                codes.update(str(value) for value, _label in model_field.flatchoices)
    return {code for code in codes if "_" in code or "." in code}


def code_pattern(codes: set[str]) -> re.Pattern[str]:
    return re.compile(
        r"(?<![\w.])("
        + "|".join(re.escape(c) for c in sorted(codes, key=len, reverse=True))
        + r")(?![\w.])"
    )


# ------------------------------------------------------------------------------ in the page

# What is wider than the window: the page, a card, a table outside a scrolling wrapper, or a
# scrolling wrapper wider than the box it sits in (then it widens its card instead of scrolling).
OVERFLOW_JS = (JS / "overflow.js").read_text()

AXE_JS = (JS / "axe_serious.js").read_text()

# Marks every control a keyboard user must reach (radio buttons by group: Tab stops once in a
# group) and counts focus as it lands on them; returns the marks.
KEYBOARD_MARK_JS = (JS / "keyboard_marks.js").read_text()

KEYBOARD_REACHED_JS = "() => [...window.__walkReached]"


# ------------------------------------------------------------------------------ the report


@dataclass(frozen=True)
class Finding:
    role: str
    page: str
    path: str
    language: str
    width: int
    check: str
    # The same words wherever the problem recurs; ``detail`` says how it looked this time.
    message: str
    detail: str = ""


# A problem seen on this many pages is listed once, before the pages.
COMMON = 3


class Report:
    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.pages = 0
        self.seconds: dict[str, float] = defaultdict(float)

    @contextmanager
    def timed(self, step: str) -> Iterator[None]:
        """Adds the time ``step`` takes to its total, for the summary the walk prints."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[step] += time.perf_counter() - start

    def timings_text(self) -> str:
        steps = ", ".join(f"{step} {seconds:.0f} s" for step, seconds in self.seconds.items())
        return f"{self.pages} page views: {steps}"

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)

    def text(self) -> str:
        """Problems seen on several pages first, once each with the pages; then one block a
        page. The same problem in several languages or widths is one line that lists them,
        with the detail of the first."""
        pages: dict[tuple[str, str], str] = {}
        by_page: dict[tuple[str, str], dict[tuple[str, str], list[Finding]]] = defaultdict(
            lambda: defaultdict(list)
        )
        where: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
        for f in self.findings:
            pages[(f.role, f.page)] = f.path
            by_page[(f.role, f.page)][(f.check, f.message)].append(f)
            where[(f.check, f.message)].add((f.role, f.page))
        common = {problem for problem, seen in where.items() if len(seen) >= COMMON}
        lines = [
            f"{len(self.findings)} problems on {len(by_page)} of the walk's pages "
            f"({self.pages} page views); screenshots in {OUTPUT}"
        ]
        if common:
            lines.append("\nOn several pages:")
            for check, message in sorted(common):
                seen = ", ".join(f"{role} {page}" for role, page in sorted(where[(check, message)]))
                views = sorted(
                    {
                        f"{f.language}-{f.width}"
                        for f in self.findings
                        if (f.check, f.message) == (check, message)
                    },
                    key=lambda view: (LANGUAGES.index(view.split("-")[0]), view),
                )
                lines.append(f"  {check} [{' '.join(views)}]: {message}\n    on {seen}")
        for key, problems in by_page.items():
            own = {problem: found for problem, found in problems.items() if problem not in common}
            if not own:
                continue
            lines.append(f"\n{key[0]} · {key[1]} ({pages[key]})")
            for (check, message), found in sorted(own.items()):
                seen = " ".join(f"{f.language}-{f.width}" for f in found)
                detail = f" ({found[0].detail})" if found[0].detail else ""
                lines.append(f"  {check} [{seen}]: {message}{detail}")
        return "\n".join(lines)


def fresh_output() -> Path:
    shutil.rmtree(OUTPUT, ignore_errors=True)
    OUTPUT.mkdir(parents=True)
    return OUTPUT


def screenshot_path(role: str, language: str, width: int, page: str) -> Path:
    folder = OUTPUT / role
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{language}-{width}-{page}.png"


def text_lines(text: str) -> Iterator[str]:
    """The pieces of ``innerText`` a person reads as one: lines, and table cells (tabs)."""
    for piece in re.split(r"[\n\t]", text):
        piece = " ".join(piece.split())
        if piece:
            yield piece
