"""Every role's main pages in Russian, Kazakh and English, on a laptop and on a phone, in
Chromium: each is screenshotted (var/test-output/walk/) and checked for what a reader would
trip on. One walk, one report of everything found."""

import os
from typing import Any

import pytest

from qoima.participants.models import User
from tests.e2e.walk import (
    AXE,
    AXE_JS,
    AXE_WIDTHS,
    KEYBOARD_LANGUAGE,
    KEYBOARD_MARK_JS,
    KEYBOARD_REACHED_JS,
    LANGUAGES,
    MAX_TABS,
    OUTPUT,
    OVERFLOW_JS,
    PAGES,
    WIDTHS,
    Finding,
    Page,
    Report,
    catalogue,
    catalogue_problems,
    code_pattern,
    english_messages,
    english_prose,
    fresh_output,
    po_entries,
    screenshot_path,
    stored_codes,
    stored_texts,
    text_lines,
    untranslated,
    walk_platform,
)
from tests.factories import PASSWORD
from tests.second_factor import recovery_code

pytestmark = pytest.mark.e2e

LOCALES = {"ru": "ru-RU", "kk": "kk-KZ", "en": "en-US"}


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_the_catalogue_translates_every_message(language):
    problems = catalogue_problems(language)
    assert not problems, f"{len(problems)} messages to translate:\n" + "\n".join(problems)


class Walker:
    def __init__(self, browser: Any, base: str, report: Report, data: set[str]) -> None:
        self.browser = browser
        self.base = base
        self.report = report
        # What the browser reported while the current page loaded: script errors, files
        # that failed.
        self.errors: list[str] = []
        self.codes = code_pattern(stored_codes())
        self.data = data
        self.english = {lang: english_messages(catalogue(lang)) for lang in ("ru", "kk")}

    def session(self, role: str, username: str | None, language: str, width: int) -> Any:
        """A browser context of its own, in ``language`` at ``width``, logged in once."""
        context = self.browser.new_context(
            viewport={"width": width, "height": WIDTHS[width]}, locale=LOCALES[language]
        )
        context.set_default_timeout(15_000)
        context.add_cookies([{"name": "django_language", "value": language, "url": self.base}])
        if width in AXE_WIDTHS:
            # axe-core on every page from the start, as a page's own script would be.
            context.add_init_script(path=str(AXE))
        page = context.new_page()
        page.on("pageerror", lambda error: self.errors.append(f"script error: {error}"))
        # A script or style the Content-Security-Policy refused is said only on the console.
        page.on(
            "console",
            lambda message: (
                self.errors.append(f"refused by the policy: {message.text}")
                if message.type == "error" and "Content Security Policy" in message.text
                else None
            ),
        )
        page.on(
            "response",
            lambda response: (
                self.errors.append(f"{response.status} for {response.url.removeprefix(self.base)}")
                if response.status >= 400 and response.request.resource_type != "document"
                else None
            ),
        )
        if username is not None:
            self.log_in(page, role, username, language, width)
        return context, page

    def log_in(self, page: Any, role: str, username: str, language: str, width: int) -> None:
        with self.report.timed("log in"):
            page.goto(f"{self.base}/accounts/login/")
            code = recovery_code(User.objects.get(username=username))
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", PASSWORD)
            with page.expect_navigation():
                page.press("input[name=password]", "Enter")
            if "/accounts/two-factor/" in page.url:
                page.fill("input[name=code]", code)
                with page.expect_navigation():
                    page.press("input[name=code]", "Enter")
        if "/accounts/login/" in page.url:
            page.context.close()
            raise AssertionError(f"{role} {username} could not log in ({language}, {width})")

    def walk(self, role: str, username: str | None, ids: dict[str, int]) -> None:
        for language in LANGUAGES:
            for width in WIDTHS:
                context, page = self.session(role, username, language, width)
                try:
                    for entry in PAGES[role]:
                        self.visit(page, role, entry, entry.path.format(**ids), language, width)
                finally:
                    context.close()

    def visit(self, page: Any, role: str, entry: Page, path: str, language: str, width: int):
        self.report.pages += 1

        def found(check: str, message: str, detail: str = "") -> None:
            self.report.add(
                Finding(role, entry.name, path, language, width, check, message, detail)
            )

        self.errors.clear()
        with self.report.timed("load"):
            response = page.goto(f"{self.base}{path}")
        with self.report.timed("screenshot"):
            page.screenshot(path=screenshot_path(role, language, width, entry.name), full_page=True)
        status = response.status if response is not None else 0
        if status != 200:
            found("http", f"answers {status}")
            return
        if "/accounts/login/" in page.url and not path.startswith("/accounts/login/"):
            found("http", "sends the reader to the login page")
            return
        lang = page.locator("html").get_attribute("lang")
        if lang != language:
            found("language", f"the page says lang={lang!r}")
        with self.report.timed("overflow and text"):
            overflow = page.evaluate(OVERFLOW_JS)
            # The words as written: innerText would give a .subheader's capitals.
            page.add_style_tag(content="* { text-transform: none !important; }")
            text = page.evaluate("() => document.body.innerText")
        for problem in overflow:
            found("overflow", problem["message"], problem["detail"])
        if not entry.reads_codes:
            for code in sorted(set(self.codes.findall(text))):
                found("code", f"shows the stored code {code!r}")
            if language in self.english:
                lines = list(text_lines(text))
                for english in sorted(untranslated(lines, *self.english[language])):
                    found("english", repr(english))
                # A message the catalogue has not taken in or translated yet (makemessages,
                # a fuzzy entry), or text outside gettext.
                for english in sorted(english_prose(lines, self.data)):
                    found("english", f"{english!r} (no translation in the catalogue)")
        violations = []
        if width in AXE_WIDTHS:
            with self.report.timed("axe"):
                violations = page.evaluate(AXE_JS, entry.vendor)
        for violation in violations:
            found(
                f"axe {violation['id']} ({violation['impact']})",
                f"{violation['help']}: {', '.join(violation['targets'])}",
                f"{violation['count']} elements" if violation["count"] > 3 else "",
            )
        if language == KEYBOARD_LANGUAGE:
            with self.report.timed("keyboard"):
                missed, gave_up = unreachable(page, entry.vendor)
            if missed:
                shown = ", ".join(missed[:8]) + (
                    f" and {len(missed) - 8} more" if len(missed) > 8 else ""
                )
                if gave_up:
                    found(
                        "keyboard",
                        f"more than {MAX_TABS} tab stops; not reached within them",
                        shown,
                    )
                else:
                    found("keyboard", f"Tab never reaches {len(missed)} controls", shown)
        for error in self.errors:
            found("browser", error)


def unreachable(page: Any, vendor: str = "") -> tuple[list[str], bool]:
    """The visible, enabled controls of a page with a form that Tab, pressed from the top of
    the page, never focuses; and whether the walk gave up (MAX_TABS) before trying them all."""
    marked = page.evaluate(KEYBOARD_MARK_JS, vendor)
    if not marked or not marked["marks"]:
        return [], False
    marks: dict[str, str] = marked["marks"]
    limit = min(MAX_TABS, marked["stops"] + 5)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    pressed, reached = 0, set()
    while pressed < limit:
        for _ in range(min(20, limit - pressed)):
            page.keyboard.press("Tab")
            pressed += 1
        reached = set(page.evaluate(KEYBOARD_REACHED_JS))
        if reached >= set(marks):
            break
    missed = [label for mark, label in marks.items() if mark not in reached]
    return missed, bool(missed) and limit < marked["stops"] + 5


def test_every_role_walks_its_pages_in_every_language_and_width(
    committed_db, live_server, browser, settings, capsys
):
    # Nothing here needs a chain; a page that asks one anyway is told at once there is none.
    settings.CHAIN_RPC_URL = "http://127.0.0.1:9"
    platform = walk_platform()
    output = fresh_output()
    with capsys.disabled():
        print(f"\nscreenshots: {output}")
    # QOIMA_WALK_ROLES=regulator,holder walks only those, while their pages are being fixed.
    roles = (
        os.environ.get("QOIMA_WALK_ROLES", "").split(",")
        if os.environ.get("QOIMA_WALK_ROLES")
        else list(PAGES)
    )
    logins: dict[str, str | None] = {"anonymous": None, **platform.logins}
    report = Report()
    walker = Walker(browser, live_server.url, report, stored_texts())
    for role in roles:
        walker.walk(role, logins[role], platform.ids)
    assert report.pages == sum(len(PAGES[r]) for r in roles) * len(LANGUAGES) * len(WIDTHS)
    with capsys.disabled():
        print(report.timings_text())
    text = report.text()
    (output / "report.txt").write_text(text, encoding="utf-8")
    assert len(report.findings) == 0, text


def test_the_report_names_each_problem_once_with_where_it_was_seen():
    report = Report()
    for language, detail in (("ru", "745px"), ("kk", "764px")):
        report.add(
            Finding("holder", "wallet", "/wallet/", language, 390, "overflow", "wide", detail)
        )
    for page in ("dashboard", "wallet", "assets"):
        report.add(Finding("holder", page, f"/{page}/", "en", 1366, "axe x (serious)", "footer"))
    report.pages = 6
    assert report.text() == (
        f"5 problems on 3 of the walk's pages (6 page views); screenshots in {OUTPUT}\n"
        "\nOn several pages:\n"
        "  axe x (serious) [en-1366]: footer\n"
        "    on holder assets, holder dashboard, holder wallet\n"
        "\nholder · wallet (/wallet/)\n"
        "  overflow [ru-390 kk-390]: wide (745px)"
    )


def test_the_catalogue_reader_finds_fuzzy_empty_and_plural_messages(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: ru\\n"\n\n'
        '#: a.py:1\nmsgid "Done"\nmsgstr "Готово"\n\n'
        '#, fuzzy, python-format\nmsgid "Sent %(n)s"\nmsgstr "Отправлено %(n)s"\n\n'
        'msgid ""\n"A long "\n"text"\nmsgstr ""\n\n'
        'msgctxt "unit"\nmsgid "one unit"\nmsgid_plural "%(n)s units"\n'
        'msgstr[0] "%(n)s единица"\nmsgstr[1] ""\n\n'
        '#~ msgid "Gone"\n#~ msgstr ""\n',
        encoding="utf-8",
    )
    entries = po_entries(po)
    assert [(e.msgid, e.fuzzy) for e in entries] == [
        ("Done", False),
        ("Sent %(n)s", True),
        ("A long text", False),
        ("one unit", False),
    ]
    assert entries[3].msgctxt == "unit"
    assert entries[3].msgid_plural == "%(n)s units"
    assert entries[3].msgstr == {0: "%(n)s единица", 1: ""}
    assert entries[2].msgstr == {0: ""}


def test_english_left_on_a_page_is_found_whole_inside_a_line_and_with_its_numbers(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid "Transfers"\nmsgstr "Переводы"\n\n'
        'msgid "Recent transfers"\nmsgstr "Последние переводы"\n\n'
        'msgid "Showing %(count)s of %(total)s"\nmsgstr "Показано %(count)s из %(total)s"\n\n'
        'msgid "The holder is suspended until a compliance officer decides."\n'
        'msgstr "Держатель приостановлен до решения сотрудника."\n',
        encoding="utf-8",
    )
    plain, pattern = english_messages(po)
    page = "Переводы\n\tTransfers\tRecent transfers\nShowing 5 of 12\nОшибка: The holder is "
    page += "suspended until a compliance officer decides.\nПоследние переводы"
    assert untranslated(text_lines(page), plain, pattern) == {
        "Recent transfers",
        "Showing 5 of 12",
        "The holder is suspended until a compliance officer decides.",
    }


def test_english_prose_that_is_not_data_is_found():
    lines = [
        "Платформа · Law of the Republic of Kazakhstan · Помощь",
        "Wheat, class 3, Kostanay elevator (WHT3)",
        "API · CSV · JSON",
        "0xB2bf…4Ef6 · 0xaBcD…eF01",
        "Выпущен",
    ]
    data = {"Wheat, class 3, Kostanay elevator"}
    assert english_prose(lines, data) == {"Law of the Republic of Kazakhstan"}


def test_a_stored_code_is_found_as_a_whole_word_only():
    pattern = code_pattern({"changes_requested", "chain.operation_failed"})
    text = "Статус: changes_requested; chain.operation_failed_twice; my_changes_requested"
    assert pattern.findall(text) == ["changes_requested"]
