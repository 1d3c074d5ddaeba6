"""Mutation testing of the modules that guard data and identity (run like a benchmark).

    .venv/bin/python tests/mutation/run_mutants.py                    # every module
    .venv/bin/python tests/mutation/run_mutants.py --module erasures --jobs 2
    .venv/bin/python tests/mutation/run_mutants.py --module jsondoc --limit 40 --list

A *mutant* is the module with one small change a careless edit could make: a comparison
or boundary flipped, ``and``/``or`` swapped, a ``not`` dropped, a constant changed, a guard
statement (``raise``, a call) removed, a returned value replaced by ``None``, a
``min``/``max`` cap dropped. A test suite that still passes on a mutant has not noticed
the change: the mutant *survives*. Every survivor is either a missing test or an
*equivalent* mutant (a change with no observable effect), explained in
``tests/mutation/equivalents.py``.

How it runs (and why not mutmut or cosmic-ray). The mutants are generated from the AST of
the current source, never from a list of line patches, so the script keeps working while
others edit these modules. Each mutant runs in a process forked from a parent that has
already imported the heavy libraries (pytest, aiohttp, pyld, numpy, scipy, networkx); the
child installs an import hook that serves the mutated code for that one module name
(``confiance.protocol.signing``...) and runs pytest in-process: nothing on disk changes, so
mutants run in parallel (``--jobs``) beside a developer's own work. A first pass runs the
module's tests under coverage with one context per test and keeps, for each line, the
tests that execute it; a mutant then runs only those tests (``-x``, fastest first), and a
mutant on a line no test executes survives at once ("not covered"). Mutants of code run at
import time (module constants, defaults, class bodies) run all the module's tests.
mutmut 3 finds no test for any mutant here (its copied ``mutants/`` tree is invisible
behind the setuptools package-dir mapping); cosmic-ray works on the files in place and
takes about 6 s per mutant serially (48 mutants of a 59-line module: 5 min 15 s; jsondoc
alone makes 1,543), which does not fit two shared cores.

Outcomes: ``killed`` (a test failed), ``timeout`` (killed by the per-mutant timeout: an
endless loop is noticed too), ``survived``, ``not covered`` (survived, no test runs the
line), ``equivalent`` (survived and explained). The exit status is 1 when any mutant
survives unexplained. ``--verbose`` and ``--json`` name, for each kill, the test that
failed first and the first line of its failure: a kill by a test that fails by timing on a
loaded machine shows there.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import copy
import importlib.abc
import importlib.util
import inspect
import json
import os
import select
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from equivalents import EQUIVALENT  # noqa: E402

_NODE_TESTS = "tests/node/"
MODULES: dict[str, tuple[str, str, list[str]]] = {
    # name: (import name, source path, the tests that may kill its mutants)
    "signing": ("confiance.protocol.signing", "protocol/signing.py", [
        "tests/protocol/", f"{_NODE_TESTS}test_bad_input.py", f"{_NODE_TESTS}test_guard_limits.py",
        f"{_NODE_TESTS}test_guard_subject_requests.py",
        f"{_NODE_TESTS}test_guard_erasure_notices.py", f"{_NODE_TESTS}test_assertions_api.py",
        f"{_NODE_TESTS}test_remote_keys.py", f"{_NODE_TESTS}test_peer_keys.py",
        "tests/test_cli.py"]),
    "jsondoc": ("confiance.protocol.jsondoc", "protocol/jsondoc.py", [
        "tests/protocol/", f"{_NODE_TESTS}test_bad_input.py",
        f"{_NODE_TESTS}test_guard_limits.py", "tests/test_cli.py"]),
    "graph": ("confiance.protocol.trust.graph", "protocol/trust/graph.py", [
        "tests/protocol/trust/", f"{_NODE_TESTS}test_trust_route.py",
        f"{_NODE_TESTS}test_trust_worker.py", f"{_NODE_TESTS}test_trustfeed.py"]),
    "accountability": ("confiance.protocol.trust.accountability",
                       "protocol/trust/accountability.py", [
        "tests/protocol/trust/", f"{_NODE_TESTS}test_trust_route.py"]),
    "erasures": ("confiance.node.erasures", "node/erasures.py", [
        f"{_NODE_TESTS}test_guard_erasure_notices.py", f"{_NODE_TESTS}test_erasure_gossip.py",
        f"{_NODE_TESTS}test_erase_everything.py", f"{_NODE_TESTS}test_subjects.py"]),
    "subjectauth": ("confiance.node.subjectauth", "node/subjectauth.py", [
        f"{_NODE_TESTS}test_guard_subject_requests.py", f"{_NODE_TESTS}test_subjects.py",
        f"{_NODE_TESTS}test_erase_everything.py", f"{_NODE_TESTS}test_erasure_gossip.py"]),
    "ingest": ("confiance.node.ingest", "node/ingest.py", [
        f"{_NODE_TESTS}test_assertions_api.py", f"{_NODE_TESTS}test_bad_input.py",
        f"{_NODE_TESTS}test_subjects.py", f"{_NODE_TESTS}test_erase_everything.py",
        f"{_NODE_TESTS}test_erasure_gossip.py", f"{_NODE_TESTS}test_guard_erasure_notices.py",
        f"{_NODE_TESTS}test_guard_limits.py", f"{_NODE_TESTS}test_guard_ingest.py",
        f"{_NODE_TESTS}test_admin.py", f"{_NODE_TESTS}test_remote_keys.py",
        f"{_NODE_TESTS}test_peer_keys.py", f"{_NODE_TESTS}test_gossip_loopback.py",
        f"{_NODE_TESTS}test_trustfeed.py"]),
    "ratelimit": ("confiance.node.ratelimit", "node/ratelimit.py", [
        f"{_NODE_TESTS}test_guard_ratelimit.py", f"{_NODE_TESTS}test_bad_input.py",
        f"{_NODE_TESTS}test_config_and_parts.py"]),
    "reconcile": ("confiance.protocol.gossip.reconcile", "protocol/gossip/reconcile.py", [
        "tests/protocol/gossip/", f"{_NODE_TESTS}test_gossip_loopback.py",
        f"{_NODE_TESTS}test_guard_catalog.py"]),
}
PYTEST_ARGS = ["-q", "-p", "no:randomly", "-p", "no:cacheprovider", "--no-header",
               "--hypothesis-seed=0", "-o", "addopts=",
               # the research toolkit's simulations use none of these modules (minutes saved)
               f"--ignore={ROOT / 'tests/protocol/experiments'}"]
#: libraries every child would import: loaded once in the parent, before forking
WARM = ["pytest", "aiohttp", "aiohttp.test_utils", "pyld.jsonld", "numpy", "scipy.sparse",
        "scipy.sparse.linalg", "networkx", "cryptography.hazmat.primitives.asymmetric.ed25519",
        "jsonschema", "rfc8785", "coverage"]


# ---------------------------------------------------------------------------------------------
# Generating mutants from the AST

Path_ = tuple[tuple[str, int | None], ...]  # from the module node: (field, index or None)


@dataclass(frozen=True)
class Mutant:
    module: str
    number: int
    line: int
    end_line: int
    function: str  # qualified name of the enclosing function or class ("" at module level)
    operator: str
    original: str
    mutated: str
    path: Path_
    replacement: ast.AST = field(compare=False, repr=False)
    in_function: bool = True

    @property
    def key(self) -> str:
        """Stable across edits elsewhere in the module: where, what, and into what."""
        return f"{self.function or '<module>'}: {self.original} -> {self.mutated}"


_ORDER_FLIP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt}
_OTHER_FLIP = {ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In,
               ast.Is: ast.IsNot, ast.IsNot: ast.Is}
# the direction a right-hand operand moves to shift a comparison by one the other way than
# its flip: `a > b` flips to `>=` (tighter), shifts to `a > b + 1` (looser), and so on
_SHIFT = {ast.Gt: +1, ast.GtE: -1, ast.Lt: -1, ast.LtE: +1}
_BINOPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
           ast.FloorDiv: ast.Div}
_STR_CALLS = {"startswith", "endswith", "removeprefix", "removesuffix", "partition", "get"}
_QUIET_CALLS = {"log", "logger", "logging", "warnings"}


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str | bytes))


def _shifted(node: ast.expr, delta: int) -> ast.expr:
    op: ast.operator = ast.Add() if delta > 0 else ast.Sub()
    return ast.BinOp(left=copy.deepcopy(node), op=op, right=ast.Constant(1))


def _docstring(node: ast.AST) -> bool:
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str))


def _quiet_call(node: ast.Call) -> bool:
    func = node.func
    while isinstance(func, ast.Attribute):
        func = func.value  # type: ignore[assignment]
    return isinstance(func, ast.Name) and func.id in _QUIET_CALLS


def _replacements(node: ast.AST, parent: ast.AST | None) -> Iterator[tuple[str, ast.AST]]:
    """(operator, replacement node) for each mutant of ``node`` alone."""
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            kind = type(op)
            flipped = _ORDER_FLIP.get(kind) or _OTHER_FLIP.get(kind)
            if flipped is not None:
                new = copy.deepcopy(node)
                new.ops[i] = flipped()
                yield "flip comparison", new
            if kind in _SHIFT and not _is_text(node.comparators[i]) and not _is_text(
                    node.comparators[i - 1] if i else node.left):
                new = copy.deepcopy(node)
                if i == len(node.ops) - 1:  # shift the right-hand side
                    new.comparators[i] = _shifted(node.comparators[i], _SHIFT[kind])
                elif i == 0:  # a chain: shift the left-hand side, the other way
                    new.left = _shifted(node.left, -_SHIFT[kind])
                else:
                    continue
                yield "shift boundary", new
            if kind in _SHIFT and any(
                    isinstance(side, ast.Constant) and type(side.value) in (int, float)
                    for side in (node.comparators[i], node.comparators[i - 1] if i
                                 else node.left)):
                new = copy.deepcopy(node)
                new.ops[i] = ast.NotEq()
                yield "sign to !=", new
    elif isinstance(node, ast.BoolOp):
        new = copy.deepcopy(node)
        new.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        yield "swap and/or", new
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield "drop not", copy.deepcopy(node.operand)
    elif isinstance(node, ast.Constant) and not isinstance(parent, ast.Expr):
        value = node.value
        if isinstance(value, bool):
            yield "flip bool", ast.Constant(not value)
        elif isinstance(value, int):
            yield "constant + 1", ast.Constant(value + 1)
            if value > 0:
                yield "constant - 1", ast.Constant(value - 1)
        elif isinstance(value, float):
            yield "constant + 1", ast.Constant(value + 1.0)
        elif isinstance(value, str) and value and (
                isinstance(parent, ast.Compare) or (
                    isinstance(parent, ast.Call) and isinstance(parent.func, ast.Attribute)
                    and parent.func.attr in _STR_CALLS and node in parent.args[:1])):
            yield "change text", ast.Constant(value + "#")
    elif isinstance(node, ast.BinOp) and type(node.op) in _BINOPS and not (
            _is_text(node.left) or _is_text(node.right)):
        new = copy.deepcopy(node)
        new.op = _BINOPS[type(node.op)]()
        yield "swap arithmetic", new
    elif isinstance(node, ast.AugAssign) and type(node.op) in (ast.Add, ast.Sub):
        new = copy.deepcopy(node)
        new.op = ast.Sub() if isinstance(node.op, ast.Add) else ast.Add()
        yield "swap arithmetic", new
    elif isinstance(node, ast.Raise | ast.Continue | ast.Break):
        yield "remove statement", ast.Pass()
    elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call | ast.Await) \
            and not _docstring(node):
        call = node.value.value if isinstance(node.value, ast.Await) else node.value
        if not (isinstance(call, ast.Call) and _quiet_call(call)):
            yield "remove statement", ast.Pass()
    elif isinstance(node, ast.Return) and node.value is not None and not isinstance(
            node.value, ast.Constant):
        yield "return None", ast.Return(value=ast.Constant(None))
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        name = node.func.id
        if name in ("min", "max") and len(node.args) == 2 and not node.keywords:
            for arg in node.args:
                yield f"drop {name}", copy.deepcopy(arg)
        elif name in ("any", "all"):
            new = copy.deepcopy(node)
            new.func = ast.Name(id="all" if name == "any" else "any", ctx=ast.Load())
            yield "swap any/all", new


_CONTEXTS = (ast.expr, ast.keyword, ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Return)
_SKIPPED_FIELDS = {"annotation", "returns", "decorator_list", "type_comment"}


def _walk(node: ast.AST, path: Path_, scope: list[str], in_function: bool,
          parents: tuple[ast.AST, ...]
          ) -> Iterator[tuple[ast.AST, tuple[ast.AST, ...], Path_, str, bool]]:
    yield node, parents, path, ".".join(scope), in_function
    if isinstance(node, ast.Assert | ast.JoinedStr):
        return  # asserts are for the type checker; f-strings are messages
    if isinstance(node, ast.If) and isinstance(node.test, ast.Name) \
            and node.test.id == "TYPE_CHECKING":
        return
    if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__"
                                            for t in node.targets):
        return
    inner = scope
    function = in_function
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        inner = [*scope, node.name]
        function = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or in_function
    elif isinstance(node, ast.Lambda):
        function = True
    for name, value in ast.iter_fields(node):
        if name in _SKIPPED_FIELDS:
            continue
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) \
                and name == "args":
            continue  # defaults are evaluated at import; annotations are types
        child_function = function if name == "body" or not isinstance(
            node, ast.FunctionDef | ast.AsyncFunctionDef) else in_function
        if isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, ast.AST):
                    yield from _walk(item, (*path, (name, index)), inner, child_function,
                                     (*parents, node))
        elif isinstance(value, ast.AST):
            yield from _walk(value, (*path, (name, None)), inner, child_function,
                             (*parents, node))


def generate(name: str) -> tuple[str, list[Mutant]]:
    """The module's source and its mutants, in source order."""
    source = (ROOT / MODULES[name][1]).read_text()
    tree = ast.parse(source)
    found: list[Mutant] = []
    for node, parents, path, scope, in_function in _walk(tree, (), [], False, ()):
        if not hasattr(node, "lineno"):
            continue
        parent = parents[-1] if parents else None
        # a constant alone says little: show it in the expression that holds it
        up = 0
        if isinstance(node, ast.Constant) and isinstance(parent, _CONTEXTS):
            up = 2 if isinstance(parent, ast.keyword) and len(parents) > 1 else 1
        context = parents[-up] if up else node
        for operator, replacement in _replacements(node, parent):
            shown = _substitute(context, path[len(path) - up:], replacement) if up \
                else replacement
            original = ast.unparse(context).split("\n")[0][:160]
            mutated = ast.unparse(shown).split("\n")[0][:160]
            found.append(Mutant(name, 0, node.lineno, node.end_lineno or node.lineno, scope,
                                operator, original, mutated, path, replacement,
                                in_function))
    found.sort(key=lambda m: (m.line, m.path, m.operator, m.mutated))
    seen: dict[str, int] = {}
    numbered = []
    for number, mutant in enumerate(found, 1):
        key = mutant.key
        seen[key] = seen.get(key, 0) + 1
        suffix = f" #{seen[key]}" if seen[key] > 1 else ""
        numbered.append(Mutant(name, number, mutant.line, mutant.end_line, mutant.function,
                               mutant.operator, mutant.original, mutant.mutated + suffix,
                               mutant.path, mutant.replacement, mutant.in_function))
    return source, numbered


def _substitute(root: ast.AST, path: Path_, replacement: ast.AST) -> ast.AST:
    """A copy of ``root`` with the node at ``path`` (relative to it) replaced."""
    root = copy.deepcopy(root)
    holder: Any = root
    for name, index in path[:-1]:
        holder = getattr(holder, name) if index is None else getattr(holder, name)[index]
    name, index = path[-1]
    if index is None:
        setattr(holder, name, copy.deepcopy(replacement))
    else:
        getattr(holder, name)[index] = copy.deepcopy(replacement)
    return root


def mutated_code(source: str, mutant: Mutant, filename: str) -> Any:
    tree = ast.parse(source)
    holder: Any = tree
    for name, index in mutant.path[:-1]:
        holder = getattr(holder, name) if index is None else getattr(holder, name)[index]
    name, index = mutant.path[-1]
    if index is None:
        setattr(holder, name, copy.deepcopy(mutant.replacement))
    else:
        getattr(holder, name)[index] = copy.deepcopy(mutant.replacement)
    ast.fix_missing_locations(tree)
    return compile(tree, filename, "exec")


# ---------------------------------------------------------------------------------------------
# Running tests in forked children


class _Loader(importlib.abc.Loader):
    def __init__(self, code: Any, filename: str) -> None:
        self.code, self.filename = code, filename

    def create_module(self, spec: Any) -> None:
        return None

    def exec_module(self, module: Any) -> None:
        module.__file__ = self.filename
        exec(self.code, module.__dict__)


class _Finder(importlib.abc.MetaPathFinder):
    """Serves the mutated code for one module name; every other import as usual."""

    def __init__(self, fullname: str, code: Any, filename: str) -> None:
        self.fullname, self.loader, self.filename = fullname, _Loader(code, filename), filename

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname != self.fullname:
            return None
        return importlib.util.spec_from_loader(fullname, self.loader, origin=self.filename)


def _quiet() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)


def _fork(work: Any) -> tuple[int, int]:
    """Run ``work()`` (returning a JSON-able value) in a forked child: (pid, read fd)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read)
        os.setpgid(0, 0)
        code = 3
        try:
            result = work()
            os.write(write, json.dumps(result).encode())
            code = 0
        except BaseException:
            import traceback

            # why a child failed (a mutant that breaks the import, say): kept while the run
            # lasts, in its scratch folder
            Path(_SCRATCH[0] if _SCRATCH else tempfile.gettempdir(),
                 f"mutant-error-{os.getpid()}.txt").write_text(traceback.format_exc())
            code = 3
        finally:
            os._exit(code)
    os.close(write)
    return pid, read


class _Collector:
    """A pytest plugin: one coverage context per test, and each test's duration."""

    def __init__(self, cov: Any) -> None:
        self.cov = cov
        self.durations: dict[str, float] = {}
        self.failed: list[str] = []

    def pytest_runtest_logreport(self, report: Any) -> None:
        self.durations[report.nodeid] = self.durations.get(report.nodeid, 0.0) + \
            report.duration
        if report.failed:
            self.failed.append(report.nodeid)

    def pytest_runtest_setup(self, item: Any) -> None:
        self.cov.switch_context(item.nodeid)

    def pytest_runtest_teardown(self, item: Any, nextitem: Any) -> None:
        self.cov.switch_context(item.nodeid)


#: one scratch folder per run, removed at its end; each pytest session gets its own inside
_SCRATCH: list[str] = []


def _basetemp() -> str:
    return tempfile.mkdtemp(prefix="mutant-", dir=_SCRATCH[0] if _SCRATCH else None)


def _coverage_pass(name: str) -> dict[str, Any]:
    """In a child: run the module's tests once under coverage (one context per test)."""
    import coverage
    import pytest

    _, relpath, tests = MODULES[name]
    filename = str(ROOT / relpath)
    cov = coverage.Coverage(data_file=None, include=[filename], config_file=False)
    collector = _Collector(cov)
    _quiet()
    cov.start()
    code = pytest.main([*PYTEST_ARGS, f"--basetemp={_basetemp()}",
                        *[str(ROOT / t) for t in tests if (ROOT / t).exists()]],
                       plugins=[collector])
    cov.stop()
    data = cov.get_data()
    by_line = {str(line): sorted(set(contexts)) for line, contexts in
               data.contexts_by_lineno(filename).items()}
    return {"code": int(code), "lines": by_line, "durations": collector.durations,
            "failed": collector.failed}


def _failure_line(report: Any) -> str:
    """The first line of a failed test's report that says why (``E   assert ...``), short;
    else its last line (a crash in a fixture, say)."""
    lines = [line.strip() for line in str(report.longrepr).splitlines() if line.strip()]
    said = [line for line in lines if line.startswith("E ")]
    return (said[0] if said else lines[-1] if lines else "")[:300]


class _FirstFailure:
    """A pytest plugin: the first test that fails (the one that kills a mutant), and why."""

    def __init__(self) -> None:
        self.nodeid = self.why = ""

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.failed and not self.nodeid:
            self.nodeid, self.why = report.nodeid, _failure_line(report)


def _run_mutant(name: str, source: str, mutant: Mutant, tests: list[str]) -> list[Any]:
    """In a child: import the mutant instead of the module, run ``tests``.
    Returns [pytest's exit code, the id of the test that failed first or "", why]."""
    import pytest

    fullname, relpath, _ = MODULES[name]
    filename = str(ROOT / relpath)
    code = mutated_code(source, mutant, filename)
    sys.meta_path.insert(0, _Finder(fullname, code, filename))
    first = _FirstFailure()
    _quiet()
    exit_code = pytest.main([*PYTEST_ARGS, "-x", f"--basetemp={_basetemp()}", *tests],
                            plugins=[first])
    return [int(exit_code), first.nodeid, first.why]


def _function_of(module: Any, scope: str) -> Any:
    """The module- or class-level function that holds ``scope`` (its code holds the code of
    any function nested in it), or None."""
    holder: Any = module
    for part in scope.split("."):
        if not part:
            return None
        holder = inspect.getattr_static(holder, part, None)
        for wrapper in ("__func__", "fget"):  # staticmethod, classmethod, property
            holder = getattr(holder, wrapper, holder)
        if inspect.isfunction(holder):
            return holder
        if not inspect.isclass(holder):
            return None
    return None


def _hot_run(name: str, source: str, mutant: Mutant, items: list[Any]) -> list[Any]:
    """In a child of a collected pytest session: swap the code of the one function the
    mutant changes (every reference to that function sees it), run ``items`` (``-x``).
    Returns [1, the failing test's id, why] if a test failed, [0, "", ""] if all passed,
    [5, "", ""] if the code cannot be swapped."""
    from _pytest.runner import runtestprotocol

    fullname, relpath, _ = MODULES[name]
    module = sys.modules[fullname]
    original = _function_of(module, mutant.function)
    namespace: dict[str, Any] = {"__name__": fullname, "__file__": str(ROOT / relpath),
                                 "__package__": fullname.rpartition(".")[0]}
    exec(mutated_code(source, mutant, str(ROOT / relpath)), namespace)
    replacement = _function_of(_Namespace(namespace), mutant.function)
    if original is None or replacement is None or \
            original.__code__.co_freevars != replacement.__code__.co_freevars:
        return [5, "", ""]
    original.__code__ = replacement.__code__
    _own_basetemp(items)
    for index, item in enumerate(items):
        following = items[index + 1] if index + 1 < len(items) else None
        for report in runtestprotocol(item, nextitem=following, log=False):
            if report.failed:
                return [1, item.nodeid, _failure_line(report)]
    return [0, "", ""]


def _own_basetemp(items: list[Any]) -> None:
    """Give this child its own pytest base folder. The session's is shared by every child
    forked from it, and pytest empties a given ``--basetemp`` when it first makes it: a
    child starting beside another would delete the files of the other's running test (its
    database, its data dir), which then fails and reads as a kill."""
    factory = getattr(items[0].config, "_tmp_path_factory", None) if items else None
    if factory is not None:
        factory._given_basetemp = Path(_basetemp())
        factory._basetemp = None


class _Namespace:
    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


class _HotSession:
    """A pytest plugin: collect once, then fork a child per mutant (:func:`_hot_run`)."""

    def __init__(self, name: str, source: str, work: list[tuple[Mutant, list[str]]],
                 durations: dict[str, float], args: argparse.Namespace) -> None:
        self.name, self.source, self.work = name, source, work
        self.durations, self.args = durations, args
        self.results: list[tuple[int, str, float, str, str]] = []

    def pytest_runtestloop(self, session: Any) -> bool:
        by_id = {item.nodeid: item for item in session.items}
        pending = [(m, [by_id[t] for t in chosen if t in by_id]) for m, chosen in self.work]
        running: dict[int, tuple[Mutant, int, float, int, float]] = {}
        while pending or running:
            while pending and len(running) < self.args.jobs:
                mutant, items = pending.pop(0)
                budget = self.args.timeout / 4 + 3.0 * sum(
                    self.durations.get(i.nodeid, 0.0) for i in items)
                pid, fd = _fork(lambda m=mutant, i=items: _hot_run(self.name, self.source, m, i))
                running[pid] = (mutant, fd, time.monotonic(), len(items), budget)
            done, state, result = _next_done(running)
            mutant, _, begun, _, _ = running.pop(done)
            code, killer, why = result if state == "ok" else (None, "", "")
            status = ("timeout" if state == "timeout" else "cold" if code == 5
                      else "survived" if code == 0 else "killed")
            self.results.append((mutant.number, status, time.monotonic() - begun, killer, why))
        return True


def _hot_pass(name: str, source: str, work: list[tuple[Mutant, list[str]]],
              durations: dict[str, float], args: argparse.Namespace) -> Any:
    """In a child: one pytest session over the chosen tests, mutants run as its children."""
    import pytest

    plugin = _HotSession(name, source, work, durations, args)
    tests = sorted({t for _, chosen in work for t in chosen})
    _quiet()
    pytest.main([*PYTEST_ARGS, f"--basetemp={_basetemp()}", *tests], plugins=[plugin])
    return plugin.results


@dataclass
class Outcome:
    mutant: Mutant
    status: str  # killed, timeout, survived, not covered, equivalent
    seconds: float = 0.0
    tests: int = 0
    reason: str = ""
    #: the test that failed first ("" for a timeout, or a child that died without a report)
    killer: str = ""
    #: the first line of that test's failure that says why (``E   assert ...``)
    why: str = ""


def _await_child(pid: int, fd: int, timeout: float) -> tuple[str, Any]:
    deadline = time.monotonic() + timeout
    chunks = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            os.killpg(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(fd)
            return "timeout", None
        ready, _, _ = select.select([fd], [], [], min(left, 1.0))
        if ready:
            chunk = os.read(fd, 1 << 20)
            if chunk:
                chunks.append(chunk)
                continue
            os.close(fd)
            _, status = os.waitpid(pid, 0)
            with contextlib.suppress(ProcessLookupError):  # anything the child left behind
                os.killpg(pid, signal.SIGKILL)
            if status != 0 or not chunks:
                return "error", None
            return "ok", json.loads(b"".join(chunks))


def run_module(name: str, args: argparse.Namespace) -> list[Outcome]:
    source, mutants = generate(name)
    stale = set(EQUIVALENT.get(name, {})) - {m.key for m in mutants}
    for key in sorted(stale):  # the code changed: that explanation no longer applies
        print(f"{name}: equivalents.py names no current mutant: {key}", file=sys.stderr)
    if args.match:
        mutants = [m for m in mutants if any(text in m.key for text in args.match)]
    if args.import_time:
        mutants = [m for m in mutants if m.in_function == (args.import_time == "skip")]
    if args.limit:
        mutants = mutants[:args.limit]
    if args.list:
        for m in mutants:
            print(f"{name}:{m.line:<5} {m.operator:17} {m.key}")
        return []
    started = time.monotonic()
    pid, fd = _fork(lambda: _coverage_pass(name))
    state, baseline = _await_child(pid, fd, args.coverage_timeout)
    if state != "ok":
        raise SystemExit(f"{name}: the coverage pass failed ({state})")
    failing = set(baseline["failed"])
    if failing:
        print(f"{name}: {len(failing)} tests fail without any mutant; left out: "
              f"{sorted(failing)[:5]}", file=sys.stderr)
    durations: dict[str, float] = baseline["durations"]
    all_tests = sorted((t for t in durations if t not in failing), key=lambda t: durations[t])
    lines: dict[int, set[str]] = {int(k): set(v) - {""} for k, v in baseline["lines"].items()}
    print(f"{name}: {len(mutants)} mutants, {len(all_tests)} tests, coverage pass "
          f"{time.monotonic() - started:.0f} s", flush=True)
    pending: list[tuple[Mutant, list[str]]] = []
    outcomes: list[Outcome] = []
    for mutant in mutants:
        if mutant.in_function:
            covering: set[str] = set()
            for line in range(mutant.line, mutant.end_line + 1):
                covering |= lines.get(line, set())
            chosen = [t for t in all_tests if t in covering]
        else:
            chosen = list(all_tests)
        if not chosen:
            outcomes.append(_judge(Outcome(mutant, "not covered")))
            if args.verbose or outcomes[-1].status == "not covered":
                _print_outcome(outcomes[-1])
        else:
            pending.append((mutant, chosen))
    if not args.cold:  # in-function mutants: one collected session, code swapped per mutant
        hot = [(m, c) for m, c in pending if m.in_function]
        pending = [(m, c) for m, c in pending if not m.in_function]
        counts = {m.number: (m, len(c)) for m, c in hot}
        budget = sum(args.timeout + 3.0 * sum(durations[t] for t in c) for _, c in hot)
        pid, fd = _fork(lambda: _hot_pass(name, source, hot, durations, args))
        state, results = _await_child(pid, fd, budget + args.coverage_timeout)
        if state != "ok":
            raise SystemExit(f"{name}: the mutant session failed ({state})")
        for number, status, seconds, killer, why in results:
            mutant, count = counts.pop(number)
            if status == "cold":  # its code could not be swapped: run it the slow way
                pending.append((mutant, next(c for m, c in hot if m.number == number)))
                continue
            outcome = _judge(Outcome(mutant, status, seconds, count, killer=killer, why=why))
            outcomes.append(outcome)
            if args.verbose or outcome.status in ("survived", "not covered"):
                _print_outcome(outcome)
        for mutant, _count in counts.values():  # not collected again: run them slowly
            pending.append((mutant, next(c for m, c in hot if m.number == mutant.number)))
    running: dict[int, tuple[Mutant, int, float, int, float]] = {}
    while pending or running:
        while pending and len(running) < args.jobs:
            mutant, chosen = pending.pop(0)
            budget = args.timeout + 3.0 * sum(durations[t] for t in chosen)
            pid, fd = _fork(lambda m=mutant, c=chosen: _run_mutant(name, source, m, c))
            running[pid] = (mutant, fd, time.monotonic(), len(chosen), budget)
        done, state, result = _next_done(running)
        mutant, _, begun, count, _ = running.pop(done)
        code, killer, why = result if state == "ok" else (None, "", "")
        if state == "timeout":
            status = "timeout"
        elif code == 0:
            status = "survived"
        else:
            status = "killed"
        outcome = _judge(Outcome(mutant, status, time.monotonic() - begun, count,
                                 killer=killer, why=why))
        outcomes.append(outcome)
        if args.verbose or outcome.status in ("survived", "not covered"):
            _print_outcome(outcome)
    outcomes.sort(key=lambda o: o.mutant.number)
    for o in outcomes:  # an explanation the tests contradict must go
        if o.status in ("killed", "timeout") and o.mutant.key in EQUIVALENT.get(name, {}):
            print(f"{name}: equivalents.py explains a mutant the tests kill: {o.mutant.key}"
                  f" ({_killed_by(o)}; check it with --match before removing the explanation)",
                  file=sys.stderr)
    return outcomes


def _next_done(running: dict[int, Any]) -> tuple[int, str, Any]:
    """Wait for the first child to finish or pass its budget: (pid, state, pytest code)."""
    while True:
        now = time.monotonic()
        for pid, (_, fd, begun, _, budget) in list(running.items()):
            ready, _, _ = select.select([fd], [], [], 0)
            if ready or now - begun > budget:
                state, code = _await_child(pid, fd, max(0.1, budget - (now - begun)))
                return pid, state, code
        time.sleep(0.05)


def _judge(outcome: Outcome) -> Outcome:
    if outcome.status in ("survived", "not covered"):
        reason = EQUIVALENT.get(outcome.mutant.module, {}).get(outcome.mutant.key)
        if reason is not None:
            outcome.status, outcome.reason = "equivalent", reason
    return outcome


def _killed_by(o: Outcome) -> str:
    if o.status == "timeout":
        return "over its time budget"
    if not o.killer:
        return "its child died before any test reported"
    return f"by {o.killer}" + (f": {o.why}" if o.why else "")


def _print_outcome(o: Outcome) -> None:
    m = o.mutant
    print(f"  {o.status.upper():12} {MODULES[m.module][1]}:{m.line} [{m.operator}] {m.key}"
          + (f"  ({o.tests} tests, {o.seconds:.1f} s)" if o.tests else ""), flush=True)
    if o.status in ("killed", "timeout"):
        print(f"      killed {_killed_by(o)}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--module", action="append", choices=sorted(MODULES),
                        help="only this module (repeatable); default: all")
    parser.add_argument("--limit", type=int, default=0, help="the first N mutants per module")
    parser.add_argument("--match", action="append", metavar="TEXT",
                        help="only mutants whose key contains TEXT (repeatable)")
    parser.add_argument("--jobs", type=int, default=2, help="mutants run at once (default 2)")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds per mutant on top of 3x its tests' time (default 60)")
    parser.add_argument("--coverage-timeout", type=float, default=1800.0)
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument("--import-time", choices=("only", "skip"),
                        help="only (or skip) the mutants of code run at import time, which run "
                             "all the module's tests each (split a long module in two runs)")
    parser.add_argument("--cold", action="store_true",
                        help="run every mutant in a fresh pytest process with the mutated module "
                             "imported from scratch (slower; the default does that only for "
                             "mutants of code run at import time)")
    parser.add_argument("--verbose", action="store_true", help="print every outcome")
    parser.add_argument("--show-equivalent", action="store_true",
                        help="print the equivalent mutants with their reasons")
    parser.add_argument("--json", type=Path, help="write every outcome to this file")
    args = parser.parse_args(argv)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.chdir(ROOT)
    if not args.list:
        for module in WARM:
            with contextlib.suppress(ImportError):
                __import__(module)
    started = time.monotonic()
    table: list[tuple[str, dict[str, int], float]] = []
    everything: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="mutants-") as scratch:
        _SCRATCH[:] = [scratch]
        for name in args.module or list(MODULES):
            begun = time.monotonic()
            outcomes = run_module(name, args)
            everything += outcomes
            counts = {s: sum(o.status == s for o in outcomes) for s in
                      ("killed", "timeout", "survived", "not covered", "equivalent")}
            table.append((name, counts, time.monotonic() - begun))
            if not args.list:
                print(f"{name}: " + ", ".join(f"{n} {s}" for s, n in counts.items())
                      + f" ({table[-1][2]:.0f} s)", flush=True)
            if args.show_equivalent:
                for o in outcomes:
                    if o.status == "equivalent":
                        _print_outcome(o)
                        print(f"      why: {o.reason}")
    if args.list:
        return 0
    print(f"\n{'module':16} {'mutants':>8} {'killed':>7} {'timeout':>8} {'equivalent':>11} "
          f"{'survived':>9} {'not covered':>12} {'seconds':>8}")
    for name, c, seconds in table:
        print(f"{name:16} {sum(c.values()):>8} {c['killed']:>7} {c['timeout']:>8} "
              f"{c['equivalent']:>11} {c['survived']:>9} {c['not covered']:>12} "
              f"{seconds:>8.0f}")
    print(f"({time.monotonic() - started:.0f} s, {args.jobs} jobs)")
    if args.json:
        args.json.write_text(json.dumps([{
            "module": o.mutant.module, "line": o.mutant.line, "operator": o.mutant.operator,
            "key": o.mutant.key, "status": o.status, "reason": o.reason,
            "tests": o.tests, "seconds": round(o.seconds, 2), "killer": o.killer,
            "why": o.why}
            for o in everything], indent=1))
    return 1 if any(o.status in ("survived", "not covered") for o in everything) else 0


if __name__ == "__main__":
    sys.exit(main())
