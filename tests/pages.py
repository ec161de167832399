"""What a person reads on a page: its visible text, without tags, attributes or scripts."""

import re
from html.parser import HTMLParser

HIDDEN = {"script", "style", "template", "title"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN:
            self.hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN and self.hidden:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def _collapsed(text: str) -> str:
    # Collapses what HTML collapses; a no-break space (in amounts) stays.
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return _collapsed(" ".join(parser.parts))


def visible_texts(html: str) -> list[str]:
    """Each piece of text between tags, on its own."""
    parser = _Text()
    parser.feed(html)
    return [text for text in map(_collapsed, parser.parts) if text]
