"""The shape of ``src/partstream`` holds: no import loops, no upward imports, sans-IO
cores that stay sans-IO, modules of a readable size, and an ARCHITECTURE.md that
names only what exists.

The import graph comes from the source (``ast``), not from importing it: every
``import`` and ``from ... import`` anywhere in a module counts, at module level,
inside a function, under ``if TYPE_CHECKING:`` or in a ``try:``, with relative
imports resolved. ``from pkg import name`` is an edge to ``pkg.name`` when that
is a module, else to ``pkg``. The implicit import of a module's parent packages
is not an edge (every module would depend on ``partstream/__init__.py``).
"""

from __future__ import annotations

import ast
import fnmatch
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PACKAGE = SRC / "partstream"
ARCHITECTURE = ROOT / "ARCHITECTURE.md"

#: The hard ceiling of a module in ``src/`` (the house style says ~500).
MAX_LINES = 520

#: The layers, lowest first. A module may import modules of its own group and of
#: any group in a lower layer; groups that share a layer are peers and must not
#: import each other. Patterns are fnmatch patterns of module names; a package's
#: ``__init__`` is the package's name. ``ui`` and ``resumable`` are being built
#: elsewhere: their place is declared now so that their code is checked as it lands.
LAYERS: tuple[tuple[tuple[str, tuple[str, ...]], ...], ...] = (
    (("errors", ("partstream.errors", "partstream._errors_*")),),
    (("parts", ("partstream.parts", "partstream._parts_*")),),
    (
        ("codecs", ("partstream.codecs", "partstream.codecs.*")),
        ("pipeline", ("partstream.pipeline", "partstream.pipeline.*")),
    ),
    (("package facade", ("partstream",)),),
    (("transports", ("partstream.transports", "partstream.transports.*")),),
    (("providers", ("partstream.providers", "partstream.providers.*")),),
    (("ui", ("partstream.ui", "partstream.ui.*")),),
    (("resumable", ("partstream.resumable", "partstream.resumable.*")),),
    (
        ("emulator", ("partstream.emulator", "partstream.emulator.*")),
        ("testing", ("partstream.testing", "partstream.testing.*")),
    ),
    (("cli", ("partstream.cli", "partstream._cli_*", "partstream.__main__")),),
)

#: Modules that never do I/O (sans-IO): they take bytes and values and return values.
SANS_IO: tuple[str, ...] = (
    "partstream.errors",
    "partstream._errors_*",
    "partstream.parts",
    "partstream._parts_*",
    "partstream.codecs",
    "partstream.codecs.*",
    "partstream.transports._sse_decoder*",
    "partstream.transports._ws_protocol*",
    "partstream.transports._ws_deflate*",
    "partstream.transports._ws_frames*",
    "partstream.transports._ws_handshake*",
    "partstream.transports._ws_url*",
)
#: What a sans-IO module must not import (event loops, sockets, HTTP clients, servers).
IO_LIBRARIES = frozenset(
    {
        "anyio",
        "asyncio",
        "httpcore",
        "httpx",
        "hypercorn",
        "selectors",
        "sniffio",
        "socket",
        "ssl",
        "trio",
        "websockets",
    }
)

#: Folders ARCHITECTURE.md already describes that other branches are adding.
PLANNED_FOLDERS = frozenset({"ui", "resumable"})


class Edge(NamedTuple):
    source: str
    target: str
    line: int
    where: str  # "module level", "in a function", "under TYPE_CHECKING"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _where(stack: list[ast.AST]) -> str:
    for node in reversed(stack):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            return "in a function"
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return "under TYPE_CHECKING"
    return "module level"


def _imports(tree: ast.AST) -> Iterator[tuple[ast.Import | ast.ImportFrom, str]]:
    """Every import statement in the tree, with where it sits."""
    stack: list[ast.AST] = []

    def visit(node: ast.AST) -> Iterator[tuple[ast.Import | ast.ImportFrom, str]]:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, _where(stack)
        stack.append(node)
        for child in ast.iter_child_nodes(node):
            yield from visit(child)
        stack.pop()

    yield from visit(tree)


def _resolve_from(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _known(name: str) -> str | None:
    """The longest prefix of a dotted name that is a module of the package."""
    modules = _modules()
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


@cache
def _graph() -> tuple[dict[str, list[Edge]], dict[str, dict[str, Edge]]]:
    """Internal edges per module, and the external top-level packages each imports."""
    internal: dict[str, list[Edge]] = {}
    external: dict[str, dict[str, Edge]] = {}
    for module, path in _modules().items():
        is_package = path.name == "__init__.py"
        edges: list[Edge] = []
        outside: dict[str, Edge] = {}
        for node, where in _imports(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = _resolve_from(module, is_package, node)
                targets = []
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.append(sub if sub in _modules() else base)
            for target in targets:
                found = _known(target) if target.split(".")[0] == "partstream" else None
                if found is None:
                    top = target.split(".")[0]
                    if top != "partstream" and top:
                        outside.setdefault(top, Edge(module, top, node.lineno, where))
                elif found != module:
                    edges.append(Edge(module, found, node.lineno, where))
        internal[module] = edges
        external[module] = outside
    return internal, external


def _at(edge: Edge) -> str:
    path = _modules()[edge.source].relative_to(ROOT)
    return f"{path}:{edge.line}, {edge.where}"


def _layer_of(module: str) -> tuple[int, str]:
    for rank, layer in enumerate(LAYERS):
        for group, patterns in layer:
            if any(fnmatch.fnmatchcase(module, p) for p in patterns):
                return rank, group
    raise AssertionError(f"{module} is in no layer of tests/test_architecture.py: add it")


def _cycles(edges: dict[str, list[Edge]]) -> list[list[Edge]]:
    """One concrete loop per strongly connected component (Tarjan, then a BFS)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for edge in edges.get(v, []):
            w = edge.target
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(component)

    for v in sorted(edges):
        if v not in index:
            strong(v)
    loops = []
    for component in components:
        start = min(component)
        # The shortest path from start back to start inside the component.
        paths: dict[str, list[Edge]] = {start: []}
        queue = [start]
        loop: list[Edge] | None = None
        while queue and loop is None:
            v = queue.pop(0)
            for edge in edges[v]:
                if edge.target == start:
                    loop = [*paths[v], edge]
                    break
                if edge.target in component and edge.target not in paths:
                    paths[edge.target] = [*paths[v], edge]
                    queue.append(edge.target)
        assert loop is not None
        loops.append(loop)
    return loops


def test_the_graph_sees_every_kind_of_import() -> None:
    edges, external = _graph()
    assert len(_modules()) > 50
    kinds = {edge.where for module_edges in edges.values() for edge in module_edges}
    assert "module level" in kinds
    assert "in a function" in kinds  # cli.py imports its commands' modules lazily
    assert any(
        e.target == "partstream.parts" for e in edges["partstream.codecs.interactions._tools"]
    )
    assert "anyio" in external["partstream.pipeline._pipeline"]


def test_no_import_loops() -> None:
    edges, _ = _graph()
    loops = _cycles(edges)
    message = "\n".join(
        "import loop: "
        + " -> ".join([loop[0].source, *(e.target for e in loop)])
        + "".join(f"\n    {e.source} imports {e.target} ({_at(e)})" for e in loop)
        for loop in loops
    )
    assert not loops, message


def test_the_loop_finder_names_the_chain() -> None:
    edges = {
        "a": [Edge("a", "b", 1, "module level")],
        "b": [Edge("b", "c", 2, "in a function")],
        "c": [Edge("c", "a", 3, "under TYPE_CHECKING"), Edge("c", "d", 4, "module level")],
        "d": [],
    }
    (loop,) = _cycles(edges)
    assert [(e.source, e.target) for e in loop] == [("a", "b"), ("b", "c"), ("c", "a")]
    assert _cycles({"a": [Edge("a", "b", 1, "x")], "b": []}) == []


def test_no_upward_or_sideways_imports() -> None:
    edges, _ = _graph()
    wrong = []
    for module, module_edges in edges.items():
        rank, group = _layer_of(module)
        for edge in module_edges:
            target_rank, target_group = _layer_of(edge.target)
            if target_rank > rank or (target_rank == rank and target_group != group):
                direction = "up" if target_rank > rank else "sideways"
                wrong.append(
                    f"{module} ({group}) imports {edge.target} ({target_group}): "
                    f"{direction} ({_at(edge)})"
                )
    assert not wrong, "imports against the layer order:\n" + "\n".join(wrong)


def test_every_layer_pattern_is_in_use_or_planned() -> None:
    # A typo in LAYERS would exempt a package silently.
    for layer in LAYERS:
        for group, patterns in layer:
            used = any(fnmatch.fnmatchcase(m, p) for m in _modules() for p in patterns)
            assert used or group in PLANNED_FOLDERS, f"layer group {group!r} matches no module"


def test_sans_io_modules_stay_sans_io() -> None:
    edges, external = _graph()
    wrong: list[str] = []
    for module in sorted(_modules()):
        if not any(fnmatch.fnmatchcase(module, p) for p in SANS_IO):
            continue
        wrong.extend(
            f"{module} imports {lib} ({_at(edge)})"
            for lib, edge in sorted(external[module].items())
            if lib in IO_LIBRARIES
        )
        wrong.extend(
            f"{module} imports {edge.target}, which is not sans-IO ({_at(edge)})"
            for edge in edges[module]
            if not any(fnmatch.fnmatchcase(edge.target, p) for p in SANS_IO)
        )
    assert not wrong, "sans-IO modules that reach for I/O:\n" + "\n".join(wrong)


def test_no_module_in_src_is_over_the_ceiling() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in sorted(SRC.rglob("*.py"))
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines (split them along their seams): {long}"


# --- ARCHITECTURE.md stays true -----------------------------------------------------------

_BACKTICKED = re.compile(r"`([^`\s]+)`")


def _named_paths(text: str) -> set[str]:
    """Backticked tokens that are paths: ``dir/`` or a file with a suffix we use.

    Not ``text/event-stream`` (a media type) nor ``/v1beta/interactions`` (a route).
    """
    names = set()
    for token in _BACKTICKED.findall(text):
        if re.fullmatch(r"[\w.*-][\w.*/-]*", token) and (
            token.endswith(("/", ".py", ".md", ".toml", ".json", ".mjs")) or token == ".ci/run"
        ):
            names.add(token)
    return names


def _exists(token: str) -> bool:
    for base in (ROOT, PACKAGE):
        if "*" in token:
            if any(base.glob(token.rstrip("/"))):
                return True
        elif (base / token).exists():
            return True
    return False


def _folders() -> list[str]:
    return sorted(
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*")
        if p.is_dir() and p.name != "__pycache__" and any(p.glob("*.py"))
    )


@pytest.mark.skipif(not ARCHITECTURE.is_file(), reason="ARCHITECTURE.md is missing")
def test_architecture_md_names_only_paths_that_exist() -> None:
    text = ARCHITECTURE.read_text()
    named = _named_paths(text)
    assert len(named) > 30
    planned = {f"{d}/" for d in PLANNED_FOLDERS} | {f"src/partstream/{d}/" for d in PLANNED_FOLDERS}
    missing = sorted(n for n in named if not _exists(n) and n not in planned)
    assert not missing, f"ARCHITECTURE.md names paths that do not exist: {missing}"


@pytest.mark.skipif(not ARCHITECTURE.is_file(), reason="ARCHITECTURE.md is missing")
def test_architecture_md_maps_every_folder() -> None:
    named = _named_paths(ARCHITECTURE.read_text())
    unmapped = [
        folder
        for folder in _folders()
        if f"{folder}/" not in named and f"src/partstream/{folder}/" not in named
    ]
    assert not unmapped, f"folders of src/partstream missing from ARCHITECTURE.md: {unmapped}"
    for folder in PLANNED_FOLDERS:
        assert f"{folder}/" in named or f"src/partstream/{folder}/" in named, folder


def test_the_path_finder_reads_backticks() -> None:
    text = (
        "see `codecs/`, `tests/test_x.py`, `a b`, `partstream.parts`, `_parts_*.py`,"
        " `text/event-stream` and `/v1beta/interactions`."
    )
    assert _named_paths(text) == {"codecs/", "tests/test_x.py", "_parts_*.py"}
    assert _exists("codecs/")
    assert _exists("_parts_*.py")
    assert _exists("tests/conftest.py")
    assert not _exists("codecs/nothing_here.py")
