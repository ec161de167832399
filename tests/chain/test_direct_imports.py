"""Production code has one send path, the transaction manager: the modules that sign and send
on their own (``qoima.chain.direct`` and the deployment built on it) are imported only by the
deployment command, tests and benchmarks."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Not production: tests, benchmarks, and what is not the project's own code.
OUTSIDE = {"tests", "bench", "node_modules", "var", "contracts", "docs", "docker"}
SENDING_ON_THEIR_OWN = {"qoima.chain.direct", "qoima.chain.deployment"}


def _production_modules() -> dict[str, Path]:
    modules = {}
    for top in ROOT.iterdir():
        if not top.is_dir() or top.name in OUTSIDE or top.name.startswith("."):
            continue
        for path in top.rglob("*.py"):
            parts = path.relative_to(ROOT).parts
            modules[".".join(parts).removesuffix(".py").removesuffix(".__init__")] = path
    return modules


def _imported(module: str, path: Path) -> set[str]:
    """Every module this one imports, relative imports resolved, lazy ones included."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            found.add(source)
            # ``from qoima.chain import direct`` imports the module itself.
            found |= {f"{source}.{alias.name}" for alias in node.names}
    return found


def _importers() -> dict[str, set[str]]:
    """The production modules that import a module sending on its own, by that module."""
    importers: dict[str, set[str]] = {name: set() for name in SENDING_ON_THEIR_OWN}
    for module, path in _production_modules().items():
        for imported in _imported(module, path) & SENDING_ON_THEIR_OWN:
            importers[imported].add(module)
    return importers


def _allowed(module: str) -> bool:
    return module in SENDING_ON_THEIR_OWN or ".management.commands." in module


def test_only_deployment_and_commands_import_the_modules_that_send_on_their_own():
    importers = _importers()
    strays = {m for found in importers.values() for m in found if not _allowed(m)}
    assert strays == set()
    # The walk sees the imports it is there to police.
    assert importers["qoima.chain.direct"] == {"qoima.chain.deployment"}
    assert "qoima.chain.management.commands.deployplatform" in importers["qoima.chain.deployment"]


def test_the_walk_resolves_relative_and_module_imports(tmp_path):
    module = tmp_path / "reads.py"
    module.write_text(
        "from .direct import send\nfrom .. import chain\nfrom qoima.chain import direct\n"
        "def later():\n    import qoima.chain.deployment\n"
    )
    found = _imported("qoima.chain.reads", module)
    assert {"qoima.chain.direct", "qoima.chain.deployment", "qoima.chain"} <= found
