"""Text a person typed: what of it a reader can see.

A name, an identifier, a reason or a reference made only of spaces and invisible characters
(zero-width space, joiners, word joiner, byte-order mark, soft hyphen: Unicode's format
characters) reads as nothing, and one with invisible characters inside reads as a different
text than it compares as (``Dol\u200blar`` is not ``Dollar`` to a rule that looks for money).
Every free-text input of the forms and the API passes through ``text_required`` or
``text_optional`` in its service.
"""

import unicodedata

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from qoima.errors import InvalidInput

# Format characters (Cf) and the control characters of Cc other than line breaks and tabs,
# which a multi-line text keeps; surrogates and unassigned code points cannot be typed.
_LINE_BREAKS = frozenset("\n\r\t")
EMPTY = _("Write it with visible characters: spaces and invisible characters alone are empty.")


def _invisible(char: str, *, multiline: bool) -> bool:
    category = unicodedata.category(char)
    if category == "Cc":
        return not (multiline and char in _LINE_BREAKS)
    return category in ("Cf", "Cs", "Cn")


def text_optional(value: str, *, multiline: bool = False) -> str:
    """The text without invisible characters; a one-line text with every run of spaces (of any
    kind: Unicode's Zs, Zl and Zp too) as one space, a multi-line one with its ends trimmed.
    Empty when nothing visible is left."""
    kept = "".join(" " if not multiline and char in _LINE_BREAKS else char for char in value)
    kept = "".join(char for char in kept if not _invisible(char, multiline=multiline))
    if multiline:
        return kept.strip()
    return " ".join(kept.split())


def text_required(
    value: str,
    *,
    field: str,
    message: str | Promise | None = None,
    multiline: bool = False,
    max_length: int | None = None,
) -> str:
    """``text_optional``, refused (InvalidInput naming the field) when nothing visible is left
    or it is longer than ``max_length``."""
    text = text_optional(value, multiline=multiline)
    if not text:
        raise InvalidInput(message or EMPTY, field=field, code="text_empty")
    if max_length is not None and len(text) > max_length:
        raise InvalidInput(
            message or _("At most %(count)s characters.") % {"count": max_length},
            field=field,
            code="text_too_long",
        )
    return text
