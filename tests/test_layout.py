"""The package's house rules, checked on its source: no module over 400 lines (a reader opens one small
file and finds the method), no import cycles, and one training loop (``.backward()`` is called in
tlearn.train and, for the convex probe's L-BFGS closure, in tlearn.probes, nowhere else)."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "tlearn"
MAX_LINES = 400


def _sources() -> dict[str, Path]:
    """``{dotted module name: path}`` for every module of the package (a package by its ``__init__``)."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _is_type_checking(node: ast.stmt) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and ast.unparse(test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")


def _module_level_imports(tree: ast.Module):
    """Import statements that run when the module is imported: at top level or nested in if/try blocks,
    not inside functions or classes (those run later) and not under ``if TYPE_CHECKING``."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, (ast.If, ast.Try)) and not _is_type_checking(node):
            for name in ("body", "orelse", "finalbody", "handlers"):
                for child in getattr(node, name, []):
                    stack.extend(child.body if isinstance(child, ast.ExceptHandler) else [child])


def import_graph() -> dict[str, set[str]]:
    """``{module: modules of tlearn it imports at import time}``. ``from .x import name`` points at ``x``
    and, when ``name`` is a submodule of ``x``, at ``x.name`` too. The module's own packages are left out:
    Python imports them before the module, so ``from . import sibling`` is no cycle."""
    sources = _sources()
    graph = {}
    for module, path in sources.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        edges = set()
        for node in _module_level_imports(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = package.split(".")
                if node.level > 1:
                    base = base[: -(node.level - 1)]
                root = ".".join(base + ([node.module] if node.module else [])) if node.level else node.module
                targets = [root] + [f"{root}.{a.name}" for a in node.names]
            ancestors = {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)}
            edges.update(t for t in targets if t in sources and t != module and t not in ancestors)
        graph[module] = edges
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index, low, on_stack, stack, out = {}, {}, set(), [], []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_every_module_is_at_most_400_lines():
    lines = {path.relative_to(PACKAGE.parent).as_posix(): path.read_text().count("\n") for path in _sources().values()}
    assert len(lines) > 50 and lines["tlearn/train.py"] > 100  # the walk found the package
    too_long = {name: n for name, n in lines.items() if n > MAX_LINES}
    assert not too_long, f"modules over {MAX_LINES} lines (move one coherent part into its own module): {too_long}"


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_no_import_cycles():
    graph = import_graph()
    assert "tlearn.train" in graph["tlearn.finetune"] and "tlearn.checks" in graph["tlearn.compare"]
    assert "tlearn.data.base" in graph["tlearn.data.glyphs"]  # relative imports inside a subpackage
    cycles = _cycles(graph)
    assert not cycles, f"import cycles among tlearn's modules (at import time): {cycles}"


def _backward_calls(path: Path) -> int:
    tree = ast.parse(path.read_text())
    return sum(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "backward"
        for n in ast.walk(tree)
    )


def test_backward_is_called_only_by_the_training_loop_and_the_convex_probe():
    calls = {
        path.relative_to(PACKAGE.parent).as_posix(): n for path in _sources().values() if (n := _backward_calls(path))
    }
    assert calls == {"tlearn/train.py": 1, "tlearn/probes.py": 1}, (
        f"`.backward()` calls outside the one training loop (tlearn.train.fit) and the L-BFGS probe: {calls}"
    )
