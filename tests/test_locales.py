"""Every message of the Russian and Kazakh catalogues is translated and compiled."""

import gettext
import re
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parent.parent / "locale"
ENTRY = re.compile(
    r'^(#,.*\bfuzzy\b.*\n(?:#\|.*\n)*)?(?:msgctxt ((?:".*"\n)+))?msgid ((?:".*"\n)+)', re.MULTILINE
)


def _unquote(block: str) -> str:
    pieces = re.findall(r'"(.*)"', block)
    return "".join(pieces).encode().decode("unicode_escape").encode("latin-1").decode()


def msgids(po: Path) -> list[tuple[str, bool]]:
    """(msgid, fuzzy) for every entry of a catalogue, the header excluded; an entry with a
    context is keyed as a compiled catalogue keys it, context and msgid joined by EOT."""
    found = []
    for match in ENTRY.finditer(po.read_text(encoding="utf-8")):
        text = _unquote(match.group(3))
        if text and match.group(2):
            text = _unquote(match.group(2)) + "\x04" + text
        if text:
            found.append((text, bool(match.group(1))))
    return found


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_catalogue_is_complete_and_compiled(language):
    folder = LOCALE / language / "LC_MESSAGES"
    entries = msgids(folder / "django.po")
    assert len(entries) > 150
    assert [text for text, fuzzy in entries if fuzzy] == []
    with (folder / "django.mo").open("rb") as mo:
        catalogue = gettext.GNUTranslations(mo)._catalog
    # Plural entries are keyed by (msgid, form) in a compiled catalogue.
    missing = [text for text, _ in entries if not (catalogue.get(text) or catalogue.get((text, 0)))]
    assert missing == [], "untranslated, or the .mo is older than the .po"
