"""The README's layout section names what is in the tree, and the tree holds what it names."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Not part of the source tree: made by the commands, or the tools' own.
MADE = {"var", "node_modules", "staticfiles", "build", "dist"}
# Django's own folders of an app, which every app may have.
CONVENTIONAL = {"management", "migrations", "templatetags", "templates", "static"}


def _layout() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Layout", 1)[1]
    block = re.search(r"```\n(.*?)```", section, re.S)
    assert block is not None, "the layout section has no tree"
    return block.group(1).splitlines()


def named_paths() -> set[str]:
    """Every path the tree names: a name's indentation puts it inside the folder above it."""
    lines = _layout()
    paths = {name for name in lines[0].split() if name != ".ci/run"} | {".ci/run"}
    parents: list[tuple[int, str]] = []
    for line in lines[1:]:
        indent = len(line) - len(line.lstrip(" "))
        words = line.split()
        if not words or indent >= 16:
            continue  # a description carried over to the next line
        names = [words[0]]
        for word in words[1:]:
            if not names[-1].endswith(","):
                break
            names.append(word)
        while parents and parents[-1][0] >= indent:
            parents.pop()
        prefix = parents[-1][1] if parents else ""
        for name in names:
            path = prefix + name.rstrip(",")
            paths.add(path)
            if name.endswith("/"):
                parents.append((indent, path))
    return paths


def test_every_path_the_layout_names_exists():
    missing = sorted(p for p in named_paths() if not (ROOT / p).exists())
    assert missing == []


def test_the_layout_names_every_top_level_folder_and_every_app():
    named = named_paths()
    folders = {
        f"{p.name}/"
        for p in ROOT.iterdir()
        if p.is_dir()
        and not p.name.startswith(".")
        and p.name not in MADE
        and not p.name.endswith(".egg-info")
    }
    apps = {f"{p.parent.relative_to(ROOT).as_posix()}/" for p in ROOT.glob("qoima/*/apps.py")}
    packages = {
        f"{p.parent.relative_to(ROOT).as_posix()}/"
        for p in ROOT.glob("qoima/chain/*/__init__.py")
        if p.parent.name not in CONVENTIONAL
    }
    assert sorted((folders | apps | packages) - named) == []


def test_the_layout_reads_nested_names_inside_their_folder():
    named = named_paths()
    assert {"qoima/chain/kinds.py", "qoima/chain/manager/", "qoima/locks.py", "bench/"} <= named
