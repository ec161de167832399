"""The import graph: no cycle between apps, none through a Celery tasks module, and no test module
importing another.

The graph is grimp's (the engine of import-linter), built from every ``import`` statement in the
source, wherever it stands: one inside a function is as much an edge as one at the top of a
module, because it closes the same loop at run time, only later. The failure names each edge of
a cycle and says which of the two it is.

Importing ``a.b.c`` runs ``a/__init__.py`` and ``a/b/__init__.py`` first, so the importer also
depends on those packages (unless they are its own, already running): the graph has those
edges too, named as such.

One kind of edge is left out: an import under ``if TYPE_CHECKING:``. It never runs, it exists
for annotations only, so it cannot make a loop at run time.

Why modules, not whole apps: Django apps refer to each other's models both ways (a wallet belongs
to a participant; registering a participant creates a wallet), and ``qoima.locks`` imports the
rows it locks from the apps that call it. Collapsed into apps, that is one knot by design. What
breaks, or forces an import into a function to hide, is a loop of modules; that is what is
refused when it crosses from one app (or platform module) into another, or passes through a
tasks module: tasks are entry points that call services, so services never import them back
(they emit a signal the tasks module answers).
"""

import ast
import importlib.util
from collections.abc import Callable
from functools import cache
from itertools import pairwise
from pathlib import Path

import grimp
import pytest

APPS = (
    "qoima.participants",
    "qoima.custody",
    "qoima.chain",
    "qoima.exchange",
    "qoima.audit",
    "issuance",
    "registry",
)
PACKAGES = ("qoima", "issuance", "registry")


def unit_of(module: str) -> str:
    """The app a module belongs to, or the platform module (``qoima.locks``, ``qoima.health``)."""
    for app in APPS:
        if module == app or module.startswith(app + "."):
            return app
    return ".".join(module.split(".")[:2])


@cache
def _scopes(module: str) -> dict[int, str]:
    """Line of each import statement in a module -> the function it stands in ("" at top level)."""
    spec = importlib.util.find_spec(module)
    assert spec is not None
    assert spec.origin is not None
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    found: dict[int, str] = {}

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                found[child.lineno] = function
            inner = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else ""
            visit(child, inner or function)

    visit(tree, "")
    return found


Scopes = Callable[[str], dict[int, str]]


def describe_edge(
    graph: grimp.ImportGraph, importer: str, imported: str, scopes: Scopes = _scopes
) -> str:
    lines = []
    for detail in graph.get_import_details(importer=importer, imported=imported):
        if detail["line_number"] == PACKAGE_INIT:
            lines.append(str(detail["line_contents"]))
            continue
        function = scopes(importer).get(detail["line_number"], "")
        where = f"function-level, in {function}()" if function else "module-level"
        lines.append(f"line {detail['line_number']}, {where}: {detail['line_contents']}")
    return f"  {importer} -> {imported}\n" + "\n".join(f"      {line}" for line in lines)


def strongly_connected(graph: grimp.ImportGraph) -> list[set[str]]:
    """The graph's loops: every set of two or more modules each reachable from every other."""
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(component)
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(edges.get(child, ()))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


def refused(component: set[str]) -> bool:
    crosses = len({unit_of(m) for m in component}) > 1
    through_tasks = any(m.rsplit(".", 1)[-1] == "tasks" for m in component)
    return crosses or through_tasks


def cycle_in(graph: grimp.ImportGraph, component: set[str]) -> list[str]:
    """One shortest loop of the component, through an edge that makes it refused."""
    candidates = [
        (a, b)
        for a in sorted(component)
        for b in sorted(graph.find_modules_directly_imported_by(a) & component)
    ]
    candidates.sort(key=lambda e: (unit_of(e[0]) == unit_of(e[1]), not e[1].endswith(".tasks")))
    importer, imported = candidates[0]
    back = graph.find_shortest_chain(importer=imported, imported=importer)
    assert back is not None
    return [importer, *back]


def cycles_report(graph: grimp.ImportGraph, scopes: Scopes = _scopes) -> list[str]:
    reports = []
    for component in strongly_connected(graph):
        if not refused(component):
            continue
        cycle = cycle_in(graph, component)
        edges = "\n".join(describe_edge(graph, a, b, scopes) for a, b in pairwise(cycle))
        reports.append(f"{' -> '.join(cycle)}\n{edges}")
    return reports


# The line number of an edge to a package whose __init__ an import runs first.
PACKAGE_INIT = 0


def with_package_inits(graph: grimp.ImportGraph) -> grimp.ImportGraph:
    """Add an edge from each importer to every package an imported module is in, but its own."""
    for importer in list(graph.modules):
        for imported in list(graph.find_modules_directly_imported_by(importer)):
            parts = imported.split(".")
            for size in range(1, len(parts)):
                package = ".".join(parts[:size])
                init = "/".join(parts[:size]) + "/__init__.py"
                if importer == package or importer.startswith(package + "."):
                    continue
                graph.add_import(
                    importer=importer,
                    imported=package,
                    line_number=PACKAGE_INIT,
                    line_contents=f"importing {imported} runs {init} first",
                )
    return graph


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    built = grimp.build_graph(*PACKAGES, cache_dir=None, exclude_type_checking_imports=True)
    return with_package_inits(built)


def test_no_import_cycle_between_apps_or_through_tasks(graph):
    reports = cycles_report(graph)
    assert not reports, "Import cycles:\n\n" + "\n\n".join(reports)


def test_a_cycle_is_named_edge_by_edge_with_where_each_import_stands():
    # Two apps' services importing each other, one at the top, one inside a function; and
    # a cycle inside one app that passes through no tasks module, which is not refused.
    graph = grimp.ImportGraph()
    for module in ("qoima.custody.services", "qoima.chain.services", "qoima.audit.labels"):
        graph.add_module(module)
    graph.add_module("qoima.audit.models")
    graph.add_import(
        importer="qoima.custody.services",
        imported="qoima.chain.services",
        line_number=1,
        line_contents="from qoima.chain.services import x",
    )
    graph.add_import(
        importer="qoima.chain.services",
        imported="qoima.custody.services",
        line_number=2,
        line_contents="from qoima.custody.services import y",
    )
    graph.add_import(importer="qoima.audit.labels", imported="qoima.audit.models")
    graph.add_import(importer="qoima.audit.models", imported="qoima.audit.labels")

    scopes = {"qoima.custody.services": {1: ""}, "qoima.chain.services": {2: "wallet_fund"}}
    [report] = cycles_report(graph, scopes.__getitem__)

    assert report.splitlines() == [
        "qoima.chain.services -> qoima.custody.services -> qoima.chain.services",
        "  qoima.chain.services -> qoima.custody.services",
        "      line 2, function-level, in wallet_fund(): from qoima.custody.services import y",
        "  qoima.custody.services -> qoima.chain.services",
        "      line 1, module-level: from qoima.chain.services import x",
    ]


def test_services_importing_their_tasks_is_a_cycle_even_inside_one_app():
    graph = grimp.ImportGraph()
    graph.add_import(importer="issuance.tasks", imported="issuance.services")
    graph.add_import(importer="issuance.services", imported="issuance.tasks")
    assert [component for component in strongly_connected(graph) if refused(component)] == [
        {"issuance.tasks", "issuance.services"}
    ]


def test_a_package_an_import_runs_first_is_an_edge_of_the_importer():
    graph = grimp.ImportGraph()
    graph.add_import(importer="issuance.selectors", imported="issuance.services.distribution")
    graph.add_import(importer="issuance.services.review", imported="issuance.services.minting")
    with_package_inits(graph)
    assert graph.find_modules_directly_imported_by("issuance.selectors") == {
        "issuance.services.distribution",
        "issuance.services",
    }
    # Its own package is already running: no edge back to it.
    assert graph.find_modules_directly_imported_by("issuance.services.review") == {
        "issuance.services.minting"
    }
    assert describe_edge(graph, "issuance.selectors", "issuance.services").splitlines() == [
        "  issuance.selectors -> issuance.services",
        "      importing issuance.services.distribution runs issuance/services/__init__.py first",
    ]


def test_functions_are_told_from_the_top_of_a_module():
    scopes = _scopes("qoima.chain.apps")
    assert "" in scopes.values()
    assert "ready" in scopes.values()


# ----------------------------------------------------------------------- test modules


def test_no_test_module_imports_another():
    """Shared test code lives in conftest.py fixtures or in modules that are not test modules."""
    tests = grimp.build_graph("tests", cache_dir=None)

    def is_test(module: str) -> bool:
        return module.rsplit(".", 1)[-1].startswith("test_")

    found = sorted(
        describe_edge(tests, importer, imported)
        for importer in tests.modules
        if is_test(importer)
        for imported in tests.find_modules_directly_imported_by(importer)
        if is_test(imported)
    )
    assert not found, "Test modules importing test modules:\n" + "\n".join(found)
