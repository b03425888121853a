"""The package keeps its architecture: layers without cycles (import-linter, configured in
pyproject.toml) and no package reaching into another's private names."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "tsforecast"
#: underscore names of the standard library that are public API despite the underscore
STANDARD_IDIOMS = {"_exit", "_getframe", "_replace", "_asdict", "_fields", "_make", "_missing_"}
MAX_LINES = 400


def _owner(path: Path) -> str:
    """The top-level package a module belongs to (``models`` for models/arima/css.py); a
    module directly under tsforecast/ is its own owner."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def _modules() -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text(), str(path)) for path in sorted(PACKAGE.rglob("*.py"))}


def _private_names_defined(trees: dict[Path, ast.Module]) -> dict[str, set[str]]:
    """Owner package -> the underscore names it defines (functions, methods, attributes)."""
    defined: dict[str, set[str]] = defaultdict(set)
    for path, tree in trees.items():
        owner = _owner(path)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defined[owner].add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                defined[owner].add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                defined[owner].add(node.id)
    return defined


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__") and name not in STANDARD_IDIOMS


def private_reaches() -> list[str]:
    """Every place a module uses an underscore name its own package does not define: an
    import of another package's private name, or an attribute such as ``model._update`` whose
    only definitions are in another package (or in a third-party library)."""
    trees = _modules()
    defined = _private_names_defined(trees)
    found = []
    for path, tree in trees.items():
        owner, where = _owner(path), path.relative_to(ROOT)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tsforecast"):
                target = node.module.split(".")[1] if "." in node.module else ""
                for alias in node.names:
                    if _is_private(alias.name) and target != owner:
                        found.append(f"{where}:{node.lineno}: imports {node.module}.{alias.name}")
            elif isinstance(node, ast.Attribute) and _is_private(node.attr):
                base = node.value
                if isinstance(base, ast.Name) and base.id in ("self", "cls"):
                    continue
                if isinstance(base, ast.Call) and isinstance(base.func, ast.Name) and base.func.id == "super":
                    continue
                if node.attr not in defined[owner]:
                    found.append(f"{where}:{node.lineno}: reaches {ast.unparse(base)[:40]}.{node.attr}")
    return found


def test_no_package_reaches_another_packages_private_names():
    assert private_reaches() == []


def test_every_module_is_under_the_line_limit():
    sizes = {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py")}
    long = {name: n for name, n in sizes.items() if n > MAX_LINES}
    assert long == {}, f"modules over {MAX_LINES} lines: {long}"


def test_every_public_module_declares_its_public_names():
    missing = [str(p.relative_to(ROOT)) for p in PACKAGE.rglob("*.py")
               if p.name != "__init__.py" and "__all__" not in p.read_text()]
    assert missing == []


def test_the_import_contracts_hold():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    if lint is None:
        pytest.skip("import-linter is not installed (it comes with the dev extra)")
    checked = subprocess.run([lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout[-4000:] + checked.stderr[-2000:]


def test_every_package_is_shipped_in_a_wheel():
    """pyproject.toml lists packages explicitly (the bundled datasets live outside the tree):
    a subpackage missing from the list would import from a checkout and fail once installed."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in PACKAGE.rglob("__init__.py")}
    assert found - listed == set()


#: deserialisers that can run code while they read (pickle and what wraps it)
CODE_RUNNING_LOADS = {
    ("pickle", "load"), ("pickle", "loads"), ("cloudpickle", "load"), ("cloudpickle", "loads"),
    ("joblib", "load"), ("torch", "load"), ("np", "load"), ("numpy", "load"), ("pd", "read_pickle"),
    ("dill", "load"), ("dill", "loads"), ("marshal", "loads"), ("shelve", "open"),
}
#: the one place allowed to unpickle: the engines' own payloads, bytes this run pickled a moment
#: before for its own worker (the process pool's pipe, a Dask block sealed by this run's client);
#: never a file, a saved model or anything a user hands in
UNPICKLING_ALLOWED = {("tsforecast/backtest/own_payload.py", "load_own_payload")}
#: the modules of those deserialisers, whatever name they are imported under
_LOADER_MODULES = {module for module, _ in CODE_RUNNING_LOADS} | {"numpy", "pandas"}


def _code_running_loads(tree: ast.Module) -> set[str]:
    """The functions of ``tree`` (innermost enclosing name, ``<module>`` at top level) that
    call a deserialiser of :data:`CODE_RUNNING_LOADS`, or import one by name. A module imported
    under another name (``import pickle as pk``, ``from distributed.protocol import pickle as
    dask_pickle``) is followed to its own name."""
    canonical = {"np": "np", "numpy": "np", "pd": "pd", "pandas": "pd"}
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                module = alias.name.split(".")[-1]
                if module in _LOADER_MODULES:
                    names[alias.asname or alias.name] = canonical.get(module, module)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name in _LOADER_MODULES:  # a module imported from a package
                    names[alias.asname or alias.name] = canonical.get(alias.name, alias.name)
    found: set[str] = set()

    def visit(node: ast.AST, scope: str) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            scope = node.name
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and (names.get(node.func.value.id, node.func.value.id), node.func.attr) in CODE_RUNNING_LOADS):
            found.add(scope)
        if isinstance(node, ast.ImportFrom) and any(
                (node.module, alias.name) in CODE_RUNNING_LOADS for alias in node.names):
            found.add(scope)  # `from pickle import loads` would hide the module name at the call
        for child in ast.iter_child_nodes(node):
            visit(child, scope)

    visit(tree, "<module>")
    return found


def test_nothing_read_from_a_file_can_run_code():
    """Saved models and users' files are read as JSON, CSV, Parquet and safetensors only: no
    pickle, torch.load or np.load anywhere in the package, except the engines' own payloads above."""
    found = {(str(path.relative_to(ROOT)), scope) for path in sorted(PACKAGE.rglob("*.py"))
             for scope in _code_running_loads(ast.parse(path.read_text(), str(path)))}
    assert found == UNPICKLING_ALLOWED


#: where the one unpickling function may be called: each on bytes the same run produced in
#: memory a moment before (executors.run_tasks' cloudpickle.dumps, block_payload.seal_block)
OWN_PAYLOAD_READERS = {("tsforecast/backtest/executors.py", "_run_payload"),
                       ("tsforecast/backtest/block_payload.py", "run")}


def _own_payload_readers(tree: ast.Module) -> set[str]:
    """The functions of ``tree`` (``<module>`` at top level) that use ``load_own_payload``,
    imported under any name, or that import the ``own_payload`` module itself."""
    names, found = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.endswith("own_payload"):
            names |= {alias.asname or alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            names |= {alias.asname or alias.name for alias in node.names if alias.name == "own_payload"}
        elif isinstance(node, ast.Import) and any(alias.name.endswith("own_payload") for alias in node.names):
            found.add("<imports the module>")

    def visit(node: ast.AST, scope: str) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            scope = node.name
        if (isinstance(node, ast.Name) and node.id in names) or (
                isinstance(node, ast.Attribute) and node.attr == "load_own_payload"):
            found.add(scope)
        for child in ast.iter_child_nodes(node):
            visit(child, scope)

    for statement in tree.body:
        if not isinstance(statement, ast.ImportFrom):  # the import itself is not a use
            visit(statement, "<module>")
    return found


def test_the_unpickling_function_serves_only_the_engines_own_payloads():
    """No other code reaches ``load_own_payload``: a future reader of files cannot route bytes
    it read into it (imported under any name, or its module imported)."""
    readers = {(str(path.relative_to(ROOT)), scope) for path in sorted(PACKAGE.rglob("*.py"))
               if path.name != "own_payload.py"
               for scope in _own_payload_readers(ast.parse(path.read_text(), str(path)))}
    assert readers == OWN_PAYLOAD_READERS
    sneaky = "def f(b):\n    from tsforecast.backtest.own_payload import load_own_payload as lo\n    return lo(b)\n"
    assert _own_payload_readers(ast.parse(sneaky)) == {"f"}


def test_the_scan_for_code_running_loads_sees_each_spelling():
    sources = ["import torch\ndef f(p):\n    return torch.load(p)\n",
               "from pickle import loads\n",
               "import numpy as np\nclass A:\n    def read(self, p):\n        return np.load(p)\n",
               "from distributed.protocol import pickle as dask_pickle\ndef run(b):\n    return dask_pickle.loads(b)\n",
               "import pickle as pk\ndef g(b):\n    return pk.loads(b)\n",
               "import numpy\ndef h(p):\n    return numpy.load(p)\n",
               "import json\ndef ok(p):\n    return json.loads(p)\n"]
    assert [_code_running_loads(ast.parse(s)) for s in sources] == [
        {"f"}, {"<module>"}, {"read"}, {"run"}, {"g"}, {"h"}, set()]
