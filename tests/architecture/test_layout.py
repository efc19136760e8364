"""The shape of the code: ``ls engine engine/*`` reads as the program, no import cycles, no giants.

These checks read the source with ``ast`` (nothing is imported), so they run in a second and fail
with the names of the modules that break a rule.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("engine", "gui")
MAX_LINES = 400
MAX_TOP_MODULES = 4
MIN_CONCERN_PACKAGES = 4


def _modules() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            yield ".".join(parts), path


MODULES = dict(_modules())


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _module_level_imports(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports executed when the module is imported: top level, also inside try/if, not TYPE_CHECKING."""
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If):
            pending += ([] if _is_type_checking(node.test) else node.body) + node.orelse
        elif isinstance(node, ast.Try):
            pending += node.body + node.orelse + node.finalbody + [s for h in node.handlers for s in h.body]


def _resolve(name: str) -> str | None:
    """The project module an imported name is (or belongs to), or None for outside modules."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports_of(module: str, path: Path) -> set[str]:
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in _module_level_imports(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [f"{base}.{alias.name}" for alias in node.names] or [base]
        for name in names:
            target = _resolve(name)
            if target is not None and target != module:
                found.add(target)
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def _parents_imported(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Importing ``a.b.c`` runs ``a/__init__`` and ``a/b/__init__`` first: count those edges too."""
    full = {module: set(targets) for module, targets in graph.items()}
    for module, targets in graph.items():
        for target in targets:
            parent = target.rpartition(".")[0]
            while parent:
                if parent in MODULES and parent != module and not module.startswith(parent + "."):
                    full[module].add(parent)
                parent = parent.rpartition(".")[0]
    return full


def test_the_engine_top_level_reads_as_the_program() -> None:
    engine = ROOT / "engine"
    modules = sorted(p.name for p in engine.glob("*.py"))
    packages = sorted(p.name for p in engine.iterdir() if (p / "__init__.py").is_file())
    assert len(modules) <= MAX_TOP_MODULES, f"engine/ has {len(modules)} top-level modules: {modules}"
    concerns = [p for p in packages if p != "cli"]
    assert len(concerns) >= MIN_CONCERN_PACKAGES, f"engine/ has too few concern packages: {packages}"
    for kind in ("mirror", "rclone", "revit"):
        assert (engine / "jobs" / kind / "restore.py").is_file(), f"jobs/{kind} has no restore module"


def test_no_import_cycle_at_run_time() -> None:
    graph = {module: _imports_of(module, path) for module, path in MODULES.items()}
    assert _cycles(_parents_imported(graph)) == []


def test_the_window_never_imports_a_job_kind() -> None:
    offenders = {
        module: sorted(t for t in _imports_of(module, path) if t.startswith("engine.jobs"))
        for module, path in MODULES.items()
        if module.startswith("gui")
    }
    assert {m: t for m, t in offenders.items() if t} == {}


def test_no_module_is_a_giant() -> None:
    sizes = {module: len(path.read_text(encoding="utf-8").splitlines()) for module, path in MODULES.items()}
    assert {m: n for m, n in sizes.items() if n > MAX_LINES} == {}


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
