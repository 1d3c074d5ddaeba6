"""The import rules of ARCHITECTURE.md, checked on the syntax tree of every module.

1. ``protocol`` is sans-IO: the standard library minus I/O, clock and process modules (locks
   for thread-safe caches are allowed: the node verifies in worker threads), and
   pure libraries (cryptography, pyld, networkx, ...). Never ``confiance.node``.
2. ``node`` reaches ``protocol`` through its public names only (no ``_private`` imports).
3. Only ``node/peers/outbound.py`` (gossip and peer keys, aiohttp's client) and
   ``node/running.py`` (the CLI calling its own node, ``http.client``) make outbound HTTP;
   only ``node/storage/`` touches the database.
4. No import circle runs through gossip (``node/peers/``, ``node/routes/gossip.py``): the
   route plugs the engine in, the engine never imports the route (lazy imports counted).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PROTOCOL_FORBIDDEN_STDLIB = {
    "asyncio", "socket", "sqlite3", "ssl", "selectors", "subprocess",
    "multiprocessing", "http", "urllib", "ftplib", "smtplib", "socketserver", "time", "random",
}
PROTOCOL_ALLOWED_THIRD_PARTY = {
    "cryptography", "pyld", "networkx", "rfc8785", "jsonschema", "numpy", "scipy",
    "typing_extensions",
}
HTTP_CLIENT_NAMES = {"ClientSession", "request", "TCPConnector"}


def _modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, module, imported names) for every absolute import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module, [a.name for a in node.names]))
    return found


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("path", _modules("protocol"), ids=_rel)
def test_protocol_is_sans_io(path: Path) -> None:
    for line, module, _ in _imports(path):
        top = module.split(".")[0]
        where = f"{_rel(path)}:{line} imports {module}"
        if module.startswith("confiance."):
            assert module.startswith("confiance.protocol"), where
            continue
        if top in sys.stdlib_module_names or top == "__future__":
            assert top not in PROTOCOL_FORBIDDEN_STDLIB, where + " (I/O, clock or randomness)"
            continue
        assert top in PROTOCOL_ALLOWED_THIRD_PARTY, where + " (not a pure library)"


@pytest.mark.parametrize("path", _modules("node"), ids=_rel)
def test_node_uses_protocol_public_names(path: Path) -> None:
    for line, module, names in _imports(path):
        if module.startswith("confiance.protocol"):
            parts = module.split(".") + names
            private = [p for p in parts if p.startswith("_") and p != "__future__"]
            assert not private, f"{_rel(path)}:{line} reaches into protocol privates {private}"


OUTBOUND_HTTP_MODULES = {"node/peers/outbound.py", "node/running.py"}


@pytest.mark.parametrize("path", _modules("node"), ids=_rel)
def test_only_peers_outbound_makes_outbound_http(path: Path) -> None:
    if _rel(path) in OUTBOUND_HTTP_MODULES:
        return
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in HTTP_CLIENT_NAMES:
            value = node.value
            if isinstance(value, ast.Name) and value.id == "aiohttp":
                pytest.fail(f"{_rel(path)}:{node.lineno} uses aiohttp.{node.attr}: outbound "
                            "HTTP belongs in node/peers/outbound.py")
    for line, module, names in _imports(path):
        if module in {"aiohttp", "aiohttp.client"}:
            bad = HTTP_CLIENT_NAMES & set(names)
            assert not bad, (f"{_rel(path)}:{line} imports {bad}: outbound HTTP is "
                             "peers/outbound.py's")
        assert module.split(".")[0] not in {"requests", "httpx", "urllib3"}, (
            f"{_rel(path)}:{line} imports an HTTP client")
        assert module not in {"http.client", "urllib.request"} and not (
            module == "http" and "client" in names), (
            f"{_rel(path)}:{line} imports {module}: outbound HTTP is peers/outbound.py's and "
            "running.py's")


def _node_import_graph() -> dict[str, set[str]]:
    """Module -> the ``confiance.node`` modules it imports, relative and lazy imports
    included (``from . import x`` counts as importing ``x`` when ``x`` is a module)."""
    def name_of(path: Path) -> str:
        parts = ("confiance", "node", *path.relative_to(ROOT / "node").with_suffix("").parts)
        return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)

    paths = _modules("node")
    known = {name_of(p) for p in paths}
    graph: dict[str, set[str]] = {}
    for path in paths:
        name = name_of(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = graph.setdefault(name, set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")[:len(package.split(".")) - max(node.level - 1, 0)] \
                    if node.level else []
                module = ".".join(base + ([node.module] if node.module else []))
                targets = [module] + [f"{module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            edges.update(t for t in targets if t in known and t != name)
    return graph


def test_no_import_circle_through_gossip() -> None:
    """Rule 4: gossip's modules are on no import cycle (the engine used to import its
    route lazily inside ``setup``, and the route the engine)."""
    import networkx as nx

    graph = nx.DiGraph([(a, b) for a, targets in _node_import_graph().items() for b in targets])
    gossip = {n for n in graph if n.startswith("confiance.node.peers")
              or n == "confiance.node.routes.gossip"}
    assert "confiance.node.peers.engine" in gossip and "confiance.node.routes.gossip" in gossip
    assert graph.has_edge("confiance.node.routes.gossip", "confiance.node.peers.engine")
    circles = [c for c in nx.simple_cycles(graph) if gossip & set(c)]
    assert not circles, f"import circles through gossip: {circles}"


@pytest.mark.parametrize("path", _modules("node"), ids=_rel)
def test_only_storage_touches_the_database(path: Path) -> None:
    if _rel(path).startswith("node/storage/"):
        return
    for line, module, _ in _imports(path):
        assert module.split(".")[0] not in {"sqlite3", "aiosqlite", "asyncpg", "psycopg"}, (
            f"{_rel(path)}:{line} imports {module}: the database is node/storage's")


def test_every_package_is_listed_in_pyproject() -> None:
    """A subpackage missing from pyproject's list installs nowhere but in editable mode."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"])
    found = set()
    for top, name in (("protocol", "confiance.protocol"), ("node", "confiance.node")):
        for init in (ROOT / top).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / top).parts
            found.add(".".join((name, *rel)))
    assert found == listed
