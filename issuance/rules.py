"""The Art. 5 rules an application is checked against before anyone reviews it."""

import gettext
import re
from functools import cache

import pycountry
from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import AssetClass

ELIGIBLE_CLASSES = frozenset(
    {
        AssetClass.TANGIBLE_ASSET,
        AssetClass.TANGIBLE_SERVICE,
        AssetClass.IP_ASSET,
        AssetClass.INTELLECTUAL_SERVICE,
    }
)
# Why each other class can never be backed, naming the Art. 5 item it breaks.
REFUSED_CLASSES: dict[str, Promise] = {
    AssetClass.MONEY: _(
        "Money cannot be a backed digital asset: Art. 5, item 1 (a backed asset certifies a "
        "right to tangible or intellectual services or assets, not money or securities)."
    ),
    AssetClass.SECURITIES: _(
        "Securities cannot be a backed digital asset: Art. 5, item 1 (not money, not securities)."
    ),
    AssetClass.FINANCIAL_INSTRUMENT: _(
        "A financial instrument or financial asset cannot be a backed digital asset: Art. 5, "
        "item 4."
    ),
    AssetClass.DERIVATIVE: _(
        "A derivative is a financial instrument and cannot be a backed digital asset: Art. 5, "
        "item 4."
    ),
    AssetClass.CRYPTO: _(
        "A cryptocurrency is an unbacked digital asset: it certifies no right to a service or an "
        "asset (Art. 5, item 1) and cannot be issued in Kazakhstan outside the AIFC."
    ),
}

# Codes of units that are not money (precious metals, testing and fund codes): a gold-backed
# asset may well say "gold".
NOT_MONEY_CODES = frozenset(
    {"XAU", "XAG", "XPT", "XPD", "XBA", "XBB", "XBC", "XBD", "XDR", "XSU", "XTS", "XUA"}
)
# Words that name money in the platform's languages, beyond ISO 4217's own names. Russian
# and Kazakh words are stems: they are inflected.
MONEY_STEMS = (
    "тенге", "теңге", "тиын", "тийн", "рубл", "доллар", "валют", "деньг", "денеж", "ақша",
    "стейблкоин", "стерлинг",
)  # fmt: skip
# Whole words only: as stems they would catch ordinary words (лирика, франкофон).
MONEY_WORDS = frozenset(
    {
        "tenge", "tiyn", "tiin", "dollar", "dollars", "euro", "euros", "ruble", "rubles",
        "rouble", "roubles", "yuan", "renminbi", "yen", "franc", "francs", "sterling", "lira",
        "rupee", "rupees", "dirham", "currency", "money", "cash", "stablecoin", "kzte", "cbdc",
        "евро", "юань", "юаня", "юаней", "иена", "йена", "франк", "франка", "франков", "лира",
        "лиры", "рупия", "рупий", "дирхам",
    }
)  # fmt: skip
MONEY_SIGNS = "₸$€₽¥£₺₹₩₴₼₾"
WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


@cache
def _currencies() -> tuple[frozenset[str], frozenset[str]]:
    """ISO 4217 codes (letters and numbers) and names, in English and Russian."""
    russian = gettext.translation("iso4217", pycountry.LOCALES_DIR, languages=["ru"])
    codes: set[str] = set()
    names: set[str] = set()
    for currency in pycountry.currencies:
        if currency.alpha_3 in NOT_MONEY_CODES:
            continue
        codes.update({currency.alpha_3, currency.numeric})
        names.update({currency.name.casefold(), russian.gettext(currency.name).casefold()})
    return frozenset(codes), frozenset(names)


def class_refusal(asset_class: str) -> Promise | None:
    """Why an asset class cannot be backed, or None if it can."""
    if asset_class in ELIGIBLE_CLASSES:
        return None
    return REFUSED_CLASSES.get(asset_class, _("Unknown asset class."))


def symbol_is_currency_like(symbol: str) -> bool:
    codes, _names = _currencies()
    symbol = symbol.strip().upper()
    if symbol in codes or any(sign in symbol for sign in MONEY_SIGNS):
        return True
    # A currency code with one letter more is how stablecoins are named (USDT, KZTE, EURC).
    prefixes = settings.ISSUANCE_CURRENCY_PREFIX_CODES
    return len(symbol) == 4 and symbol[:3] in prefixes


def name_is_currency_like(name: str) -> bool:
    _codes, names = _currencies()
    folded = " ".join(name.casefold().split())
    if any(sign in folded for sign in MONEY_SIGNS):
        return True
    words = WORD.findall(folded)
    joined = " ".join(words)
    if any(f" {currency} " in f" {joined} " for currency in names):
        return True
    # A currency code counts where it is written as one (KZT), not as an ordinary word (all).
    upper_words = {word for word in WORD.findall(name) if word.isupper()}
    return bool(upper_words & _codes) or any(
        word in MONEY_WORDS or word.startswith(MONEY_STEMS) for word in words
    )


CURRENCY_LIKE = _(
    "%(value)s looks like money: a backed digital asset is not a unit of account or legal "
    "tender (Art. 5, item 3). Choose a name and symbol that say what the asset is."
)
